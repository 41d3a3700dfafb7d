import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { excerpt } from '../../src/errors.js';

describe('excerpt: a user-supplied value quoted in an error message', () => {
  it('quotes a short value as JSON does', () => {
    assert.equal(excerpt('erin'), '"erin"');
    assert.equal(excerpt('say "hi" \\ bye'), '"say \\"hi\\" \\\\ bye"');
  });

  it('keeps it on one line: control characters, line separators and bidirectional controls are escaped', () => {
    assert.equal(excerpt('a\nb\r\tc\u0000\u001b[31m\u007f\u0085'), '"a\\nb\\r\\tc\\u0000\\u001b[31m\\u007f\\u0085"');
    assert.equal(excerpt('x\u2028y\u2029z\u202eevil\u2066'), '"x\\u2028y\\u2029z\\u202eevil\\u2066"');
  });

  it('cuts a long value at max characters, with … after the closing quote', () => {
    assert.equal(excerpt('a'.repeat(61)), `"${'a'.repeat(60)}"…`);
    assert.equal(excerpt('a'.repeat(60)), `"${'a'.repeat(60)}"`);
    assert.equal(excerpt('abcdef', 3), '"abc"…');
    const huge = excerpt(`${'line\n'.repeat(2000)}`);
    assert.ok(huge.length < 200 && !huge.includes('\n'), huge);
  });

  it('counts characters, never splitting a surrogate pair', () => {
    assert.equal(excerpt('😀😀😀', 2), '"😀😀"…');
    assert.equal(excerpt('😀'.repeat(60)), `"${'😀'.repeat(60)}"`);
  });
});
