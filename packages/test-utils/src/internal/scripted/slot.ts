/**
 * Key → hash slot, as Redis computes it (CRC16/XMODEM of the hash tag or of the whole key, mod
 * 16384). Its own small implementation: `@keyslot/test-utils` must not depend on `@keyslot/core`.
 *
 * @internal
 */

/**
 * Number of hash slots.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const SLOTS = 16384

const table = (() => {
  const t = new Uint16Array(256)
  for (let i = 0; i < 256; i++) {
    let c = i << 8
    for (let j = 0; j < 8; j++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff
    t[i] = c
  }
  return t
})()

const crc16 = (bytes: Uint8Array, start: number, end: number): number => {
  let crc = 0
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ table[((crc >> 8) ^ bytes[i]!) & 0xff]!
  return crc
}

/**
 * The slot of a key: the bytes between the first `{` and the next `}` when that tag is not empty,
 * else the whole key. Strings hash as their UTF-8 bytes.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const slotOf = (key: string | Uint8Array): number => {
  const bytes = typeof key === "string" ? Buffer.from(key, "utf8") : key
  const open = bytes.indexOf(0x7b)
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1)
    if (close > open + 1) return crc16(bytes, open + 1, close) & (SLOTS - 1)
  }
  return crc16(bytes, 0, bytes.length) & (SLOTS - 1)
}
