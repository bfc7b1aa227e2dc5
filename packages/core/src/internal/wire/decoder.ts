/**
 * The incremental RESP2 + RESP3 decoder behind `Resp.Decoder` (re-exported there).
 *
 * @since 0.1.0
 * @internal
 */
import type { RespValue } from "./values.js"
import { Attributed, DecodeFailure, ErrorReply, Push, VerbatimString } from "./values.js"

/**
 * Limits that keep a misbehaving or hostile peer from exhausting memory or the stack.
 *
 * @since 0.1.0
 * @category decoding
 */
export interface DecoderOptions {
  /**
   * Longest bulk string / bulk error / verbatim string (and simple-string, error and big-number
   * line), in bytes. Default 512 MiB here; a cluster client sets it from its `maxReplyBulkBytes`
   * option (default 64 MiB).
   */
  readonly maxBulkLength?: number
  /** Deepest nesting of aggregates (arrays, maps, sets, pushes, attributes). Default 128. */
  readonly maxDepth?: number
  /**
   * Most elements in one array / set / push, or pairs in one map / attribute, checked on the
   * declared length. Default 2^32 - 1 here; a cluster client sets it from its `maxReplyElements`
   * option (default 2^24).
   */
  readonly maxAggregateLength?: number
  /**
   * The fed chunks' memory is reused by the reader once `release()` was called (a socket read
   * into one buffer): byte values are always copied out, and `release()` copies the unconsumed
   * tail. Default `false`: chunks are kept as they are and small byte values share their memory.
   */
  readonly transientChunks?: boolean
}

const DEFAULT_MAX_BULK = 512 * 1024 * 1024
const DEFAULT_MAX_DEPTH = 128
const DEFAULT_MAX_AGGREGATE = 2 ** 32 - 1

// A failure reaches users as a ProtocolError's reason: it names the client option that sets the
// limit (RedisClusterConfig's), the one they can change, next to the decoder's own name for it.
const BULK_CLIENT_OPTION = " (client option maxReplyBulkBytes)"
const AGGREGATE_CLIENT_OPTION = " (client option maxReplyElements)"

/** Longest `:` integer line (sign and digits) before the bytes are called garbage. */
const MAX_INTEGER_LINE = 32
/** Longest `,` double line. */
const MAX_DOUBLE_LINE = 512
/** Strings up to this many bytes are decoded by a JS loop when ASCII (cheaper than a native call). */
const SMALL_STRING = 12

// Frame kinds of the aggregate stack.
const K_ARRAY = 0
const K_MAP = 1
const K_SET = 2
const K_PUSH = 3
/** Collecting an attribute map. */
const K_ATTR = 4
/** Attribute map collected; waiting for the one value it is attached to. */
const K_ATTR_VALUE = 5

const KIND_NAMES = ["array", "map", "set", "push", "attribute"] as const

// Results of `readLength` besides a length.
const LEN_NULL = -1
const LEN_NEED = -2
const LEN_FAIL = -3

/** An aggregate being filled: consumed elements live here, so parsing resumes after the last one. */
class Frame {
  constructor(
    public kind: number,
    /** Elements still to come (2 per map / attribute pair). */
    public remaining: number,
    public items: Array<RespValue>,
    public attributes: Map<RespValue, RespValue> | undefined
  ) {}
}

/** Sentinel: the current element is incomplete. */
const NEED: unique symbol = Symbol("keyslot/Resp/need")
/** Sentinel: an aggregate header was consumed and its frame pushed. */
const OPENED: unique symbol = Symbol("keyslot/Resp/opened")
/** Sentinel: the bytes are invalid; `failure` is set. */
const FAILED: unique symbol = Symbol("keyslot/Resp/failed")

type Step = RespValue | typeof NEED | typeof OPENED | typeof FAILED

const EMPTY = Buffer.alloc(0)

const asBuffer = (chunk: Uint8Array): Buffer =>
  Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)

const hex = (byte: number | undefined): string =>
  byte === undefined ? "end of input" : `0x${byte.toString(16).padStart(2, "0").toUpperCase()}`

const pairsToMap = (items: ReadonlyArray<RespValue>): Map<RespValue, RespValue> => {
  const map = new Map<RespValue, RespValue>()
  for (let i = 0; i < items.length; i += 2) map.set(items[i]!, items[i + 1]!)
  return map
}

const DOUBLE_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/
const BIG_TEXT = /^[+-]?\d+$/

/** A `:` integer's text as a number when safe, else a bigint; the caller validated the digits. */
const integerOf = (text: string): number | bigint => {
  const big = BigInt(text)
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big
}

/** A `,` double's text, or undefined when it is not one (RESP3 `inf`, `-inf`, `nan` included). */
const doubleOf = (text: string): number | undefined => {
  switch (text.toLowerCase()) {
    case "inf":
    case "+inf":
      return Infinity
    case "-inf":
      return -Infinity
    case "nan":
    case "-nan":
    case "+nan":
      return NaN
  }
  return DOUBLE_TEXT.test(text) ? Number(text) : undefined
}

/**
 * An incremental RESP2 + RESP3 decoder. Feed it chunks as they arrive (split anywhere) and pull
 * complete top-level values with `next`.
 *
 * Chunks are parsed in place. Elements of an aggregate are kept as they complete, so a long reply
 * spread over many chunks is parsed once; only the unconsumed tail of one element is ever copied,
 * and a long bulk string waits (without re-parsing) until all of its bytes are in.
 *
 * @since 0.1.0
 * @category decoding
 */
export class Decoder {
  private readonly maxBulk: number
  private readonly maxDepth: number
  private readonly maxAggregate: number

  /** The bytes being parsed; `buf[pos]` is the first unconsumed one. */
  private buf: Buffer = EMPTY
  private pos = 0
  /** Stream offset of `buf[0]`, for error messages. */
  private base = 0
  /** Chunks that arrived while an element was incomplete and are not yet joined to `buf`. */
  private parts: Array<Buffer> = []
  private partsLength = 0
  /** Whether `parts` may complete the pending element (so `next` should join and parse). */
  private ready = false
  /** Bytes (from `pos`) the pending element needs at least; 0 when nothing is known to be missing. */
  private need = 0
  /** The pending element is a line: nothing is decided before a `\r` arrives (or `lineLimit` is passed). */
  private needLine = false
  private lineLimit = 0
  /** Open aggregates of the top-level value being decoded. */
  private readonly stack: Array<Frame> = []
  /** Bytes mode of the top-level value being decoded (latched when it starts). */
  private bytesMode = false
  /** Set by a helper that returns a `LEN_*`/sentinel result. */
  private cursor = 0
  private failure: DecodeFailure | undefined = undefined
  private readonly transient: boolean
  /** `buf` is a fed chunk the reader will overwrite (`transientChunks`), not a copy of ours. */
  private borrowed = false

  constructor(options?: DecoderOptions) {
    this.maxBulk = options?.maxBulkLength ?? DEFAULT_MAX_BULK
    this.maxDepth = options?.maxDepth ?? DEFAULT_MAX_DEPTH
    this.maxAggregate = options?.maxAggregateLength ?? DEFAULT_MAX_AGGREGATE
    this.transient = options?.transientChunks === true
  }

  /**
   * With `transientChunks`: the chunks fed so far are about to be overwritten, so what is still
   * needed of them (an incomplete element) is copied now. A no-op otherwise.
   */
  release(): void {
    if (!this.borrowed) return
    // Only the chunk parsed in place is borrowed: `parts` were copied as they came.
    this.borrowed = false
    const tail = this.buf.length - this.pos
    this.base += this.pos
    this.buf = tail === 0 ? EMPTY : Buffer.from(this.buf.subarray(this.pos))
    this.pos = 0
  }

  /** Bytes fed but not yet consumed (for tests/diagnostics). */
  get buffered(): number {
    return this.buf.length - this.pos + this.partsLength
  }

  /** Appends a chunk (a Node Buffer / Uint8Array). Keeps a reference to it; does not copy it. */
  feed(chunk: Uint8Array): void {
    if (this.failure !== undefined || chunk.length === 0) return
    const b = asBuffer(chunk)
    if (this.partsLength === 0 && this.pos >= this.buf.length) {
      // Everything before was consumed: parse the new chunk where it lies.
      this.base += this.buf.length
      this.buf = b
      this.pos = 0
      this.borrowed = this.transient
      return
    }
    // Copied once, now: copying at each release would copy a long value's chunks over and over.
    this.parts.push(this.transient ? Buffer.from(b) : b)
    this.partsLength += b.length
    if (!this.ready) {
      const available = this.buf.length - this.pos + this.partsLength
      this.ready = this.needLine
        ? b.indexOf(13) !== -1 || available > this.lineLimit
        : available >= this.need
    }
  }

  /**
   * The next complete top-level value, `undefined` when more bytes are needed, or a `DecodeFailure`.
   * `bytes`: decode the bulk and simple strings of this top-level value as `Uint8Array` (Buffer)
   * instead of UTF-8 `string` (the mode is taken when the value's first byte is decoded).
   */
  next(bytes?: boolean): RespValue | DecodeFailure | undefined {
    if (this.failure !== undefined) return this.failure
    if (this.partsLength > 0) {
      if (!this.ready) return undefined
      this.join()
    }
    if (this.stack.length === 0) this.bytesMode = bytes === true
    try {
      const out = this.parse()
      return out === NEED ? undefined : out === FAILED ? this.failure : out as RespValue
    } catch (cause) {
      // A bug, not bad input: still never throw at the connection.
      return this.fail(`internal decoder error: ${String(cause)}`)
    }
  }

  /** Forgets all buffered bytes, partial values and a failure. */
  reset(): void {
    this.buf = EMPTY
    this.borrowed = false
    this.pos = 0
    this.base = 0
    this.parts = []
    this.partsLength = 0
    this.ready = false
    this.need = 0
    this.needLine = false
    this.stack.length = 0
    this.failure = undefined
  }

  /** Joins the unconsumed tail and the waiting chunks into one buffer. */
  private join(): void {
    const tail = this.buf.subarray(this.pos)
    this.base += this.pos
    this.buf = Buffer.concat(tail.length === 0 ? this.parts : [tail, ...this.parts])
    this.borrowed = false
    this.pos = 0
    this.parts = []
    this.partsLength = 0
    this.ready = false
  }

  private fail(reason: string): DecodeFailure {
    const failure = new DecodeFailure(reason)
    this.failure = failure
    this.stack.length = 0
    this.parts = []
    this.partsLength = 0
    // A failed decoder decodes nothing more: let go of the bytes (a limit exists to bound them).
    this.buf = EMPTY
    this.pos = 0
    this.borrowed = false
    return failure
  }

  private failAt(what: string, at: number): typeof FAILED {
    this.fail(`${what} at offset ${this.base + at}`)
    return FAILED
  }

  /** Records that the element starting at `start` needs at least `need` bytes. */
  private waitFor(start: number, need: number): typeof NEED {
    this.pos = start
    this.need = need
    this.needLine = false
    this.ready = false
    return NEED
  }

  /** Records that the line starting at `start` has no `\r\n` yet. */
  private waitForLine(start: number, limit: number): typeof NEED {
    this.pos = start
    this.need = 0
    this.needLine = true
    this.lineLimit = limit
    this.ready = false
    return NEED
  }

  /** Decodes until a top-level value completes, bytes run out, or the bytes are invalid. */
  private parse(): RespValue | typeof NEED | typeof FAILED {
    const stack = this.stack
    for (;;) {
      let value = this.element()
      if (value === NEED || value === FAILED) return value
      if (value === OPENED) continue
      // Deliver the value: to the caller at top level, else into the open aggregates (closing those it fills).
      for (;;) {
        const top = stack[stack.length - 1]
        if (top === undefined) {
          this.need = 0
          this.needLine = false
          return value
        }
        top.items.push(value)
        if (--top.remaining > 0) break
        if (top.kind === K_ATTR) {
          top.kind = K_ATTR_VALUE
          top.attributes = pairsToMap(top.items)
          top.items = []
          top.remaining = 1
          break
        }
        stack.pop()
        value = this.close(top)
      }
    }
  }

  private close(frame: Frame): RespValue {
    switch (frame.kind) {
      case K_ARRAY:
        return frame.items
      case K_MAP:
        return pairsToMap(frame.items)
      case K_SET:
        return new Set(frame.items)
      case K_PUSH:
        return new Push(frame.items)
      default: {
        const value = frame.items[0]!
        // A push is out of band: the connection routes it by its class, and one wrapped in
        // `Attributed` would be taken for a command's reply. Its attributes (RESP3 sends them only
        // as metadata, e.g. with client-side caching) are dropped so that it stays a `Push`.
        return value instanceof Push ? value : new Attributed(frame.attributes!, value)
      }
    }
  }

  /** An aggregate header with `n` elements: the empty value at once, else a new frame. */
  private open(kind: number, n: number, start: number): Step {
    if (n === 0) {
      switch (kind) {
        case K_ARRAY:
          return []
        case K_MAP:
          return new Map()
        case K_SET:
          return new Set()
        case K_PUSH:
          return new Push([])
      }
    }
    if (this.stack.length >= this.maxDepth) {
      return this.failAt(`aggregate nesting deeper than maxDepth ${this.maxDepth}`, start)
    }
    if (kind === K_ATTR) {
      this.stack.push(n === 0 ? new Frame(K_ATTR_VALUE, 1, [], new Map()) : new Frame(K_ATTR, 2 * n, [], undefined))
    } else {
      this.stack.push(new Frame(kind, kind === K_MAP ? 2 * n : n, [], undefined))
    }
    return OPENED
  }

  /**
   * Reads `<digits>\r\n` at `p` (after a type byte), bounded by `maxBulkLength` (`bulk`) or
   * `maxAggregateLength`. Returns the length (cursor set after the `\r\n`),
   * `LEN_NULL` for `-1` when `nullable`, `LEN_NEED`, or `LEN_FAIL` (failure set).
   */
  private readLength(p: number, bulk: boolean, nullable: boolean, what: string): number {
    const max = bulk ? this.maxBulk : this.maxAggregate
    const buf = this.buf
    const end = buf.length
    if (p >= end) return LEN_NEED
    let c = buf[p]!
    if (c === 45) {
      // Only `-1` (the RESP2 null) is a meaningful negative length.
      if (p + 1 >= end) return LEN_NEED
      if (buf[p + 1] !== 49) return this.lengthFailure(`invalid ${what} length: negative`, p)
      if (p + 2 >= end) return LEN_NEED
      if (buf[p + 2] !== 13) return this.lengthFailure(`invalid ${what} length: negative`, p)
      if (p + 3 >= end) return LEN_NEED
      if (buf[p + 3] !== 10) return this.lengthFailure(`expected \\n after \\r, got ${hex(buf[p + 3])}`, p + 3)
      if (!nullable) return this.lengthFailure(`invalid ${what} length -1`, p)
      this.cursor = p + 4
      return LEN_NULL
    }
    if (c === 63) return this.lengthFailure(`streamed ${what} (length "?") is not supported`, p)
    let n = 0
    let i = p
    for (; i < end; i++) {
      c = buf[i]!
      if (c >= 48 && c <= 57) {
        n = n * 10 + (c - 48)
        if (n > max) {
          const option = bulk ? `maxBulkLength ${max}${BULK_CLIENT_OPTION}` : `maxAggregateLength ${max}${AGGREGATE_CLIENT_OPTION}`
          return this.lengthFailure(`${what} length exceeds ${option}`, p)
        }
        continue
      }
      if (c !== 13 || i === p) return this.lengthFailure(`invalid byte ${hex(c)} in ${what} length`, i)
      if (i + 1 >= end) return LEN_NEED
      if (buf[i + 1] !== 10) return this.lengthFailure(`expected \\n after \\r, got ${hex(buf[i + 1])}`, i + 1)
      this.cursor = i + 2
      return n
    }
    return LEN_NEED
  }

  private lengthFailure(what: string, at: number): number {
    this.failAt(what, at)
    return LEN_FAIL
  }

  /** Index of the `\r` ending the line from `p`, or -1. */
  private findCR(p: number): number {
    const buf = this.buf
    const end = buf.length
    // Most lines are short: a JS scan beats the native indexOf call for the first bytes.
    const stop = Math.min(end, p + 32)
    for (let i = p; i < stop; i++) if (buf[i] === 13) return i
    return stop === end ? -1 : buf.indexOf(13, stop)
  }

  /**
   * The line of the element at `start` (type byte excluded): returns the `\r` index with the
   * `\n` checked (cursor set after it), `NEED`, or `FAILED`.
   */
  private line(start: number, limit: number, what: string): number | typeof NEED | typeof FAILED {
    const cr = this.findCR(start + 1)
    const end = this.buf.length
    if (cr === -1) {
      if (end - start - 1 > limit) return this.tooLong(what, limit, start)
      return this.waitForLine(start, limit + 1)
    }
    if (cr - start - 1 > limit) return this.tooLong(what, limit, start)
    // Only the `\n` is missing: one more byte decides.
    if (cr + 1 >= end) return this.waitFor(start, end - start + 1)
    if (this.buf[cr + 1] !== 10) return this.failAt(`expected \\n after \\r, got ${hex(this.buf[cr + 1])}`, cr + 1)
    this.cursor = cr + 2
    return cr
  }

  private tooLong(what: string, limit: number, start: number): typeof FAILED {
    return this.failAt(`${what} longer than ${limit === this.maxBulk ? `maxBulkLength ${limit} bytes${BULK_CLIENT_OPTION}` : `${limit} bytes`}`, start)
  }

  /** Text of `buf[s, e)`: UTF-8, with a JS fast path for short ASCII. */
  private text(s: number, e: number): string {
    const buf = this.buf
    if (e - s <= SMALL_STRING) {
      let out = ""
      for (let i = s; i < e; i++) {
        const c = buf[i]!
        if (c >= 128) return buf.toString("utf8", s, e)
        out += String.fromCharCode(c)
      }
      return out
    }
    return buf.toString("utf8", s, e)
  }

  /**
   * Bytes of `buf[s, e)`. A value that is most of the buffer shares its memory; a small one is
   * copied so that it does not pin a whole socket chunk for as long as the user keeps it.
   */
  private bytes(s: number, e: number): Buffer {
    const buf = this.buf
    const n = e - s
    if (n * 2 >= buf.length && !this.borrowed) return buf.subarray(s, e)
    const out = Buffer.allocUnsafe(n)
    // A JS copy beats the native call for short values.
    if (n <= 64) for (let i = 0; i < n; i++) out[i] = buf[s + i]!
    else buf.copy(out, 0, s, e)
    return out
  }

  /** Decodes one element at `pos`: a scalar, an opened aggregate, `NEED` or `FAILED`. */
  private element(): Step {
    const buf = this.buf
    const end = buf.length
    const start = this.pos
    if (start >= end) return this.waitFor(start, 1)
    const type = buf[start]!
    switch (type) {
      case 36: // $ bulk string
      case 33: // ! bulk error
      case 61: { // = verbatim string
        const what = type === 36 ? "bulk string" : type === 33 ? "bulk error" : "verbatim string"
        const n = this.readLength(start + 1, true, type === 36, what)
        if (n < 0) {
          if (n === LEN_NULL) {
            this.pos = this.cursor
            return null
          }
          return n === LEN_NEED ? this.waitFor(start, end - start + 1) : FAILED
        }
        const s = this.cursor
        const e = s + n
        if (e + 2 > end) return this.waitFor(start, e + 2 - start)
        if (buf[e] !== 13 || buf[e + 1] !== 10) {
          return this.failAt(`expected \\r\\n after ${what} payload, got ${hex(buf[e])} ${hex(buf[e + 1])}`, e)
        }
        this.pos = e + 2
        if (type === 36) return this.bytesMode ? this.bytes(s, e) : this.text(s, e)
        if (type === 33) return new ErrorReply(buf.toString("utf8", s, e))
        if (n < 4 || buf[s + 3] !== 58) return this.failAt("verbatim string without a 3-byte format and ':'", s)
        return new VerbatimString(buf.toString("latin1", s, s + 3), this.bytesMode ? this.bytes(s + 4, e) : this.text(s + 4, e))
      }
      case 43: // + simple string
      case 45: { // - error
        const cr = this.line(start, this.maxBulk, type === 43 ? "simple string" : "error")
        if (typeof cr !== "number") return cr
        this.pos = this.cursor
        if (type === 45) return new ErrorReply(buf.toString("utf8", start + 1, cr))
        return this.bytesMode ? this.bytes(start + 1, cr) : this.text(start + 1, cr)
      }
      case 58: // : integer
        return this.integer(start)
      case 42: // * array
      case 37: // % map
      case 126: // ~ set
      case 62: // > push
      case 124: { // | attribute
        const kind = type === 42 ? K_ARRAY : type === 37 ? K_MAP : type === 126 ? K_SET : type === 62 ? K_PUSH : K_ATTR
        const n = this.readLength(start + 1, false, kind === K_ARRAY, KIND_NAMES[kind]!)
        if (n < 0) {
          if (n === LEN_NULL) {
            this.pos = this.cursor
            return null
          }
          return n === LEN_NEED ? this.waitFor(start, end - start + 1) : FAILED
        }
        this.pos = this.cursor
        return this.open(kind, n, start)
      }
      case 95: { // _ null
        if (start + 2 >= end) return this.waitFor(start, 3)
        if (buf[start + 1] !== 13 || buf[start + 2] !== 10) return this.failAt("null (_) not followed by \\r\\n", start + 1)
        this.pos = start + 3
        return null
      }
      case 35: { // # boolean
        if (start + 3 >= end) return this.waitFor(start, 4)
        const c = buf[start + 1]
        if ((c !== 116 && c !== 102) || buf[start + 2] !== 13 || buf[start + 3] !== 10) {
          return this.failAt("boolean is not #t\\r\\n or #f\\r\\n", start)
        }
        this.pos = start + 4
        return c === 116
      }
      case 44: { // , double
        const cr = this.line(start, MAX_DOUBLE_LINE, "double")
        if (typeof cr !== "number") return cr
        const d = doubleOf(buf.toString("latin1", start + 1, cr))
        if (d === undefined) return this.failAt("invalid double", start)
        this.pos = this.cursor
        return d
      }
      case 40: { // ( big number
        const cr = this.line(start, this.maxBulk, "big number")
        if (typeof cr !== "number") return cr
        const text = buf.toString("latin1", start + 1, cr)
        if (!BIG_TEXT.test(text)) return this.failAt("invalid big number", start)
        this.pos = this.cursor
        return BigInt(text)
      }
      case 59: // ; streamed string chunk
      case 46: // . end of a streamed aggregate
        return this.failAt(`streamed RESP3 frames (type byte ${hex(type)}) are not supported`, start)
      default:
        return this.failAt(`unknown RESP type byte ${hex(type)}`, start)
    }
  }

  /** `:[+-]<digits>\r\n`: a number when safe, else a bigint. */
  private integer(start: number): Step {
    const buf = this.buf
    const end = buf.length
    let i = start + 1
    let negative = false
    if (i < end && (buf[i] === 45 || buf[i] === 43)) {
      negative = buf[i] === 45
      i++
    }
    const digits = i
    let n = 0
    for (; i < end; i++) {
      const c = buf[i]!
      if (c < 48 || c > 57) break
      n = n * 10 + (c - 48)
    }
    if (i - start > MAX_INTEGER_LINE) return this.failAt("integer longer than 32 bytes", start)
    if (i >= end) return this.waitFor(start, end - start + 1)
    if (buf[i] !== 13 || i === digits) return this.failAt(`invalid byte ${hex(buf[i])} in integer`, i)
    if (i + 1 >= end) return this.waitFor(start, end - start + 1)
    if (buf[i + 1] !== 10) return this.failAt(`expected \\n after \\r, got ${hex(buf[i + 1])}`, i + 1)
    this.pos = i + 2
    // Up to 15 digits the accumulated double is exact.
    if (i - digits <= 15) return negative ? (n === 0 ? 0 : -n) : n
    return integerOf(buf.toString("latin1", start + 1, i))
  }
}
