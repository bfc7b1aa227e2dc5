/**
 * One connection to one node, as a scoped resource: handshake, multiplexed pipelining, writes
 * coalesced into one per batch, replies matched in order, timeouts swept per connection.
 *
 * The per-command path is one `Effect.callback` resumed from the socket's data handler: no Deferred,
 * Queue, fork or timer per command (see DESIGN.md, speed rules).
 *
 * A connection opened with `subscriber: true` is for pub/sub only: pub/sub frames (RESP3 pushes,
 * and the plain arrays a RESP2 subscribed connection receives) go to `onPush`, and
 * `sendNoReply` writes the (un)subscribe commands whose confirmations arrive that way. It has its
 * own data handler, so normal connections pay nothing for it.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Exit, Redacted } from "effect"
import type { Scope } from "effect"
import * as ClusterError from "./ClusterError.js"
import { Connector } from "./Connector.js"
import type { Endpoint, TlsOptions } from "./Connector.js"
import { Machine, send, sendBatch, sendNoReply } from "./internal/connection/machine.js"
import * as Resp from "./Resp.js"

/**
 * The errors one command on one connection can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type CommandError =
  | ClusterError.ReplyFailure
  | ClusterError.ConnectionError
  | ClusterError.ProtocolError
  | ClusterError.TimeoutError
  | ClusterError.QueueFullError

/**
 * The errors a subscriber-mode `sendNoReply` reports: those of a command, but never
 * `QueueFullError` ((un)subscribe commands are not counted against `maxPendingCommands`: there are
 * as many as the application's subscriptions, and dropping one would lose it silently).
 *
 * @since 0.1.0
 * @category errors
 */
export type NoReplyError = Exclude<CommandError, ClusterError.QueueFullError>

/**
 * The errors opening a connection can fail with (the handshake's error replies included).
 *
 * @since 0.1.0
 * @category errors
 */
export type ConnectError =
  | ClusterError.ConnectionError
  | ClusterError.TimeoutError
  | ClusterError.ReplyFailure
  | ClusterError.ProtocolError

/**
 * Options of one node connection.
 *
 * @since 0.1.0
 * @category models
 */
export interface NodeConnectionOptions extends Endpoint {
  readonly tls?: boolean | TlsOptions | undefined
  /** Deadline for socket open plus handshake. Default 10 seconds; 0 or Infinity: none. */
  readonly connectTimeout?: Duration.Input | undefined
  /**
   * Deadline of each command, from the moment it is queued. Default: none. When 3 written commands
   * in a row time out with nothing at all received from the node while they waited, the node is
   * taken for stuck (paused, partitioned, a half-open socket): the connection closes, its commands
   * fail with `ConnectionError` (`written: true` for those sent), and the pool opens a new one for
   * the next command. One slow command, or a node whose late replies still arrive, is not enough.
   */
  readonly commandTimeout?: Duration.Input | undefined
  /**
   * Most commands queued or written and not yet answered on this connection (timed-out ones count
   * until their late reply or the connection's close). Past it a command fails at once with
   * `QueueFullError`, never sent; a batch (pipeline, transaction) is admitted whole while the
   * connection is below the cap, or refused whole, so it never goes out in part. `0` or `Infinity`:
   * no cap. Default: 100,000 (see `defaultMaxPendingCommands`).
   */
  readonly maxPendingCommands?: number | undefined
  /** RESP version: 3 (default; falls back to 2 when the server refuses HELLO 3) or 2. */
  readonly protocol?: 2 | 3 | undefined
  readonly username?: string | undefined
  readonly password?: Redacted.Redacted<string> | undefined
  /** Sent with `CLIENT SETNAME` (or inside HELLO). */
  readonly clientName?: string | undefined
  /** Send `READONLY` after the handshake (replica reads). */
  readonly readOnly?: boolean | undefined
  /** Receives out-of-band push frames (RESP3 `>`): pub/sub messages, invalidations. */
  readonly onPush?: ((push: Resp.Push) => void) | undefined
  /**
   * Subscriber mode, for a connection dedicated to pub/sub. Frames whose first element is
   * `message`, `pmessage`, `smessage`, `subscribe`, `psubscribe`, `ssubscribe`, `unsubscribe`,
   * `punsubscribe` or `sunsubscribe` go to `onPush` as `Resp.Push`, in RESP3 (push frames) and in
   * RESP2 (plain arrays) alike; everything received after the handshake, pushes and replies, is
   * decoded as bytes (`Uint8Array` strings). Other replies (`PING`: `PONG` in RESP3, `["pong", ""]`
   * in RESP2) answer `send` as usual. Default `false`.
   */
  readonly subscriber?: boolean | undefined
  /** Bounds of the reply decoder. */
  readonly decoder?: Resp.DecoderOptions | undefined
}

/**
 * A live, multiplexed connection to one node.
 *
 * @since 0.1.0
 * @category models
 */
export interface NodeConnection {
  readonly endpoint: Endpoint
  /** The RESP version agreed in the handshake. */
  readonly protocol: 2 | 3
  /**
   * Send one command and wait for its reply. Error replies fail with their typed error; the
   * connection stays usable. `bytes` decodes the reply's strings as `Uint8Array`.
   * `timeoutMillis` overrides the connection's `commandTimeout` (0 = no deadline). `asking` sends
   * `ASKING` right before the command, with nothing from other fibers in between.
   */
  readonly send: (
    args: ReadonlyArray<Resp.RespArg>,
    bytes?: boolean,
    timeoutMillis?: number,
    asking?: boolean
  ) => Effect.Effect<Resp.RespValue, CommandError>
  /**
   * Send several commands in one go: they are queued back to back (no other fiber's command lands
   * between them, which MULTI/EXEC relies on) and the Effect completes once every reply arrived,
   * with one `Exit` per command in order. Interrupting it drops the replies in order.
   */
  readonly sendBatch: (
    requests: ReadonlyArray<BatchRequest>,
    timeoutMillis?: number
  ) => Effect.Effect<ReadonlyArray<Exit.Exit<Resp.RespValue, CommandError>>>
  /**
   * Subscriber mode only: writes a `SUBSCRIBE`, `PSUBSCRIBE`, `SSUBSCRIBE` or matching
   * `UNSUBSCRIBE` command (at least one channel) and returns at once. Its confirmations, one per
   * channel, arrive through `onPush`; if the server answers an error instead (`MOVED`,
   * `CROSSSLOT`, `NOPERM`...), `onError` gets it, and also a `ConnectionError` when the connection
   * is lost before all confirmations arrived. On a normal connection this dies (a defect).
   */
  readonly sendNoReply: (
    args: ReadonlyArray<Resp.RespArg>,
    onError?: ((error: NoReplyError) => void) | undefined
  ) => Effect.Effect<void>
  /** `false` once the connection is lost or closed; then every `send` fails with `ConnectionError`. */
  readonly isOpen: () => boolean
  /** Commands queued or written and not yet answered. */
  readonly pending: () => number
  /** Waits until the connection is dead and gives the reason. */
  readonly closed: Effect.Effect<ClusterError.ConnectionError | ClusterError.ProtocolError>
}

/**
 * One command of a batch.
 *
 * @since 0.1.0
 * @category models
 */
export interface BatchRequest {
  readonly args: ReadonlyArray<Resp.RespArg>
  /** Decode the reply's strings as bytes. */
  readonly bytes?: boolean | undefined
  /** Send `ASKING` right before it. */
  readonly asking?: boolean | undefined
}

/**
 * The default of `maxPendingCommands`. Well above what a healthy connection holds (a burst of
 * 1,000 commands, a pipeline of 10,000: bench/README.md), so it only stops a node that does not
 * keep up, and a healthy node clears it in under a second at 100-200k commands/s. What it bounds
 * is what waits there: about 100 bytes per written command (its arguments go once written), so
 * ~10 MB per stuck connection, plus the arguments of commands not yet written.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultMaxPendingCommands = 100_000

/**
 * A deadline in milliseconds, `0` for none: `0`, an infinite duration and `undefined` all mean no
 * deadline (the rule of every duration option), and so do the negative and `NaN` values that
 * `ClusterConfig` refuses, should a caller of `make` pass one anyway.
 */
const toMillis = (d: Duration.Input | undefined): number => {
  const millis = d === undefined ? 0 : Duration.toMillis(Duration.fromInputUnsafe(d))
  return Number.isFinite(millis) && millis > 0 ? millis : 0
}


const isUnknownCommand = (e: ClusterError.ReplyFailure): boolean =>
  e._tag === "ReplyError" && /unknown command/i.test(e.reply)

const handshake = Effect.fnUntraced(function*(machine: Machine, options: NodeConnectionOptions) {
  // The handshake runs alone on a new connection, far below any cap (at least 1, one at a time).
  const run = (args: ReadonlyArray<Resp.RespArg>) =>
    send(machine, args, false, 0, false).pipe(Effect.catchTag("QueueFullError", (e) => Effect.die(e)))
  const auth: Array<string> = options.password === undefined
    ? []
    : ["AUTH", options.username ?? "default", Redacted.value(options.password)]
  let protocol: 2 | 3 = 2
  if ((options.protocol ?? 3) === 3) {
    const name: Array<string> = options.clientName === undefined ? [] : ["SETNAME", options.clientName]
    const hello = yield* run(["HELLO", "3", ...auth, ...name]).pipe(
      Effect.map(() => true),
      // NOPROTO: the server speaks RESP2 only; unknown command: older than Redis 6.
      Effect.catchIf(
        (e): e is ClusterError.ReplyError => e._tag === "ReplyError" && (e.code === "NOPROTO" || isUnknownCommand(e)),
        () => Effect.succeed(false)
      )
    )
    if (hello) protocol = 3
  }
  if (protocol === 2) {
    if (options.password !== undefined) {
      yield* run(options.username === undefined ? ["AUTH", Redacted.value(options.password)] : auth)
    }
    if (options.clientName !== undefined) yield* run(["CLIENT", "SETNAME", options.clientName])
  }
  if (options.readOnly === true) yield* run(["READONLY"])
  machine.protocol = protocol
})

/** `maxPendingCommands` as a bound: `0` and `Infinity` mean none. */
const maxPendingOf = (options: NodeConnectionOptions): number => {
  const cap = options.maxPendingCommands ?? defaultMaxPendingCommands
  return cap > 0 ? cap : Infinity
}

/**
 * Opens a connection to one node and performs the handshake (`HELLO 3` with `AUTH` and `SETNAME`,
 * falling back to RESP2; optional `READONLY`). The connection closes when the scope closes; commands
 * still waiting then fail with `ConnectionError`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: NodeConnectionOptions): Effect.Effect<NodeConnection, ConnectError, Scope.Scope | Connector> =>
  Effect.gen(function*() {
    const connector = yield* Connector
    const connectTimeout = toMillis(options.connectTimeout ?? Duration.seconds(10))
    const endpoint: Endpoint = { host: options.host, port: options.port }
    const open = Effect.gen(function*() {
      const transport = yield* connector.connect(endpoint, {
        tls: options.tls,
        // absent: the connector applies no deadline of its own either
        connectTimeout: connectTimeout === 0 ? undefined : Duration.millis(connectTimeout)
      })
      const machine = new Machine(options.host, options.port, transport, toMillis(options.commandTimeout), options.onPush, options.decoder, maxPendingOf(options))
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => machine.kill(new ClusterError.ConnectionError({ host: options.host, port: options.port, reason: "connection closed by the client" })))
      )
      const subscriber = options.subscriber === true
      const onData = machine.reader(subscriber)
      yield* transport.run(onData).pipe(
        Effect.match({
          onFailure: (error) => machine.kill(error),
          onSuccess: () => machine.kill(new ClusterError.ConnectionError({ host: options.host, port: options.port, reason: "connection closed by the server" }))
        }),
        Effect.forkScoped
      )
      yield* handshake(machine, options)
      machine.pushBytes = subscriber
      return machine
    })
    // connectTimeout 0 (or Infinity) is "no deadline": the open waits as long as it takes
    const machine = yield* connectTimeout === 0 ? open : open.pipe(
      Effect.timeoutOrElse({
        duration: Duration.millis(connectTimeout),
        orElse: () =>
          Effect.fail(new ClusterError.TimeoutError({ host: options.host, port: options.port, command: "CONNECT", timeoutMillis: connectTimeout }))
      })
    )
    const connection: NodeConnection = {
      endpoint,
      protocol: machine.protocol,
      send: (args, bytes = false, timeoutMillis, asking = false) => send(machine, args, bytes, timeoutMillis, asking),
      sendBatch: (requests, timeoutMillis) => sendBatch(machine, requests, timeoutMillis),
      sendNoReply: options.subscriber === true
        ? (args, onError) => sendNoReply(machine, args, onError)
        : () => Effect.die(new Error("NodeConnection.sendNoReply needs a connection opened with subscriber: true")),
      isOpen: () => machine.dead === undefined,
      pending: () => machine.pendingCount(),
      closed: Effect.callback<ClusterError.ConnectionError | ClusterError.ProtocolError>((resume) => {
        if (machine.dead !== undefined) return resume(Effect.succeed(machine.dead))
        const waiter = (e: ClusterError.ConnectionError | ClusterError.ProtocolError) => resume(Effect.succeed(e))
        machine.deathWaiters.push(waiter)
        return Effect.sync(() => {
          const i = machine.deathWaiters.indexOf(waiter)
          if (i !== -1) machine.deathWaiters.splice(i, 1)
        })
      })
    }
    return connection
  })
