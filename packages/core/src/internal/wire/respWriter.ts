/**
 * A growing byte buffer that RESP frames are written into directly: no Buffer per argument,
 * many commands per buffer, and `take` hands out slices of one slab so a burst of small writes
 * costs one allocation.
 *
 * @internal
 */

/** Bytes allocated when the slab runs out (and the least a grown buffer has). */
const SLAB_SIZE = 64 * 1024

/** A slab with less room than this left is dropped rather than sliced for the next batch. */
const MIN_REMAINING = 2 * 1024

/** ASCII strings up to this many UTF-16 units are written by a JS loop (cheaper than two native calls). */
const ASCII_FAST_PATH = 256

/** Decimal digits of a non-negative safe integer. */
const digitCount = (n: number): number => {
  if (n < 10) return 1
  if (n < 100) return 2
  if (n < 1000) return 3
  if (n < 10000) return 4
  if (n < 100000) return 5
  if (n < 1000000) return 6
  if (n < 10000000) return 7
  if (n < 100000000) return 8
  if (n < 1000000000) return 9
  return String(n).length
}

/** Text of a number argument as Redis parses it (`+inf`/`-inf` rather than JavaScript's `Infinity`). */
const numberText = (n: number): string =>
  n === Infinity ? "+inf" : n === -Infinity ? "-inf" : Number.isNaN(n) ? "nan" : String(n)

/**
 * The growing buffer behind `CommandWriter` and `encodeValue`.
 *
 * @since 0.1.0
 * @category encoding
 */
export class ByteWriter {
  /** The region being written; queued bytes are `buf[0, len)`. */
  buf: Buffer
  /** Bytes queued. */
  len = 0

  constructor() {
    this.buf = Buffer.allocUnsafe(SLAB_SIZE)
  }

  /** Makes room for `n` more bytes, keeping what is queued. */
  ensure(n: number): void {
    if (this.len + n > this.buf.length) this.grow(n)
  }

  private grow(n: number): void {
    const next = Buffer.allocUnsafe(Math.max(SLAB_SIZE, (this.len + n) * 2))
    this.buf.copy(next, 0, 0, this.len)
    this.buf = next
  }

  /** Everything queued; the writer continues in the unused rest of the slab (never overlapping it). */
  take(): Buffer {
    const out = this.buf.subarray(0, this.len)
    this.buf = this.buf.length - this.len >= MIN_REMAINING
      ? this.buf.subarray(this.len)
      : Buffer.allocUnsafe(SLAB_SIZE)
    this.len = 0
    return out
  }

  /** `<prefix><n>\r\n` for a non-negative integer `n` (a length). */
  header(prefix: number, n: number): void {
    this.ensure(24)
    const buf = this.buf
    let p = this.len
    buf[p++] = prefix
    p = writeUint(buf, p, n)
    buf[p++] = 13
    buf[p++] = 10
    this.len = p
  }

  /** Raw ASCII text (no framing); the caller guarantees every char is < 128. */
  ascii(s: string): void {
    const n = s.length
    this.ensure(n)
    const buf = this.buf
    const p = this.len
    for (let i = 0; i < n; i++) buf[p + i] = s.charCodeAt(i)
    this.len = p + n
  }

  /** Raw UTF-8 text (no framing). */
  utf8(s: string): void {
    this.ensure(Buffer.byteLength(s, "utf8"))
    this.len += this.buf.write(s, this.len, "utf8")
  }

  /** Raw bytes (no framing). */
  bytes(b: Uint8Array): void {
    this.ensure(b.length)
    this.buf.set(b, this.len)
    this.len += b.length
  }

  /** `\r\n`. */
  crlf(): void {
    this.ensure(2)
    this.buf[this.len++] = 13
    this.buf[this.len++] = 10
  }

  /** A bulk string `$<n>\r\n<utf8>\r\n`. */
  bulkString(s: string): void {
    const units = s.length
    if (units <= ASCII_FAST_PATH) {
      // Assume ASCII (byte length = units); restart on the first non-ASCII unit.
      this.ensure(units + 24)
      const buf = this.buf
      let p = this.len
      buf[p++] = 36
      p = writeUint(buf, p, units)
      buf[p++] = 13
      buf[p++] = 10
      let i = 0
      for (; i < units; i++) {
        const c = s.charCodeAt(i)
        if (c >= 128) break
        buf[p + i] = c
      }
      if (i === units) {
        p += units
        buf[p++] = 13
        buf[p++] = 10
        this.len = p
        return
      }
    }
    const n = Buffer.byteLength(s, "utf8")
    this.ensure(n + 24)
    const buf = this.buf
    let p = this.len
    buf[p++] = 36
    p = writeUint(buf, p, n)
    buf[p++] = 13
    buf[p++] = 10
    p += buf.write(s, p, "utf8")
    buf[p++] = 13
    buf[p++] = 10
    this.len = p
  }

  /** A bulk string of raw bytes. */
  bulkBytes(b: Uint8Array): void {
    const n = b.length
    this.ensure(n + 24)
    const buf = this.buf
    let p = this.len
    buf[p++] = 36
    p = writeUint(buf, p, n)
    buf[p++] = 13
    buf[p++] = 10
    buf.set(b, p)
    p += n
    buf[p++] = 13
    buf[p++] = 10
    this.len = p
  }

  /** A number as a bulk string of its decimal text. */
  bulkNumber(n: number): void {
    if (Number.isSafeInteger(n)) {
      this.ensure(48)
      const buf = this.buf
      let p = this.len
      const neg = n < 0
      const abs = neg ? -n : n
      buf[p++] = 36
      p = writeUint(buf, p, digitCount(abs) + (neg ? 1 : 0))
      buf[p++] = 13
      buf[p++] = 10
      if (neg) buf[p++] = 45
      p = writeUint(buf, p, abs)
      buf[p++] = 13
      buf[p++] = 10
      this.len = p
      return
    }
    const s = numberText(n)
    this.header(36, s.length)
    this.ascii(s)
    this.crlf()
  }
}

/** Writes the decimal digits of a non-negative safe integer at `p`; returns the offset after them. */
const writeUint = (buf: Buffer, p: number, n: number): number => {
  if (n < 10) {
    buf[p] = 48 + n
    return p + 1
  }
  const d = digitCount(n)
  let i = p + d - 1
  while (n >= 10) {
    const q = Math.floor(n / 10)
    buf[i--] = 48 + (n - q * 10)
    n = q
  }
  buf[i] = 48 + n
  return p + d
}
