/**
 * The RESP encoders behind `Resp.CommandWriter`, `Resp.encodeCommand` and `Resp.encodeValue`
 * (re-exported there), written into a `ByteWriter`.
 *
 * @since 0.1.0
 * @internal
 */
import type { RespArg, RespValue } from "./values.js"
import { Attributed, ErrorReply, Push, VerbatimString } from "./values.js"
import { ByteWriter } from "./respWriter.js"

/**
 * Encodes commands (arrays of bulk strings) straight into one growing buffer; reusable.
 * Strings are written as UTF-8 without a Buffer per argument; many commands share one buffer.
 *
 * @since 0.1.0
 * @category encoding
 */
export class CommandWriter {
  private readonly out = new ByteWriter()

  /** Appends one command. */
  push(args: ReadonlyArray<RespArg>): void {
    const out = this.out
    const n = args.length
    out.header(42, n)
    for (let i = 0; i < n; i++) {
      const arg = args[i]!
      if (typeof arg === "string") out.bulkString(arg)
      else if (typeof arg === "number") out.bulkNumber(arg)
      else out.bulkBytes(arg)
    }
  }

  /** Number of bytes queued. */
  get length(): number {
    return this.out.len
  }

  /** Everything queued as one Uint8Array (a Node Buffer, which the writer never touches again), and reset. */
  take(): Uint8Array {
    return this.out.take()
  }
}

const sharedWriter = new CommandWriter()

/**
 * One command as RESP (an array of bulk strings).
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeCommand = (args: ReadonlyArray<RespArg>): Uint8Array => {
  sharedWriter.push(args)
  return sharedWriter.take()
}

/** Text of a double as RESP3 writes it. */
const doubleText = (d: number): string =>
  d === Infinity ? "inf" : d === -Infinity ? "-inf" : Number.isNaN(d) ? "nan" : Object.is(d, -0) ? "-0" : String(d)

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

const hasNewline = (s: string): boolean => s.includes("\r") || s.includes("\n")

const writeValue = (out: ByteWriter, value: RespValue, protocol: 2 | 3): void => {
  if (value === null) {
    if (protocol === 2) out.ascii("$-1\r\n")
    else out.ascii("_\r\n")
  } else if (typeof value === "string") {
    out.bulkString(value)
  } else if (typeof value === "number") {
    if (Number.isSafeInteger(value) && !Object.is(value, -0)) {
      out.ascii(`:${value}\r\n`)
    } else if (protocol === 2) {
      // RESP2 has no double: Redis sends its text as a bulk string.
      const text = doubleText(value)
      out.header(36, text.length)
      out.ascii(text)
      out.crlf()
    } else {
      out.ascii(`,${doubleText(value)}\r\n`)
    }
  } else if (typeof value === "bigint") {
    if (protocol === 3) out.ascii(`(${value}\r\n`)
    else if (value >= INT64_MIN && value <= INT64_MAX) out.ascii(`:${value}\r\n`)
    else {
      // Beyond a RESP2 integer: Redis sends the digits as a bulk string.
      const text = String(value)
      out.header(36, text.length)
      out.ascii(text)
      out.crlf()
    }
  } else if (typeof value === "boolean") {
    // RESP2: Redis replies 1 / 0.
    out.ascii(protocol === 2 ? (value ? ":1\r\n" : ":0\r\n") : (value ? "#t\r\n" : "#f\r\n"))
  } else if (value instanceof Uint8Array) {
    out.bulkBytes(value)
  } else if (value instanceof ErrorReply) {
    const message = value.message
    if (!hasNewline(message)) {
      out.ascii("-")
      out.utf8(message)
      out.crlf()
    } else if (protocol === 3) {
      out.header(33, Buffer.byteLength(message, "utf8"))
      out.utf8(message)
      out.crlf()
    } else {
      // A RESP2 error is one line: Redis turns newlines into spaces.
      out.ascii("-")
      out.utf8(message.replace(/[\r\n]/g, " "))
      out.crlf()
    }
  } else if (value instanceof VerbatimString) {
    if (protocol === 2) {
      if (typeof value.text === "string") out.bulkString(value.text)
      else out.bulkBytes(value.text)
    } else {
      const text = typeof value.text === "string" ? Buffer.from(value.text, "utf8") : value.text
      out.header(61, Buffer.byteLength(value.format, "latin1") + 1 + text.length)
      out.ascii(value.format)
      out.ascii(":")
      out.bytes(text)
      out.crlf()
    }
  } else if (value instanceof Push) {
    out.header(protocol === 2 ? 42 : 62, value.values.length)
    for (const v of value.values) writeValue(out, v, protocol)
  } else if (value instanceof Attributed) {
    // RESP2 has no attributes: only the value is sent.
    if (protocol === 3) {
      out.header(124, value.attributes.size)
      for (const [k, v] of value.attributes) {
        writeValue(out, k, protocol)
        writeValue(out, v, protocol)
      }
    }
    writeValue(out, value.value, protocol)
  } else if (value instanceof Map) {
    out.header(protocol === 2 ? 42 : 37, protocol === 2 ? value.size * 2 : value.size)
    for (const [k, v] of value) {
      writeValue(out, k, protocol)
      writeValue(out, v, protocol)
    }
  } else if (value instanceof Set) {
    out.header(protocol === 2 ? 42 : 126, value.size)
    for (const v of value) writeValue(out, v, protocol)
  } else {
    const values = value as ReadonlyArray<RespValue>
    out.header(42, values.length)
    for (const v of values) writeValue(out, v, protocol)
  }
}

/**
 * Encodes any `RespValue` in RESP3 form, or in the RESP2 form Redis uses for it with `protocol: 2`
 * (null → `$-1`, double → bulk string, big number → integer within 64 bits else bulk string,
 * boolean → `:1`/`:0`, map → flat array, set/push → array, attributes dropped, verbatim → bulk
 * string, multi-line error → one line). Strings become bulk strings; a verbatim format is written
 * as given (RESP wants 3 characters). For tests and fake servers.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeValue = (value: RespValue, protocol: 2 | 3 = 3): Uint8Array => {
  writeValue(valueWriter, value, protocol)
  return valueWriter.take()
}

const valueWriter = new ByteWriter()
