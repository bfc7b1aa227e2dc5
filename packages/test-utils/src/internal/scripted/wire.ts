/**
 * The bytes of the scripted cluster: a reply model encoded as RESP2 or RESP3, and an incremental
 * RESP2 + RESP3 reader (for the commands clients send, and for tests that read replies). Not on
 * any hot path: clarity over speed.
 *
 * @internal
 */
import { ErrorReply, ProtocolViolation } from "../resp.js"

/**
 * The error reply and the parse failure of `../resp.ts`, shared with the administrative client.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export { ErrorReply, ProtocolViolation }

/**
 * A simple string reply (`+OK`), as opposed to a bulk string.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export class SimpleString {
  constructor(readonly value: string) {}
}

/**
 * A map reply: RESP3 `%`, a flat array of keys and values in RESP2.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export class MapReply {
  constructor(readonly entries: ReadonlyArray<readonly [Reply, Reply]>) {}
}

/**
 * A RESP3 push frame (`>`), as the reader decodes it.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export class PushReply {
  constructor(readonly values: ReadonlyArray<Reply>) {}
}

/**
 * A reply: strings and bytes are bulk strings, numbers integers (RESP3 doubles decode to numbers
 * too), `null` the null reply (`$-1` in RESP2, `_` in RESP3), arrays arrays.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export type Reply =
  | string
  | Uint8Array
  | number
  | boolean
  | null
  | SimpleString
  | ErrorReply
  | MapReply
  | PushReply
  | ReadonlyArray<Reply>

const CRLF = "\r\n"

/**
 * Appends the RESP encoding of `reply` to `out`.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const encodeReply = (reply: Reply, protocol: 2 | 3, out: Array<Buffer>): void => {
  if (reply === null) {
    out.push(Buffer.from(protocol === 3 ? "_\r\n" : "$-1\r\n"))
  } else if (typeof reply === "string" || reply instanceof Uint8Array) {
    const bytes = typeof reply === "string" ? Buffer.from(reply, "utf8") : Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength)
    out.push(Buffer.from(`$${bytes.length}${CRLF}`), bytes, Buffer.from(CRLF))
  } else if (typeof reply === "number") {
    out.push(Buffer.from(Number.isInteger(reply) ? `:${reply}${CRLF}` : protocol === 3 ? `,${reply}${CRLF}` : `$${String(reply).length}${CRLF}${reply}${CRLF}`))
  } else if (typeof reply === "boolean") {
    out.push(Buffer.from(protocol === 3 ? `#${reply ? "t" : "f"}${CRLF}` : `:${reply ? 1 : 0}${CRLF}`))
  } else if (reply instanceof SimpleString) {
    out.push(Buffer.from(`+${reply.value}${CRLF}`))
  } else if (reply instanceof ErrorReply) {
    out.push(Buffer.from(`-${reply.message}${CRLF}`))
  } else if (reply instanceof MapReply) {
    out.push(Buffer.from(protocol === 3 ? `%${reply.entries.length}${CRLF}` : `*${reply.entries.length * 2}${CRLF}`))
    for (const [k, v] of reply.entries) {
      encodeReply(k, protocol, out)
      encodeReply(v, protocol, out)
    }
  } else if (reply instanceof PushReply) {
    out.push(Buffer.from(`${protocol === 3 ? ">" : "*"}${reply.values.length}${CRLF}`))
    for (const v of reply.values) encodeReply(v, protocol, out)
  } else {
    out.push(Buffer.from(`*${reply.length}${CRLF}`))
    for (const v of reply) encodeReply(v, protocol, out)
  }
}

type Parsed = { readonly value: Reply; readonly next: number } | undefined

const integer = (line: string, what: string): number => {
  const n = Number(line)
  if (line === "" || !Number.isInteger(n)) throw new ProtocolViolation(`bad ${what}: ${JSON.stringify(line)}`)
  return n
}

const aggregate = (buf: Buffer, count: number, from: number): { items: Array<Reply>; next: number } | undefined => {
  const items: Array<Reply> = []
  let next = from
  for (let i = 0; i < count; i++) {
    const item = parseAt(buf, next)
    if (item === undefined) return undefined
    items.push(item.value)
    next = item.next
  }
  return { items, next }
}

const parseAt = (buf: Buffer, pos: number): Parsed => {
  if (pos >= buf.length) return undefined
  const end = buf.indexOf(CRLF, pos + 1)
  if (end < 0) {
    if (buf.length - pos > 64 * 1024) throw new ProtocolViolation("line too long")
    return undefined
  }
  const type = buf[pos]
  const line = buf.toString("latin1", pos + 1, end)
  const after = end + 2
  switch (type) {
    case 0x2b: // +
      return { value: new SimpleString(buf.toString("utf8", pos + 1, end)), next: after }
    case 0x2d: // -
      return { value: new ErrorReply(buf.toString("utf8", pos + 1, end)), next: after }
    case 0x3a: // :
      return { value: integer(line, "integer"), next: after }
    case 0x2c: { // ,
      const n = Number(line)
      if (Number.isNaN(n) && !/^[+-]?(nan|inf)$/i.test(line)) throw new ProtocolViolation(`bad double: ${line}`)
      return { value: /^[+-]?inf$/i.test(line) ? (line.startsWith("-") ? -Infinity : Infinity) : n, next: after }
    }
    case 0x23: // #
      if (line !== "t" && line !== "f") throw new ProtocolViolation(`bad boolean: ${line}`)
      return { value: line === "t", next: after }
    case 0x5f: // _
      return { value: null, next: after }
    case 0x24: // $
    case 0x3d: { // = (verbatim: "txt:" prefix dropped)
      const len = integer(line, "bulk length")
      if (len < 0) return { value: null, next: after }
      if (buf.length < after + len + 2) return undefined
      if (buf[after + len] !== 0x0d || buf[after + len + 1] !== 0x0a) throw new ProtocolViolation("bulk string not followed by CRLF")
      const skip = type === 0x3d ? Math.min(4, len) : 0
      return { value: Buffer.from(buf.subarray(after + skip, after + len)), next: after + len + 2 }
    }
    case 0x2a: // *
    case 0x7e: // ~
    case 0x3e: { // >
      const count = integer(line, "array length")
      if (count < 0) return { value: null, next: after }
      const a = aggregate(buf, count, after)
      if (a === undefined) return undefined
      return { value: type === 0x3e ? new PushReply(a.items) : a.items, next: a.next }
    }
    case 0x25: { // %
      const count = integer(line, "map length")
      const a = aggregate(buf, count * 2, after)
      if (a === undefined) return undefined
      const entries: Array<readonly [Reply, Reply]> = []
      for (let i = 0; i < a.items.length; i += 2) entries.push([a.items[i]!, a.items[i + 1]!])
      return { value: new MapReply(entries), next: a.next }
    }
    default:
      throw new ProtocolViolation(`unexpected RESP type byte 0x${(type ?? 0).toString(16)}`)
  }
}

/**
 * An incremental RESP2 + RESP3 reader: `push` chunks as they arrive (split anywhere), then drain
 * complete values with `next`, which throws `ProtocolViolation` on bytes that are not RESP. Bulk
 * strings decode to `Buffer`s (binary-safe), simple strings to `SimpleString`.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export class Reader {
  private buf: Buffer = Buffer.alloc(0)

  push(chunk: Uint8Array): void {
    const b = Buffer.from(chunk)
    this.buf = this.buf.length === 0 ? b : Buffer.concat([this.buf, b])
  }

  /** The next complete value, or `undefined` when more bytes are needed. */
  next(): { readonly value: Reply } | undefined {
    const parsed = parseAt(this.buf, 0)
    if (parsed === undefined) return undefined
    this.buf = this.buf.subarray(parsed.next)
    return { value: parsed.value }
  }
}

/**
 * A decoded value in plain JavaScript, for assertions: bytes and simple strings become strings,
 * errors `{ error: message }`, maps objects (keys as strings), pushes `{ push: [...] }`.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export type Plain = string | number | boolean | null | { readonly error: string } | { readonly push: ReadonlyArray<Plain> } | ReadonlyArray<Plain> | { readonly [key: string]: Plain }

/**
 * Converts a decoded value into `Plain` form.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const plain = (value: Reply): Plain => {
  if (value === null || typeof value === "number" || typeof value === "boolean" || typeof value === "string") return value
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("utf8")
  if (value instanceof SimpleString) return value.value
  if (value instanceof ErrorReply) return { error: value.message }
  if (value instanceof PushReply) return { push: value.values.map(plain) }
  if (value instanceof MapReply) {
    const out: Record<string, Plain> = {}
    for (const [k, v] of value.entries) out[String(plain(k))] = plain(v)
    return out
  }
  return value.map(plain)
}
