/**
 * A minimal RESP2 codec for administrative commands: arrays of bulk strings out, simple strings,
 * errors, integers, bulk strings and arrays in. Not on any hot path; clarity over speed.
 *
 * @internal
 */

/**
 * An error reply (`-ERR ...`) nested inside an array reply (top-level error replies fail the command).
 *
 * @internal
 *
 * @since 0.1.0
 * @category models
 */
export class ErrorReply {
  constructor(readonly message: string) {}
}

/**
 * A decoded RESP2 reply: simple and bulk strings decode to `string` (UTF-8), integers to `number`,
 * null bulk strings and null arrays to `null`.
 *
 * @internal
 *
 * @since 0.1.0
 * @category models
 */
export type Reply = string | number | null | ErrorReply | ReadonlyArray<Reply>

/**
 * An argument of a command: strings are sent as UTF-8, numbers in decimal.
 *
 * @internal
 *
 * @since 0.1.0
 * @category models
 */
export type Arg = string | number | Uint8Array

const CRLF = Buffer.from("\r\n")

/**
 * Encodes one command as a RESP2 array of bulk strings.
 *
 * @internal
 *
 * @since 0.1.0
 * @category parsing
 */
export const encode = (args: ReadonlyArray<Arg>): Buffer => {
  const parts: Array<Buffer> = [Buffer.from(`*${args.length}\r\n`)]
  for (const arg of args) {
    const bytes = typeof arg === "string" ? Buffer.from(arg, "utf8")
      : typeof arg === "number" ? Buffer.from(String(arg))
      : Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength)
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, CRLF)
  }
  return Buffer.concat(parts)
}

/**
 * Thrown by the parser on bytes that are not RESP2.
 *
 * @internal
 *
 * @since 0.1.0
 * @category errors
 */
export class ProtocolViolation extends Error {}

type Parsed = { readonly value: Reply; readonly next: number } | undefined

const lineEnd = (buf: Buffer, from: number): number => {
  const i = buf.indexOf(CRLF, from)
  return i
}

const parseAt = (buf: Buffer, pos: number): Parsed => {
  if (pos >= buf.length) return undefined
  const end = lineEnd(buf, pos + 1)
  if (end < 0) return undefined
  const type = buf[pos]
  const line = buf.toString("utf8", pos + 1, end)
  switch (type) {
    case 0x2b: // +
      return { value: line, next: end + 2 }
    case 0x2d: // -
      return { value: new ErrorReply(line), next: end + 2 }
    case 0x3a: { // :
      const n = Number(line)
      if (!Number.isFinite(n)) throw new ProtocolViolation(`bad integer reply: ${line}`)
      return { value: n, next: end + 2 }
    }
    case 0x24: { // $
      const len = Number(line)
      if (!Number.isInteger(len)) throw new ProtocolViolation(`bad bulk length: ${line}`)
      if (len < 0) return { value: null, next: end + 2 }
      const start = end + 2
      if (buf.length < start + len + 2) return undefined
      return { value: buf.toString("utf8", start, start + len), next: start + len + 2 }
    }
    case 0x2a: { // *
      const count = Number(line)
      if (!Number.isInteger(count)) throw new ProtocolViolation(`bad array length: ${line}`)
      if (count < 0) return { value: null, next: end + 2 }
      const items: Array<Reply> = []
      let next = end + 2
      for (let i = 0; i < count; i++) {
        const item = parseAt(buf, next)
        if (item === undefined) return undefined
        items.push(item.value)
        next = item.next
      }
      return { value: items, next }
    }
    default:
      throw new ProtocolViolation(`unexpected RESP2 type byte 0x${(type ?? 0).toString(16)}`)
  }
}

/**
 * An incremental RESP2 decoder: `push` chunks as they arrive (split anywhere), then drain complete
 * replies with `next`.
 *
 * @internal
 *
 * @since 0.1.0
 * @category models
 */
export class Parser {
  private buf: Buffer = Buffer.alloc(0)

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk])
  }

  /** The next complete reply, or `undefined` when more bytes are needed. */
  next(): { readonly value: Reply } | undefined {
    const parsed = parseAt(this.buf, 0)
    if (parsed === undefined) return undefined
    this.buf = this.buf.subarray(parsed.next)
    return { value: parsed.value }
  }
}
