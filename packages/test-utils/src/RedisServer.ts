/**
 * One standalone `redis-server` process for tests, demos and benchmarks: free loopback port,
 * temporary folder, persistence off, `DEBUG` enabled; killed and cleaned up when its scope closes.
 *
 * ```ts
 * const server = yield* RedisServer.make({ password: "secret" })
 * yield* server.command("SET", "k", "v")
 * yield* server.kill
 * ```
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { resolveBinary } from "./internal/binary.js"
import { connectTo } from "./internal/connect.js"
import { FixtureError, RedisReplyError } from "./internal/errors.js"
import { ManagedServer } from "./internal/process.js"
import * as Ports from "./internal/ports.js"
import { type Arg, ErrorReply, type Reply } from "./internal/resp.js"

export {
  /**
   * An error reply nested inside an array reply (top-level error replies fail with `RedisReplyError`).
   *
   * @since 0.1.0
   * @category models
   */
  ErrorReply,
  /**
   * A fixture could not do what it was asked (binary missing, process died, timeout…).
   *
   * @since 0.1.0
   * @category errors
   */
  FixtureError,
  /**
   * A raw command got an error reply; `code` is its first word (`MOVED`, `ASK`, `ERR`…).
   *
   * @since 0.1.0
   * @category errors
   */
  RedisReplyError
}

/**
 * A decoded RESP2 reply to a raw command: strings (UTF-8) for simple and bulk strings, numbers for
 * integers, `null` for null bulk strings / arrays, arrays, and `ErrorReply` for errors nested in arrays.
 *
 * @since 0.1.0
 * @category models
 */
export type { Reply }

/**
 * An argument of a raw command: strings are sent as UTF-8, numbers in decimal, bytes as they are.
 *
 * @since 0.1.0
 * @category models
 */
export type { Arg }

/**
 * A dedicated connection to one server, from `connect`: its state (`AUTH`, `SELECT`, `ASKING`,
 * `MULTI`, `CLIENT ...`) is its own.
 *
 * @since 0.1.0
 * @category models
 */
export interface Connection {
  /** Sends one raw command; error replies fail with `RedisReplyError`. */
  readonly command: (...args: ReadonlyArray<Arg>) => Effect.Effect<Reply, FixtureError | RedisReplyError>
}

/**
 * Credentials for `connect`: `AUTH [username] password` right after connecting.
 *
 * @since 0.1.0
 * @category models
 */
export interface Credentials {
  readonly username?: string
  readonly password: string
}

/**
 * An ACL user created at startup (`user <name> on ><password> <rules>`).
 *
 * @since 0.1.0
 * @category models
 */
export interface AclUser {
  readonly name: string
  readonly password: string
  /** ACL rules, space separated; default `~* &* +@all`. */
  readonly rules?: string
}

/**
 * Options of a standalone server.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * Extra `redis-server` arguments, appended last (so they override the fixture's defaults; do not
   * override `--port`, `--bind`, `--dir`, `--logfile` or `--daemonize`).
   */
  readonly args?: ReadonlyArray<string>
  /** `requirepass` for the default user; the admin connection authenticates with it. */
  readonly password?: string
  /** ACL users to create. */
  readonly aclUsers?: ReadonlyArray<AclUser>
  /** The binary; default `REDIS_SERVER_BIN`, else `redis-server` on PATH. */
  readonly bin?: string
  /** Timeout of each raw command, in ms (default 5000). */
  readonly commandTimeout?: number
}

/**
 * A running standalone server.
 *
 * @since 0.1.0
 * @category models
 */
export interface RedisServerInstance {
  readonly host: "127.0.0.1"
  readonly port: number
  /** The server's temporary working folder (removed when the scope closes). */
  readonly dir: string
  /** `redis://127.0.0.1:<port>` (without credentials). */
  readonly url: string
  /** The current process id; none while killed or stopped. */
  readonly pid: Effect.Effect<Option.Option<number>>
  /** Whether the process is running (paused counts as running). */
  readonly alive: Effect.Effect<boolean>
  /** SIGKILL; completes when the process is gone. No-op when not running. */
  readonly kill: Effect.Effect<void, FixtureError>
  /** Graceful stop (SIGTERM, SIGKILL after 5 s); completes when the process is gone. */
  readonly stop: Effect.Effect<void, FixtureError>
  /** Stops if running, then starts again on the same port and folder; completes once it answers. */
  readonly restart: Effect.Effect<void, FixtureError>
  /** SIGSTOP: the process stops answering but keeps its sockets; completes once stopped. */
  readonly pause: Effect.Effect<void, FixtureError>
  /** SIGCONT. */
  readonly resume: Effect.Effect<void, FixtureError>
  /**
   * Sends one raw command on the fixture's own admin connection (authenticated with `password`
   * when set). Error replies fail with `RedisReplyError`. That connection is shared with the
   * fixture itself: use `connect` for anything that changes connection state (`AUTH` as another
   * user, `SELECT`, `MULTI`, `CLIENT REPLY`…).
   */
  readonly command: (...args: ReadonlyArray<Arg>) => Effect.Effect<Reply, FixtureError | RedisReplyError>
  /**
   * Opens a dedicated connection, closed with the scope, authenticated with `credentials` (default:
   * `password`, if any) and checked with `PING`.
   */
  readonly connect: (credentials?: Credentials) => Effect.Effect<Connection, FixtureError | RedisReplyError, Scope.Scope>
  /** The last lines of the server's log file. */
  readonly logTail: Effect.Effect<string>
}

/**
 * The service of a standalone server provided by `layer`.
 *
 * @since 0.1.0
 * @category services
 */
export class RedisServer extends Context.Service<RedisServer, RedisServerInstance>()("@keyslot/test-utils/RedisServer") {}

const aclArgs = (users: ReadonlyArray<AclUser>): Array<string> =>
  users.flatMap((user) => [
    "--user",
    user.name,
    "on",
    `>${user.password}`,
    ...(user.rules ?? "~* &* +@all").split(/\s+/).filter((rule) => rule !== "")
  ])

const toInstance = (server: ManagedServer): RedisServerInstance => ({
  host: server.host,
  port: server.port,
  dir: server.dir,
  url: `redis://${server.host}:${server.port}`,
  pid: Effect.sync(() => Option.fromNullishOr(server.pid)),
  alive: Effect.sync(() => server.isAlive),
  kill: server.kill,
  stop: server.stop,
  restart: server.restart,
  pause: server.pause,
  resume: server.resume,
  command: (...args) => server.command(args),
  connect: (credentials) => connectTo(server, credentials),
  logTail: Effect.sync(() => server.logTail())
})

/**
 * Starts a standalone server; it is killed and its folder removed when the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<RedisServerInstance, FixtureError, Scope.Scope> =>
  Effect.gen(function*() {
    const { bin } = yield* resolveBinary(options.bin)
    const args = [
      ...(options.password === undefined ? [] : ["--requirepass", options.password]),
      ...aclArgs(options.aclUsers ?? []),
      ...(options.args ?? [])
    ]
    const server = yield* ManagedServer.make({
      bin,
      withBusPort: false,
      args,
      auth: options.password === undefined ? undefined : { password: options.password },
      prefix: "keyslot-redis-",
      commandTimeoutMs: options.commandTimeout
    })
    yield* server.start
    return toInstance(server)
  })

/**
 * A layer providing `RedisServer`: one server for the layer's lifetime.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<RedisServer, FixtureError> =>
  Layer.effect(RedisServer, make(options))

/**
 * Reserves `count` distinct free loopback ports, checked by binding each one, that no other
 * fixture of this process will hand out (for a server a test starts by hand, or a cluster bus port).
 *
 * @since 0.1.0
 * @category utils
 */
export const reservePorts: (count: number) => Effect.Effect<Array<number>, FixtureError> = Ports.reservePorts
