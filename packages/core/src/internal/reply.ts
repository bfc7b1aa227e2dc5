/**
 * Reply coercions shared by command decoders. Each returns the typed value, or a `ReplyShape`
 * naming what was expected: decoders never throw, and the same decoder reads RESP2 and RESP3.
 *
 * @internal
 */
import { Option } from "effect"
import * as Resp from "../Resp.js"

/** A reply of the wrong shape; the caller turns it into a `ProtocolError`. */
export class ReplyShape {
  constructor(readonly expected: string, readonly got: Resp.RespValue) {}
  get reason(): string {
    return `expected ${this.expected}, got ${describe(this.got)}`
  }
}

/** A short description of a reply, for error messages. */
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

/** Unwraps RESP3 attributes and verbatim strings, which decoders treat as their plain value. */
export const plain = (v: Resp.RespValue): Resp.RespValue => {
  if (v instanceof Resp.Attributed) return plain(v.value)
  if (v instanceof Resp.VerbatimString) return v.text
  return v
}

/** A string (bulk, simple, verbatim; bytes decoded as UTF-8). */
export const string = (v: Resp.RespValue): string | ReplyShape => {
  v = plain(v)
  if (typeof v === "string") return v
  if (v instanceof Uint8Array) return textDecoder.decode(v)
  if (typeof v === "number" || typeof v === "bigint") return String(v)
  return new ReplyShape("a string", v)
}

/** A string or nil. */
export const optionalString = (v: Resp.RespValue): Option.Option<string> | ReplyShape => {
  v = plain(v)
  if (v === null) return Option.none()
  const s = string(v)
  return s instanceof ReplyShape ? s : Option.some(s)
}

/** Bytes or nil (for commands asked for as bytes). */
export const optionalBytes = (v: Resp.RespValue): Option.Option<Uint8Array> | ReplyShape => {
  v = plain(v)
  if (v === null) return Option.none()
  if (v instanceof Uint8Array) return Option.some(v)
  if (typeof v === "string") return Option.some(Buffer.from(v))
  return new ReplyShape("bytes", v)
}

/** An integer reply as a number. */
export const integer = (v: Resp.RespValue): number | ReplyShape => {
  v = plain(v)
  if (typeof v === "number") return v
  if (typeof v === "bigint") return Number(v)
  if (typeof v === "boolean") return v ? 1 : 0
  if (typeof v === "string" && v !== "" && !Number.isNaN(Number(v))) return Number(v)
  return new ReplyShape("an integer", v)
}

/** A double reply (RESP3 `,`, or a RESP2 bulk string such as `"3.5"` or `"inf"`). */
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

/** `+OK` (or any simple status). */
export const ok = (v: Resp.RespValue): void | ReplyShape => {
  v = plain(v)
  if (typeof v === "string") return undefined
  return new ReplyShape("OK", v)
}

/** `1`/`0` or a RESP3 boolean as a boolean. */
export const boolean = (v: Resp.RespValue): boolean | ReplyShape => {
  v = plain(v)
  if (typeof v === "boolean") return v
  if (typeof v === "number") return v !== 0
  return new ReplyShape("a boolean", v)
}

/** An array (RESP3 sets and pushes read as arrays too). */
export const array = (v: Resp.RespValue): ReadonlyArray<Resp.RespValue> | ReplyShape => {
  v = plain(v)
  if (Array.isArray(v)) return v
  if (v instanceof Set) return Array.from(v)
  if (v instanceof Resp.Push) return v.values
  return new ReplyShape("an array", v)
}

/** An array decoded element by element; the first bad element makes the whole reply bad. */
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

/** Key/value pairs from a RESP3 map or a RESP2 flat array `[k1, v1, k2, v2, ...]`. */
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

/** A map of strings (HGETALL, CONFIG GET...). */
export const record = (v: Resp.RespValue): Record<string, string> | ReplyShape => {
  const ps = pairs(v)
  if (ps instanceof ReplyShape) return ps
  const out: Record<string, string> = {}
  for (const [k, val] of ps) {
    const ks = string(k)
    if (ks instanceof ReplyShape) return ks
    const vs = string(val)
    if (vs instanceof ReplyShape) return vs
    out[ks] = vs
  }
  return out
}

/** `field:value` lines (INFO, CLUSTER INFO) as a record; `#` section headers are skipped. */
export const infoLines = (v: Resp.RespValue): Record<string, string> | ReplyShape => {
  const s = string(v)
  if (s instanceof ReplyShape) return s
  const out: Record<string, string> = {}
  for (const line of s.split(/\r?\n/)) {
    if (line === "" || line.startsWith("#")) continue
    const colon = line.indexOf(":")
    if (colon === -1) continue
    out[line.slice(0, colon)] = line.slice(colon + 1)
  }
  return out
}

/** The reply as it came (attributes and verbatim unwrapped). */
export const raw = (v: Resp.RespValue): Resp.RespValue => plain(v)
