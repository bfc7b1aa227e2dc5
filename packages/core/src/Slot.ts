/**
 * Key → hash slot (CRC16/XMODEM of the key or of its hash tag, mod 16384) and slot ranges.
 *
 * @since 0.1.0
 */
import * as ClusterKeySlot from "cluster-key-slot"

type Calculate = (key: string | Buffer) => number

// The package is CommonJS (`module.exports = calculate`): ESM interop exposes it as `default`
// (Node, vitest); a loader that hands out `module.exports` itself gives the function directly.
const calculateSlot: Calculate = typeof ClusterKeySlot === "function"
  ? ClusterKeySlot
  : (ClusterKeySlot as unknown as { readonly default: Calculate }).default

/**
 * Number of hash slots in a Redis Cluster.
 *
 * @since 0.1.0
 * @category constants
 */
export const SLOT_COUNT = 16384

/**
 * The highest slot number.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_SLOT = 16383

/**
 * An inclusive range of slots, as `CLUSTER SLOTS` / `CLUSTER SHARDS` report them.
 *
 * @since 0.1.0
 * @category models
 */
export interface SlotRange {
  readonly start: number
  readonly end: number
}

const OPEN = 0x7b // {
const CLOSE = 0x7d // }


/**
 * CRC16/XMODEM table, for the one case `cluster-key-slot` gets wrong: an empty first tag (`{}`)
 * followed later by another `}` (it hashes from the second `{`, Redis hashes the whole key).
 */
let crcTable: Uint16Array | undefined

/** CRC16-XMODEM lookup table, built on first use. */
const makeTable = (): Uint16Array => {
  const table = new Uint16Array(256)
  for (let i = 0; i < 256; i++) {
    let c = i << 8
    for (let j = 0; j < 8; j++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff
    table[i] = c
  }
  crcTable = table
  return table
}

const crc16 = (bytes: Uint8Array): number => {
  const table = crcTable ?? makeTable()
  let crc = 0
  for (let i = 0; i < bytes.length; i++) crc = ((crc << 8) & 0xffff) ^ table[((crc >> 8) ^ bytes[i]!) & 0xff]!
  return crc
}

const slotOfBytes = (key: Uint8Array): number => {
  const open = key.indexOf(OPEN)
  if (open !== -1) {
    const close = key.indexOf(CLOSE, open + 1)
    // A non-empty tag holds no `}`, so the library hashes all of it.
    if (close > open + 1) return calculateSlot(Buffer.from(key.buffer, key.byteOffset + open + 1, close - open - 1))
    if (close !== -1 && key.indexOf(CLOSE, close + 1) !== -1) return crc16(key) & MAX_SLOT
  }
  return calculateSlot(Buffer.isBuffer(key) ? key : Buffer.from(key.buffer, key.byteOffset, key.byteLength))
}

/**
 * The hash slot of a key, as Redis computes it: CRC16 of the hash tag (the bytes between the first
 * `{` and the next `}`, when not empty) or else of the whole key. `"foo{}{bar}"` hashes whole,
 * `"foo{{bar}}"` hashes `"{bar"`. Strings hash as their UTF-8 bytes (as sent), so a string key and
 * its Buffer give the same slot.
 *
 * @since 0.1.0
 * @category hashing
 */
export const slot = (key: string | Uint8Array): number => {
  if (typeof key !== "string") return slotOfBytes(key)
  // Redis looks at the first `{` and the first `}` after it; an empty tag hashes the whole key.
  // `{` and `}` never occur inside a multi-byte UTF-8 sequence, so UTF-16 indices find the same tag.
  let start = 0
  let end = key.length
  const open = key.indexOf("{")
  if (open !== -1) {
    const close = key.indexOf("}", open + 1)
    if (close > open + 1) {
      start = open + 1
      end = close
    }
  }
  const ascii = crc16Ascii(key, start, end)
  // Non-ASCII text hashes as the UTF-8 bytes we send (lone surrogates become U+FFFD).
  return ascii === -1 ? slotOfBytes(Buffer.from(key, "utf8")) : ascii & MAX_SLOT
}

/** CRC16 of an ASCII substring straight from its char codes, or -1 when it is not ASCII. */
const crc16Ascii = (s: string, start: number, end: number): number => {
  const table = crcTable ?? makeTable()
  let crc = 0
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x80) return -1
    crc = ((crc << 8) & 0xffff) ^ table[((crc >> 8) ^ c) & 0xff]!
  }
  return crc
}

/**
 * Compresses slots (any order, duplicates allowed) into sorted, disjoint, maximal inclusive ranges:
 * `[0, 1, 2, 5]` → `[{ start: 0, end: 2 }, { start: 5, end: 5 }]`.
 *
 * @since 0.1.0
 * @category utils
 */
export const rangesOf = (slots: Iterable<number>): ReadonlyArray<SlotRange> => {
  const sorted = Array.from(slots).sort((a, b) => a - b)
  const ranges: Array<SlotRange> = []
  let i = 0
  while (i < sorted.length) {
    const start = sorted[i]!
    let end = start
    i++
    while (i < sorted.length && sorted[i]! <= end + 1) {
      end = Math.max(end, sorted[i]!)
      i++
    }
    ranges.push({ start, end })
  }
  return ranges
}
