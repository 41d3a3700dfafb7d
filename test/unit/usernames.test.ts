import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PolicyViolation } from '../../src/errors.js';
import { normaliseUsername, validateNewUsername } from '../../src/services/usernames.js';

describe('usernames', () => {
  it('normalise with NFKC and case folding, so look-alike spellings meet', () => {
    assert.equal(normaliseUsername('JohnDoe'), 'johndoe');
    assert.equal(normaliseUsername('ｊｏｈｎ'), 'john'); // full-width
    assert.equal(normaliseUsername('Straße'), normaliseUsername('STRASSE'));
    assert.equal(normaliseUsername('e\u0301'), normaliseUsername('é'));
  });

  it('accept ordinary handles and emails', () => {
    for (const name of ['johndoe', 'john.doe+test@example.com', 'Zoë', '李小龙', 'иван']) {
      assert.equal(validateNewUsername(name), normaliseUsername(name));
    }
  });

  it('reject control, zero-width, bidi and space characters', () => {
    for (const name of ['john\u0000', 'jo\u200bhn', 'admin\u202e', 'john doe', '', 'x'.repeat(129)]) {
      assert.throws(() => validateNewUsername(name), PolicyViolation, JSON.stringify(name));
    }
  });

  it('reject names mixing scripts (Cyrillic а in аdmin)', () => {
    assert.throws(() => validateNewUsername('\u0430dmin'), /mix letters of different scripts/);
  });
});
