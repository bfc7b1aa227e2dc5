/**
 * RESP2 + RESP3: the value model, an incremental decoder and a binary-safe command encoder.
 *
 * @since 0.1.0
 */

export {
  /**
   * The value model: `ErrorReply`, `VerbatimString`, `Push`, `Attributed`, `DecodeFailure`,
   * `RespValue` and `RespArg` (see each one's documentation).
   *
   * @since 0.1.0
   * @category models
   */
  Attributed,
  DecodeFailure,
  ErrorReply,
  Push,
  type RespArg,
  type RespValue,
  VerbatimString
} from "./internal/wire/values.js"

/**
 * The incremental RESP2 + RESP3 decoder and its limits.
 *
 * @since 0.1.0
 * @category decoding
 */
export { Decoder, type DecoderOptions } from "./internal/wire/decoder.js"

/**
 * The command encoder (`CommandWriter`, `encodeCommand`) and `encodeValue` for tests and fake servers.
 *
 * @since 0.1.0
 * @category encoding
 */
export { CommandWriter, encodeCommand, encodeValue } from "./internal/wire/encoder.js"
