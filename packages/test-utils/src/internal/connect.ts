/**
 * Dedicated connections for `RedisServer.connect` and `RedisClusterFixture.connect`.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { Connection, Credentials } from "../RedisServer.js"
import type { FixtureError, RedisReplyError } from "./errors.js"
import type { ManagedServer } from "./process.js"

/**
 * @internal
 *
 * @since 0.1.0
 * @category utils
 */
export const connectTo = (
  server: ManagedServer,
  credentials?: Credentials
): Effect.Effect<Connection, FixtureError | RedisReplyError, Scope.Scope> =>
  Effect.map(
    server.connect(credentials === undefined ? server.spec.auth : { username: credentials.username, password: credentials.password }),
    (client): Connection => ({ command: (...args) => client.command(args) })
  )
