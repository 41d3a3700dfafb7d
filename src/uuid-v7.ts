import { randomFillSync } from 'node:crypto';

const ID_BYTES = 10;
/** Random bytes drawn in blocks: one call into OpenSSL per 256 ids instead of one per id. */
const POOL = Buffer.alloc(256 * ID_BYTES);
let offset = POOL.length;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

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
  const b = POOL;
  const o = offset;
  offset += ID_BYTES;
  const time = Math.max(0, Math.floor(ms)) % 2 ** 48;
  const high = Math.floor(time / 2 ** 16).toString(16).padStart(8, '0');
  const low = (time % 2 ** 16).toString(16).padStart(4, '0');
  // Version 7 in the top nibble of byte 6; variant 0b10 in the top bits of byte 8.
  const version = `7${(b[o]! & 0x0f).toString(16)}${HEX[b[o + 1]!]}`;
  const variant = `${HEX[(b[o + 2]! & 0x3f) | 0x80]}${HEX[b[o + 3]!]}`;
  const node = `${HEX[b[o + 4]!]}${HEX[b[o + 5]!]}${HEX[b[o + 6]!]}${HEX[b[o + 7]!]}${HEX[b[o + 8]!]}${HEX[b[o + 9]!]}`;
  return `${high}-${low}-${version}-${variant}-${node}`;
}
