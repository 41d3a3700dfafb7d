import { isIPv4, isIPv6 } from 'node:net';

/**
 * The client a per-IP limit counts: an IPv4 address as is, an IPv6 address by its /64.
 * One IPv6 subscriber gets a whole /64 (RFC 6177) and privacy addresses rotate inside it
 * (RFC 8981), so counting single IPv6 addresses would give one attacker 2^64 budgets.
 * IPv4-mapped addresses (::ffff:a.b.c.d, what a dual-stack socket reports for an IPv4
 * client) count as the IPv4 address — as a /64 they would all share one budget.
 * Anything that is not an address is counted as given.
 */
export function ipGroup(ip: string): string {
  const zone = ip.indexOf('%');
  const address = zone === -1 ? ip : ip.slice(0, zone);
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return ip;
  const hextets = expandIPv6(address);
  if (hextets.slice(0, 5).every((h) => h === 0) && hextets[5] === 0xffff) {
    const high = hextets[6] ?? 0;
    const low = hextets[7] ?? 0;
    return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  }
  return `${hextets
    .slice(0, 4)
    .map((h) => h.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (isIPv6 has vouched for its syntax). */
function expandIPv6(address: string): number[] {
  let text = address.toLowerCase();
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    // A dotted-quad tail is the last two groups written as IPv4 (RFC 4291 §2.2).
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((h) => Number.parseInt(h, 16)));
  const [head = '', rest] = text.split('::');
  if (rest === undefined) return groups(head);
  const left = groups(head);
  const right = groups(rest);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}
