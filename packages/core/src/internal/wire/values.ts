/**
 * The RESP value model, below the decoder and the encoder that produce and consume it (the public
 * `Resp` module re-exports it).
 *
 * @internal
 */

/**
 * An error reply (`-ERR ...` or RESP3 bulk error `!`), kept as a value: the connection decides what fails.
 *
 * @since 0.1.0
 * @category models
 */
export class ErrorReply {
  constructor(readonly message: string) {}
}

/**
 * RESP3 verbatim string (`=`): a format (`txt`, `mkd`) and the text.
 *
 * @since 0.1.0
 * @category models
 */
export class VerbatimString {
  constructor(readonly format: string, readonly text: string | Uint8Array) {}
}

/**
 * RESP3 push frame (`>`): out-of-band data such as pub/sub messages; never a command's reply.
 *
 * @since 0.1.0
 * @category models
 */
export class Push {
  constructor(readonly values: ReadonlyArray<RespValue>) {}
}

/**
 * A value preceded by a RESP3 attribute frame (`|`): the attributes are kept next to the value.
 *
 * @since 0.1.0
 * @category models
 */
export class Attributed {
  constructor(readonly attributes: ReadonlyMap<RespValue, RespValue>, readonly value: RespValue) {}
}

/**
 * A decoded RESP value.
 *
 * - simple string, bulk string → `string` (or `Uint8Array` when the decoder is asked for bytes)
 * - integer → `number` (a `bigint` when outside the safe integer range)
 * - double → `number` (`Infinity`, `-Infinity`, `NaN` included); big number → `bigint`
 * - boolean → `boolean`; null (`$-1`, `*-1`, `_`) → `null`
 * - error, bulk error → `ErrorReply`; verbatim → `VerbatimString`
 * - array → `Array`; map → `Map`; set → `Set`; push → `Push`; attribute + value → `Attributed`
 *
 * @since 0.1.0
 * @category models
 */
export type RespValue =
  | string
  | Uint8Array
  | number
  | bigint
  | boolean
  | null
  | ErrorReply
  | VerbatimString
  | Push
  | Attributed
  | ReadonlyArray<RespValue>
  | ReadonlyMap<RespValue, RespValue>
  | ReadonlySet<RespValue>

/**
 * One argument of a command: strings are UTF-8 encoded, numbers written in decimal, bytes as they are.
 *
 * @since 0.1.0
 * @category models
 */
export type RespArg = string | Uint8Array | number

/**
 * Returned by `Decoder.next` when the bytes are not valid RESP. After it, the decoder is unusable.
 *
 * @since 0.1.0
 * @category decoding
 */
export class DecodeFailure {
  constructor(readonly reason: string) {}
}
