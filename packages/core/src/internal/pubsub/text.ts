/**
 * Reading a message's fields out of a frame. This runs once per message and per stream, so short
 * ASCII names skip the native decoder and a channel name is compared as bytes before any decoding.
 *
 * @internal
 */
import type * as Resp from "../../Resp.js"

const EMPTY = new Uint8Array(0)

/**
 * A frame element as text: a message's channel, pattern or (in string mode) payload.
 *
 * @since 0.1.0
 * @category decoding
 */
export const asText = (v: Resp.RespValue | undefined): string => {
  if (typeof v === "string") return v
  if (v instanceof Uint8Array) {
    const n = v.length
    if (n <= 16) {
      // Short ASCII: a JS loop beats the native call.
      let out = ""
      for (let i = 0; i < n; i++) {
        const c = v[i]!
        if (c >= 128) return utf8(v)
        out += String.fromCharCode(c)
      }
      return out
    }
    return utf8(v)
  }
  return v === undefined || v === null ? "" : String(v)
}

const utf8 = (v: Uint8Array): string =>
  Buffer.isBuffer(v) ? v.toString() : Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("utf8")

/**
 * Whether two names are the same bytes: a burst on one channel is recognized without decoding its name.
 *
 * @since 0.1.0
 * @category decoding
 */
export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  const n = a.length
  if (n !== b.length) return false
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * A frame element as bytes, for streams that asked for bytes.
 *
 * @since 0.1.0
 * @category decoding
 */
export const asBytes = (v: Resp.RespValue | undefined): Uint8Array => {
  if (v instanceof Uint8Array) return v
  if (typeof v === "string") return Buffer.from(v, "utf8")
  return EMPTY
}
