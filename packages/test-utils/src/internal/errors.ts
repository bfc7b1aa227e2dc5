/**
 * The fixture's error types.
 *
 * @internal
 */
import * as Data from "effect/Data"

/**
 * A fixture could not do what it was asked: the redis-server binary is missing or too old, a
 * process did not start, a cluster did not become healthy in time, a node could not be reached…
 * `message` says what and, where useful, includes the server's log tail.
 *
 * @since 0.1.0
 * @category errors
 */
export class FixtureError extends Data.TaggedError("FixtureError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * A server answered a raw command with an error reply (`-MOVED 3999 127.0.0.1:20001`,
 * `-ERR unknown command`…). `code` is the reply's first word (`MOVED`, `ASK`, `ERR`, `NOAUTH`…).
 *
 * @since 0.1.0
 * @category errors
 */
export class RedisReplyError extends Data.TaggedError("RedisReplyError")<{
  readonly message: string
  readonly code: string
  readonly host: string
  readonly port: number
  readonly command: string
}> {}
