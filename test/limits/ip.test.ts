import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ipGroup } from '../../src/limits/ip.js';

describe('ipGroup', () => {
  it('counts an IPv4 address as itself', () => {
    assert.equal(ipGroup('192.0.2.1'), '192.0.2.1');
  });

  it('counts an IPv6 address by its /64, however it is written', () => {
    assert.equal(ipGroup('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(ipGroup('2001:DB8:1:2::ffff'), '2001:db8:1:2::/64');
    assert.equal(ipGroup('2001:0db8:0001:0002:0000:0000:0000:0001'), '2001:db8:1:2::/64');
    assert.equal(ipGroup('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(ipGroup('::1'), '0:0:0:0::/64');
    assert.equal(ipGroup('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(ipGroup('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64');
  });

  it('counts an IPv4-mapped IPv6 address as the IPv4 address', () => {
    assert.equal(ipGroup('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(ipGroup('::FFFF:c000:201'), '192.0.2.1');
    assert.equal(ipGroup('0:0:0:0:0:ffff:192.0.2.1'), '192.0.2.1');
  });

  it('counts anything that is not an address as given', () => {
    assert.equal(ipGroup('unix:/run/gatehouse.sock'), 'unix:/run/gatehouse.sock');
    assert.equal(ipGroup(''), '');
  });
});
