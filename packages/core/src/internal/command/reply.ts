/**
 * Reply coercions shared by command decoders. Each returns the typed value, or a `ReplyShape`
 * naming what was expected: decoders never throw, and the same decoder reads RESP2 and RESP3.
 *
 * @internal
 */
import { Option } from "effect"
import * as Resp from "../../Resp.js"

/**
 * A reply of the wrong shape; the caller turns it into a `ProtocolError`.
 *
 * @since 0.1.0
 * @category models
 */
export class ReplyShape {
  constructor(readonly expected: string, readonly got: Resp.RespValue) {}
  get reason(): string {
    return `expected ${this.expected}, got ${describe(this.got)}`
  }
}

/**
 * An integer reply outside `Number`'s safe range (beyond ±(2^53 − 1)): as a `number` it would be
 * silently rounded (9007199254740993 reads as 9007199254740992), so `integer` refuses it and the
 * command fails with a `ProtocolError` whose reason names the exact value. The command did run:
 * only its reply could not be given as a number.
 *
 * @since 0.1.0
 * @category models
 */
export class UnsafeInteger extends ReplyShape {
  constructor(
    /** The exact value, as the server sent it. */
    readonly value: bigint,
    got: Resp.RespValue
  ) {
    super("a safe integer", got)
  }
  override get reason(): string {
    return `integer reply ${this.value} is beyond Number.MAX_SAFE_INTEGER (${Number.MAX_SAFE_INTEGER}) in magnitude: ` +
      `as a number it would be rounded; read it as a bigint (incrbyBig, decrbyBig, hincrbyBig, or command.asBytes() for any command)`
  }
}

/**
 * A record with no prototype, for records keyed by names that come from the server (hash fields,
 * config parameters, channels): in a plain `{}`, assigning `"__proto__"` would set the prototype
 * instead of adding the field, and `"constructor"` or `"toString"` would read as inherited
 * functions before they are assigned.
 *
 * @since 0.1.0
 * @category utils
 */
export const newRecord = <V>(): Record<string, V> => Object.create(null) as Record<string, V>

/**
 * A short description of a reply, for error messages.
 *
 * @since 0.1.0
 * @category utils
 */
export const describe = (v: Resp.RespValue): string => {
  if (v === null) return "null"
  if (typeof v === "string") return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)}`
  if (v instanceof Uint8Array) return `${v.length} bytes`
  if (typeof v === "number" || typeof v === "bigint") return `number ${v}`
  if (typeof v === "boolean") return `boolean ${v}`
  if (Array.isArray(v)) return `array of ${v.length}`
  if (v instanceof Map) return `map of ${v.size}`
  if (v instanceof Set) return `set of ${v.size}`
  return (v as object).constructor.name
}

const textDecoder = new TextDecoder()

/**
 * Unwraps RESP3 attributes and verbatim strings, which decoders treat as their plain value.
 *
 * @since 0.1.0
 * @category utils
 */
export const plain = (v: Resp.RespValue): Resp.RespValue => {
  if (v instanceof Resp.Attributed) return plain(v.value)
  if (v instanceof Resp.VerbatimString) return v.text
  return v
}

/**
 * A string (bulk, simple, verbatim; bytes decoded as UTF-8).
 *
 * @since 0.1.0
 * @category utils
 */
export const string = (v: Resp.RespValue): string | ReplyShape => {
  v = plain(v)
  if (typeof v === "string") return v
  if (v instanceof Uint8Array) return textDecoder.decode(v)
  if (typeof v === "number" || typeof v === "bigint") return String(v)
  return new ReplyShape("a string", v)
}

/**
 * Nil as none, anything else through `f`.
 *
 * @since 0.1.0
 * @category utils
 */
export const optional = <A>(f: (v: Resp.RespValue) => A | ReplyShape) => (v: Resp.RespValue): Option.Option<A> | ReplyShape => {
  if (plain(v) === null) return Option.none()
  const a = f(v)
  return a instanceof ReplyShape ? a : Option.some(a)
}

/**
 * A string or nil.
 *
 * @since 0.1.0
 * @category utils
 */
export const optionalString: (v: Resp.RespValue) => Option.Option<string> | ReplyShape = optional(string)

/**
 * Bytes (for commands asked for as bytes; a text reply is encoded as UTF-8).
 *
 * @since 0.1.0
 * @category utils
 */
export const bytes = (v: Resp.RespValue): Uint8Array | ReplyShape => {
  v = plain(v)
  if (v instanceof Uint8Array) return v
  if (typeof v === "string") return Buffer.from(v)
  return new ReplyShape("bytes", v)
}

/**
 * Bytes or nil (for commands asked for as bytes).
 *
 * @since 0.1.0
 * @category utils
 */
export const optionalBytes: (v: Resp.RespValue) => Option.Option<Uint8Array> | ReplyShape = optional(bytes)

const INTEGER_TEXT = /^[+-]?\d+$/

/**
 * An integer reply as a number. A value beyond `Number.MAX_SAFE_INTEGER` in magnitude (the wire
 * decoder gives it as a `bigint`; RESP2 bulk strings may carry one as digits) is an
 * `UnsafeInteger`, never a rounded number.
 *
 * @since 0.1.0
 * @category utils
 */
export const integer = (v: Resp.RespValue): number | ReplyShape => {
  v = plain(v)
  if (typeof v === "number") return v
  if (typeof v === "bigint") {
    const n = Number(v)
    return Number.isSafeInteger(n) && BigInt(n) === v ? n : new UnsafeInteger(v, v)
  }
  if (typeof v === "boolean") return v ? 1 : 0
  if (typeof v === "string" && v !== "" && !Number.isNaN(Number(v))) {
    const n = Number(v)
    // Digits only: an exact integer the server meant, so rounding it would change it.
    if (!Number.isSafeInteger(n) && INTEGER_TEXT.test(v)) return new UnsafeInteger(BigInt(v), v)
    return n
  }
  return new ReplyShape("an integer", v)
}

/**
 * An integer reply as a `bigint`, exact over Redis' whole signed 64-bit range (for counters that
 * may pass 2^53).
 *
 * @since 0.1.0
 * @category utils
 */
export const bigInteger = (v: Resp.RespValue): bigint | ReplyShape => {
  v = plain(v)
  if (typeof v === "bigint") return v
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v)
  if (v instanceof Uint8Array) v = textDecoder.decode(v)
  if (typeof v === "string" && INTEGER_TEXT.test(v)) return BigInt(v)
  return new ReplyShape("an integer", v)
}

/**
 * An integer or nil.
 *
 * @since 0.1.0
 * @category utils
 */
export const optionalInteger: (v: Resp.RespValue) => Option.Option<number> | ReplyShape = optional(integer)

/**
 * A double reply (RESP3 `,`, or a RESP2 bulk string such as `"3.5"` or `"inf"`).
 *
 * @since 0.1.0
 * @category utils
 */
export const double = (v: Resp.RespValue): number | ReplyShape => {
  v = plain(v)
  if (typeof v === "number") return v
  if (typeof v === "string" || v instanceof Uint8Array) {
    const s = typeof v === "string" ? v : textDecoder.decode(v)
    const n = s === "inf" || s === "+inf" ? Infinity : s === "-inf" ? -Infinity : Number(s)
    if (!Number.isNaN(n) || s.toLowerCase() === "nan") return n
  }
  return new ReplyShape("a double", v)
}

/**
 * A double or nil.
 *
 * @since 0.1.0
 * @category utils
 */
export const optionalDouble: (v: Resp.RespValue) => Option.Option<number> | ReplyShape = optional(double)

/**
 * `+OK` (or any simple status).
 *
 * @since 0.1.0
 * @category utils
 */
export const ok = (v: Resp.RespValue): void | ReplyShape => {
  v = plain(v)
  if (typeof v === "string") return undefined
  return new ReplyShape("OK", v)
}

/**
 * `1`/`0` or a RESP3 boolean as a boolean.
 *
 * @since 0.1.0
 * @category utils
 */
export const boolean = (v: Resp.RespValue): boolean | ReplyShape => {
  v = plain(v)
  if (typeof v === "boolean") return v
  if (typeof v === "number") return v !== 0
  return new ReplyShape("a boolean", v)
}

/**
 * An array (RESP3 sets and pushes read as arrays too).
 *
 * @since 0.1.0
 * @category utils
 */
export const array = (v: Resp.RespValue): ReadonlyArray<Resp.RespValue> | ReplyShape => {
  v = plain(v)
  if (Array.isArray(v)) return v
  if (v instanceof Set) return Array.from(v)
  if (v instanceof Resp.Push) return v.values
  return new ReplyShape("an array", v)
}

/**
 * An array decoded element by element; the first bad element makes the whole reply bad.
 *
 * @since 0.1.0
 * @category utils
 */
export const arrayOf = <A>(v: Resp.RespValue, f: (e: Resp.RespValue) => A | ReplyShape): ReadonlyArray<A> | ReplyShape => {
  const items = array(v)
  if (items instanceof ReplyShape) return items
  const out = new Array<A>(items.length)
  for (let i = 0; i < items.length; i++) {
    const r = f(items[i]!)
    if (r instanceof ReplyShape) return r
    out[i] = r
  }
  return out
}

/**
 * An array of strings (RESP3 sets too).
 *
 * @since 0.1.0
 * @category utils
 */
export const strings = (v: Resp.RespValue): ReadonlyArray<string> | ReplyShape => arrayOf(v, string)

/**
 * An array of strings; nil (a missing key) as empty.
 *
 * @since 0.1.0
 * @category utils
 */
export const stringsOrNil = (v: Resp.RespValue): ReadonlyArray<string> | ReplyShape => (plain(v) === null ? [] : strings(v))

/**
 * An array of strings or nils.
 *
 * @since 0.1.0
 * @category utils
 */
export const optionalStrings = (v: Resp.RespValue): ReadonlyArray<Option.Option<string>> | ReplyShape => arrayOf(v, optionalString)

/**
 * An array of integers.
 *
 * @since 0.1.0
 * @category utils
 */
export const integers = (v: Resp.RespValue): ReadonlyArray<number> | ReplyShape => arrayOf(v, integer)

/**
 * A `[label, value]` array of two (scan pages, pops, entries): a string and `f`'s value, joined by `build`.
 *
 * @since 0.1.0
 * @category utils
 */
export const labelled = <A, B>(what: string, f: (v: Resp.RespValue) => A | ReplyShape, build: (label: string, a: A) => B) =>
(v: Resp.RespValue): B | ReplyShape => {
  const items = array(v)
  if (items instanceof ReplyShape) return items
  if (items.length !== 2) return new ReplyShape(what, v)
  const label = string(items[0]!)
  if (label instanceof ReplyShape) return label
  const a = f(items[1]!)
  return a instanceof ReplyShape ? a : build(label, a)
}

/**
 * Decodes two values with `fa` and `fb` as a `[a, b]` tuple (the halves of a pair).
 *
 * @since 0.1.0
 * @category utils
 */
export const pairOf = <A, B>(fa: (v: Resp.RespValue) => A | ReplyShape, fb: (v: Resp.RespValue) => B | ReplyShape) =>
(a: Resp.RespValue, b: Resp.RespValue): readonly [A, B] | ReplyShape => {
  const x = fa(a)
  if (x instanceof ReplyShape) return x
  const y = fb(b)
  return y instanceof ReplyShape ? y : [x, y] as const
}

/**
 * A sorted-set member (a string) and its score (a double).
 *
 * @since 0.1.0
 * @category utils
 */
export const scored = (member: Resp.RespValue, score: Resp.RespValue): { readonly member: string; readonly score: number } | ReplyShape => {
  const m = string(member)
  if (m instanceof ReplyShape) return m
  const s = double(score)
  return s instanceof ReplyShape ? s : { member: m, score: s }
}

/**
 * Key/value pairs from a RESP3 map or a RESP2 flat array `[k1, v1, k2, v2, ...]`.
 *
 * @since 0.1.0
 * @category utils
 */
export const pairs = (v: Resp.RespValue): ReadonlyArray<readonly [Resp.RespValue, Resp.RespValue]> | ReplyShape => {
  v = plain(v)
  if (v instanceof Map) return Array.from(v.entries())
  if (Array.isArray(v)) {
    if (v.length % 2 !== 0) return new ReplyShape("an even number of elements", v)
    const out: Array<readonly [Resp.RespValue, Resp.RespValue]> = []
    for (let i = 0; i < v.length; i += 2) out.push([v[i]!, v[i + 1]!])
    return out
  }
  return new ReplyShape("a map", v)
}

/**
 * Pairs decoded by `f`: RESP3 nested `[[a, b], ...]` (`what` names one), a map, or a flat `[a1, b1, ...]`.
 *
 * @since 0.1.0
 * @category utils
 */
export const pairList = <A>(what: string, f: (a: Resp.RespValue, b: Resp.RespValue) => A | ReplyShape) =>
(v: Resp.RespValue): ReadonlyArray<A> | ReplyShape => {
  const items = array(v)
  let flat: ReadonlyArray<Resp.RespValue>
  if (items instanceof ReplyShape) {
    // Neither an array nor a set: a RESP3 map, or a bad reply.
    const ps = pairs(v)
    if (ps instanceof ReplyShape) return items
    flat = ps.flat()
  } else if (items.length > 0 && Array.isArray(plain(items[0]!))) {
    return arrayOf(v, (pair) => {
      const p = array(pair)
      if (p instanceof ReplyShape) return p
      return p.length === 2 ? f(p[0]!, p[1]!) : new ReplyShape(what, pair)
    })
  } else if (items.length % 2 !== 0) {
    return new ReplyShape("an even number of elements", v)
  } else {
    flat = items
  }
  const out: Array<A> = []
  for (let i = 0; i < flat.length; i += 2) {
    const a = f(flat[i]!, flat[i + 1]!)
    if (a instanceof ReplyShape) return a
    out.push(a)
  }
  return out
}

/**
 * A map of strings (HGETALL, CONFIG GET...), as a record without a prototype so that any field name
 * (`__proto__`, `constructor`) is an own property holding its value.
 *
 * @since 0.1.0
 * @category utils
 */
export const record = (v: Resp.RespValue): Record<string, string> | ReplyShape => {
  const ps = pairs(v)
  if (ps instanceof ReplyShape) return ps
  const out = newRecord<string>()
  for (const [k, val] of ps) {
    const ks = string(k)
    if (ks instanceof ReplyShape) return ks
    const vs = string(val)
    if (vs instanceof ReplyShape) return vs
    out[ks] = vs
  }
  return out
}

/**
 * A RESP3 map or a RESP2 flat `[name, value, ...]` array as a map by field name (names must be strings).
 *
 * @since 0.1.0
 * @category utils
 */
export const fieldMap = (v: Resp.RespValue): ReadonlyMap<string, Resp.RespValue> | ReplyShape => {
  const ps = pairs(v)
  if (ps instanceof ReplyShape) return ps
  const map = new Map<string, Resp.RespValue>()
  for (const [k, val] of ps) {
    const name = string(k)
    if (name instanceof ReplyShape) return name
    map.set(name, val)
  }
  return map
}

/**
 * Reads named fields of a reply map; the first failure is kept and the whole reply is bad.
 *
 * @since 0.1.0
 * @category models
 */
export class Fields {
  failure: ReplyShape | undefined = undefined
  private constructor(private readonly map: ReadonlyMap<string, Resp.RespValue>, private readonly whole: Resp.RespValue) {}

  /** The fields of a RESP3 map or a RESP2 flat `[name, value, ...]` array. */
  static of(v: Resp.RespValue): Fields | ReplyShape {
    const map = fieldMap(v)
    return map instanceof ReplyShape ? map : new Fields(map, v)
  }

  /** A required field (its value is only meaningful while `failure` is undefined). */
  req<A>(name: string, f: (v: Resp.RespValue) => A | ReplyShape): A {
    if (!this.map.has(name)) {
      this.failure ??= new ReplyShape(`a field "${name}"`, this.whole)
      return undefined as A
    }
    const a = f(this.map.get(name)!)
    if (a instanceof ReplyShape) {
      this.failure ??= a
      return undefined as A
    }
    return a
  }

  /** A field that may be missing (older servers): `fallback` then. */
  or<A>(name: string, f: (v: Resp.RespValue) => A | ReplyShape, fallback: A): A {
    return this.map.has(name) ? this.req(name, f) : fallback
  }

  /** An optional field: `{ [as]: value }` when present, `{}` otherwise (for spreading). */
  opt<K extends string, A>(name: string, as: K, f: (v: Resp.RespValue) => A | ReplyShape): { [P in K]?: A } {
    if (!this.map.has(name)) return {}
    return { [as]: this.req(name, f) } as { [P in K]?: A }
  }
}

/**
 * A reply map read by `read` through `Fields`; the first bad or missing field makes the whole reply bad.
 *
 * @since 0.1.0
 * @category utils
 */
export const fields = <A>(read: (f: Fields) => A) => (v: Resp.RespValue): A | ReplyShape => {
  const f = Fields.of(v)
  if (f instanceof ReplyShape) return f
  const out = read(f)
  return f.failure ?? out
}

/**
 * `field:value` lines (INFO, CLUSTER INFO) as a record without a prototype; `#` section headers are skipped.
 *
 * @since 0.1.0
 * @category utils
 */
export const infoLines = (v: Resp.RespValue): Record<string, string> | ReplyShape => {
  const s = string(v)
  if (s instanceof ReplyShape) return s
  const out = newRecord<string>()
  for (const line of s.split(/\r?\n/)) {
    if (line === "" || line.startsWith("#")) continue
    const colon = line.indexOf(":")
    if (colon === -1) continue
    out[line.slice(0, colon)] = line.slice(colon + 1)
  }
  return out
}

/**
 * The reply as it came (attributes and verbatim unwrapped).
 *
 * @since 0.1.0
 * @category utils
 */
export const raw = (v: Resp.RespValue): Resp.RespValue => plain(v)
