import { randomFillSync } from 'node:crypto';

/** Random bytes drawn in blocks: one call into OpenSSL per 256 ids instead of one per id. */
const POOL = Buffer.alloc(256 * 10);
let offset = POOL.length;

/**
 * A UUIDv7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, then 74 random bits. Keys made
 * from it sort by time, so rows inserted now append to the right edge of their index
 * instead of landing on a random page of it, as a v4 key does.
 */
export function uuidV7(ms: number): string {
  if (offset === POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const hex = POOL.toString('hex', offset, offset + 10);
  offset += 10;
  const time = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0').slice(-12);
  // Version 7 in the top nibble of byte 6; variant 0b10 in the top bits of byte 8.
  const variant = ((Number.parseInt(hex[3]!, 16) & 0x3) | 0x8).toString(16);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${hex.slice(0, 3)}-${variant}${hex.slice(4, 7)}-${hex.slice(7, 19)}`;
}
