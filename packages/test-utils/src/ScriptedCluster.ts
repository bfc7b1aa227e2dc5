/**
 * An in-memory, scripted Redis Cluster: a `Connector` whose "sockets" reach simulated nodes living
 * in the test process, so that a client's behaviour under redirects, transient errors, dropped and
 * stalled connections can be tested in milliseconds, without `redis-server`.
 *
 * The nodes speak RESP (RESP3 after `HELLO 3`, RESP2 otherwise) and implement what a cluster
 * client needs: the handshake (`HELLO` with `AUTH`/`SETNAME`, `AUTH`, `CLIENT SETNAME`,
 * `READONLY`, `READWRITE`, `ASKING`, `PING`), discovery (`CLUSTER SHARDS`, `SLOTS`, `INFO`,
 * `NODES`, `MYID`, `KEYSLOT`), a string keyspace (`GET`, `SET`, `DEL`, `INCR`, `MGET`, `MSET`, ...),
 * `MULTI`/`EXEC`/`DISCARD`, and `EVAL` through a handler. Keys are routed as a real cluster does:
 * `-MOVED` from a node that does not own the slot, `-ASK` for keys already moved out of a
 * migrating slot, `-TRYAGAIN` for multi-key commands split by a migration, `-CROSSSLOT`, and
 * `-CLUSTERDOWN` for a slot nobody serves. Replicas serve reads after `READONLY` and redirect
 * writes to their master.
 *
 * Everything can be scripted at any time: move slots, migrate a slot key by key, make a node answer
 * an error for its next commands, close connections (even between receiving a command and
 * answering it), stall a node, add, remove and fail over nodes. Every command a node receives is
 * logged.
 *
 * `@keyslot/test-utils` does not depend on `@keyslot/core`: `connector` matches core's
 * `ConnectorService` structurally, and the error of a refused connection is made by the `refuse`
 * option. With core:
 *
 * ```ts
 * const cluster = yield* ScriptedCluster.make({
 *   masters: 3,
 *   refuse: (endpoint, reason) => new ClusterError.ConnectionError({ ...endpoint, reason })
 * })
 * const redis = yield* RedisCluster.make({ startupNodes: cluster.startupNodes }).pipe(
 *   Effect.provide(Layer.succeed(Connector.Connector, cluster.connector))
 * )
 * const owner = cluster.ownerOf("user:1")!
 * owner.fail("TRYAGAIN", { command: "GET", times: 2 })
 * yield* redis.get("user:1")
 * expect(owner.received("GET")).toHaveLength(3)
 * ```
 *
 * Replies are delivered asynchronously (on `setImmediate`), in order per connection, like a socket.
 * The scripting methods are plain synchronous calls that take effect at once.
 *
 * @since 0.1.0
 */
import type { Duration, Effect, Scope } from "effect"
import * as Data from "effect/Data"
import * as internal from "./internal/scripted/cluster.js"
import * as wire from "./internal/scripted/wire.js"

// -----------------------------------------------------------------------------------------------
// The connector, structurally core's
// -----------------------------------------------------------------------------------------------

/**
 * A node address (structurally `@keyslot/core`'s `Connector.Endpoint`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Endpoint {
  readonly host: string
  readonly port: number
}

/**
 * What the connector is told about a connection (structurally a supertype of core's
 * `Connector.ConnectOptions`). TLS is accepted and ignored; nothing here takes time, so
 * `connectTimeout` only matters to the caller (a stalled node accepts connections and answers
 * nothing, so the caller's handshake times out).
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectOptions {
  readonly tls?: unknown
  readonly connectTimeout?: Duration.Duration | undefined
}

/**
 * One open in-memory connection (structurally core's `Connector.Transport`). `run` succeeds when
 * the node closes the connection (the "connection closed by the server" path) or after `close`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Transport {
  /** Sends bytes to the node. After the connection ended this is a no-op. */
  readonly write: (chunk: Uint8Array) => void
  /** Delivers every chunk the node sends, in order; succeeds when the connection ends. */
  readonly run: (onData: (chunk: Uint8Array) => void) => Effect.Effect<void>
  /** Closes the connection from the client side; `run` then ends. Idempotent. */
  readonly close: () => void
  /** Chunks given to `onData` are never reused. */
  readonly transientChunks: false
}

/**
 * The connector (structurally core's `Connector.ConnectorService` when `E` is core's
 * `ConnectionError`): opens connections to the cluster's nodes, closed when the scope closes.
 * Opening completes on a later turn of the event loop; a node that does not exist, was removed or
 * is down refuses with the `refuse` option's error.
 *
 * @since 0.1.0
 * @category models
 */
export interface Connector<E> {
  readonly connect: (endpoint: Endpoint, options: ConnectOptions) => Effect.Effect<Transport, E, Scope.Scope>
}

/**
 * The default error of a refused connection, when `make` is given no `refuse`.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConnectionRefused extends Data.TaggedError("ConnectionRefused")<{
  readonly host: string
  readonly port: number
  readonly reason: string
}> {
  override get message(): string {
    return `connection to ${this.host}:${this.port} refused: ${this.reason}`
  }
}

// -----------------------------------------------------------------------------------------------
// Replies
// -----------------------------------------------------------------------------------------------

/**
 * A reply a scripted rule or `onEval` can give: strings and bytes are bulk strings, integers
 * integers (other numbers doubles), booleans RESP3 booleans (`:1`/`:0` in RESP2), `null` the null
 * reply, arrays arrays; `simple`, `error` and `map` build the other kinds. Encoded in the
 * connection's protocol (RESP2 or RESP3).
 *
 * @since 0.1.0
 * @category models
 */
export type Reply = wire.Reply

/**
 * A simple string reply (`+OK`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const simple = (value: string): Reply => new wire.SimpleString(value)

/**
 * An error reply (`-ERR ...`): the full line without the dash, code first.
 *
 * @since 0.1.0
 * @category constructors
 */
export const error = (message: string): Reply => new wire.ErrorReply(message)

/**
 * A map reply (a RESP3 map; a flat array of keys and values in RESP2).
 *
 * @since 0.1.0
 * @category constructors
 */
export const map = (entries: Readonly<Record<string, Reply>> | ReadonlyArray<readonly [Reply, Reply]>): Reply =>
  new wire.MapReply(Array.isArray(entries) ? entries : Object.entries(entries))

// -----------------------------------------------------------------------------------------------
// Scripting
// -----------------------------------------------------------------------------------------------

/**
 * The transient cluster errors, by code. Each becomes the error reply Redis sends
 * (`TRYAGAIN Multiple keys request during rehashing of slot`, `CLUSTERDOWN The cluster is down`,
 * `LOADING Redis is loading the dataset in memory`,
 * `READONLY You can't write against a read only replica.`,
 * `MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.`).
 *
 * @since 0.1.0
 * @category models
 */
export type ErrorCode = "TRYAGAIN" | "CLUSTERDOWN" | "LOADING" | "READONLY" | "MASTERDOWN"

/**
 * What a rule does to a command it matches:
 * - `Error`: answer this error line instead of running the command.
 * - `Reply`: answer this reply instead of running the command.
 * - `Close`: close the connection without answering; with `execute`, the command runs first
 *   ("written, unanswered": it took effect, its reply was lost). Replies to earlier commands are
 *   delivered before the close.
 * - `Stall`: this connection answers nothing more, from this command on, until the node's
 *   `release()` (the held commands then run and are answered in order).
 *
 * @since 0.1.0
 * @category models
 */
export type Action =
  | { readonly _tag: "Error"; readonly message: string }
  | { readonly _tag: "Reply"; readonly reply: Reply }
  | { readonly _tag: "Close"; readonly execute: boolean }
  | { readonly _tag: "Stall" }

/**
 * Which commands a rule applies to.
 *
 * @since 0.1.0
 * @category models
 */
export interface RuleOptions {
  /**
   * Command names (case-insensitive; `"CLUSTER SHARDS"` names a subcommand). Default: every
   * command that has keys, so that handshake and discovery commands (`HELLO`, `CLUSTER ...`,
   * `PING`, `READONLY`, `ASKING`, `MULTI`, `EXEC`) are left alone unless named.
   */
  readonly command?: string | ReadonlyArray<string> | undefined
  /** A further test on the command's arguments (the name first, as UTF-8 text). */
  readonly when?: ((args: ReadonlyArray<string>) => boolean) | undefined
  /** How many matching commands the rule applies to: default 1; `Infinity` until cancelled. */
  readonly times?: number | undefined
}

/**
 * An installed rule. Rules of a node are tried in the order they were added; the first that
 * matches a command applies, and is used up after `times` commands.
 *
 * @since 0.1.0
 * @category models
 */
export interface Rule {
  /** Commands it applied to so far. */
  readonly hits: number
  /** Commands it still applies to. */
  readonly remaining: number
  /** Removes it. */
  readonly cancel: () => void
}

/**
 * One command as a node received it.
 *
 * @since 0.1.0
 * @category models
 */
export interface LoggedCommand {
  /** `host:port` of the node. */
  readonly node: string
  /** Connection number (unique in the cluster), to tell connections apart. */
  readonly connection: number
  /** Upper-case command name (`"GET"`, `"CLUSTER"`). */
  readonly name: string
  /** The arguments, name first, as UTF-8 text. */
  readonly args: ReadonlyArray<string>
}

/**
 * A node of the scripted cluster. Properties read the current state.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScriptedNode extends Endpoint {
  /** 40 hex characters, as `CLUSTER SHARDS` reports it. */
  readonly id: string
  /** `host:port`. */
  readonly address: string
  readonly role: "master" | "replica"
  /** A replica's master. */
  readonly master: ScriptedNode | undefined
  /** A master's replicas. */
  readonly replicas: ReadonlyArray<ScriptedNode>
  /** Inclusive slot ranges this master serves (none for replicas). */
  readonly slots: ReadonlyArray<readonly [number, number]>
  /** `down()` was called (and not `up()`). */
  readonly isDown: boolean
  /** `stall()` was called (and not `release()`). */
  readonly isStalled: boolean
  /** Connections open now. */
  readonly connections: number
  /** The keyspace (a replica's is its master's), as UTF-8 text. */
  readonly data: ReadonlyMap<string, string>
  /** Every command received, in order, handshakes included. */
  readonly log: ReadonlyArray<LoggedCommand>
  /** The arguments of every received command named `command` (`"GET"`, `"CLUSTER SHARDS"`), or of all. */
  readonly received: (command?: string) => ReadonlyArray<ReadonlyArray<string>>
  /** Installs a rule. */
  readonly rule: (action: Action, options?: RuleOptions) => Rule
  /** Answers an error (a code, or a full error line) to the next matching commands. */
  readonly fail: (error: ErrorCode | string, options?: RuleOptions) => Rule
  /** Answers `reply` to the next matching commands. */
  readonly reply: (reply: Reply, options?: RuleOptions) => Rule
  /**
   * Closes the connection of the next matching commands when they arrive, without answering.
   * `execute` (default `true`): the command runs first, so it took effect but its reply is lost.
   */
  readonly drop: (options?: RuleOptions & { readonly execute?: boolean | undefined }) => Rule
  /** Closes every open connection now (as when the server kills its clients). */
  readonly closeConnections: () => void
  /** Accepts connections and commands but answers nothing until `release()`. */
  readonly stall: () => void
  /** Ends `stall()` and every stalled connection: held commands run and are answered in order. */
  readonly release: () => void
  /**
   * Crashes the node: its connections close, new ones are refused; it keeps its slots and
   * `CLUSTER SHARDS` reports it with `health: fail`.
   */
  readonly down: () => void
  /** Restarts a node that is down (its data kept). */
  readonly up: () => void
  /** Forgets the log. */
  readonly clearLog: () => void
}

/**
 * A slot being migrated: its old owner answers `-ASK` for the keys it no longer has, the target
 * serves them after `ASKING`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Migration {
  readonly slot: number
  readonly from: ScriptedNode
  readonly to: ScriptedNode
  /** Moves one key (of this slot) to the target now. */
  readonly moveKey: (key: string) => void
  /** Moves the remaining keys and gives the slot to the target: the old owner answers `-MOVED`. */
  readonly finish: () => void
  /** Ends the migration, the slot staying with its owner (moved keys are moved back). */
  readonly cancel: () => void
}

/**
 * The scripted cluster.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScriptedCluster<E> {
  /** The connector to give the client under test. */
  readonly connector: Connector<E>
  /** The nodes as first created, as seed addresses. */
  readonly startupNodes: ReadonlyArray<Endpoint>
  /** The current members, in creation order. */
  readonly nodes: ReadonlyArray<ScriptedNode>
  readonly masters: ReadonlyArray<ScriptedNode>
  readonly replicas: ReadonlyArray<ScriptedNode>
  /** A member by `host:port`, port or endpoint; throws for an unknown node (a test bug). */
  readonly node: (address: string | number | Endpoint) => ScriptedNode
  /** The hash slot of a key. */
  readonly slotOf: (key: string | Uint8Array) => number
  /** The master serving a slot (or a key's slot) now, if any. */
  readonly ownerOf: (slotOrKey: number | string) => ScriptedNode | undefined
  /** A key (`prefix:N`) in a slot the master serves, not migrating. */
  readonly keyFor: (master: ScriptedNode, prefix?: string) => string
  /** A key (`prefix:N`) hashing to `slot`. */
  readonly keyInSlot: (slot: number, prefix?: string) => string
  /** Writes a key straight into its owner's keyspace (not logged). */
  readonly set: (key: string, value: string) => void
  /** Reads a key from its owner's keyspace (or the migration target's), not logged. */
  readonly get: (key: string) => string | undefined
  /**
   * Gives slots (one, or an inclusive range) to a master at once; their keys move with them unless
   * `keys: false`. The old owners then answer `-MOVED`.
   */
  readonly moveSlots: (slots: number | readonly [number, number], to: ScriptedNode, options?: { readonly keys?: boolean | undefined }) => void
  /**
   * Leaves slots (one, or an inclusive range) served by nobody, their keys dropped: commands for
   * them get `-CLUSTERDOWN Hash slot not served` and `CLUSTER INFO` reports `cluster_state:fail`.
   */
  readonly unassignSlots: (slots: number | readonly [number, number]) => void
  /** Starts migrating a slot from its owner to another master. */
  readonly migrate: (slot: number, to: ScriptedNode) => Migration
  /**
   * Adds a node (port: one above the highest so far): a master without slots, or a replica of
   * `replicaOf` (which then lists it).
   */
  readonly addNode: (options?: { readonly port?: number | undefined; readonly replicaOf?: ScriptedNode | undefined }) => ScriptedNode
  /**
   * Removes a node: its connections close and it refuses new ones. A master must have no slots
   * and no replicas left (throws otherwise).
   */
  readonly removeNode: (node: ScriptedNode) => void
  /** Promotes a replica: it takes its master's slots and keyspace, the old master becomes its replica. */
  readonly failover: (replica: ScriptedNode) => void
  /** Every command every node received, in order. */
  readonly log: ReadonlyArray<LoggedCommand>
  /** How many commands named `command` (`"INCR"`, `"CLUSTER SHARDS"`) were received, by one node or all. */
  readonly count: (command: string, node?: ScriptedNode) => number
  /** Forgets every node's log. */
  readonly clearLog: () => void
  /** Increases with every change of the slot map or the membership (`cluster_current_epoch`). */
  readonly epoch: number
}

/**
 * Options of `make`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Masters; the slots are split evenly between them. Default `3`. */
  readonly masters?: number | undefined
  /** Replicas of each master. Default `0`. */
  readonly replicasPerMaster?: number | undefined
  /** The host every node announces. Default `"127.0.0.1"`. */
  readonly host?: string | undefined
  /** Port of the first node; the others follow (masters first). Default `30001`. */
  readonly basePort?: number | undefined
  /** When set, commands need `AUTH` (or `HELLO ... AUTH`) with this password first. */
  readonly password?: string | undefined
  /** The ACL user that goes with `password`. Default `"default"`. */
  readonly username?: string | undefined
  /** `false`: `HELLO 3` is refused with `-NOPROTO`, as by a RESP2-only server. Default `true`. */
  readonly resp3?: boolean | undefined
  /** `false`: no `CLUSTER SHARDS` (an "unknown subcommand" error), as Redis < 7. Default `true`. */
  readonly clusterShards?: boolean | undefined
  /** Answers `EVAL`/`EVALSHA` (routed by their keys). Default: an error reply. */
  readonly onEval?: ((request: EvalRequest) => Reply) | undefined
}

/**
 * What an `onEval` handler is given: the script (or SHA1), keys and arguments as text, and access
 * to the keyspace it runs on.
 *
 * @since 0.1.0
 * @category models
 */
export interface EvalRequest {
  /** `EVAL` or `EVALSHA`. */
  readonly command: string
  readonly script: string
  readonly keys: ReadonlyArray<string>
  readonly args: ReadonlyArray<string>
  /** `host:port` of the node that runs it. */
  readonly node: string
  readonly get: (key: string) => string | undefined
  readonly set: (key: string, value: string) => void
}

/**
 * Builds a scripted cluster. `refuse` makes the error of a refused connection (to an unknown,
 * removed or down node); with `@keyslot/core` pass
 * `(endpoint, reason) => new ClusterError.ConnectionError({ ...endpoint, reason })`. Without it,
 * connections are refused with `ConnectionRefused`.
 *
 * @since 0.1.0
 * @category constructors
 */
export function make(options?: Options & { readonly refuse?: undefined }): Effect.Effect<ScriptedCluster<ConnectionRefused>>
export function make<E>(options: Options & { readonly refuse: (endpoint: Endpoint, reason: string) => E }): Effect.Effect<ScriptedCluster<E>>
export function make<E>(
  options?: Options & { readonly refuse?: ((endpoint: Endpoint, reason: string) => E) | undefined }
): Effect.Effect<ScriptedCluster<E | ConnectionRefused>> {
  return internal.make<E | ConnectionRefused>(
    options ?? {},
    options?.refuse ?? ((endpoint, reason) => new ConnectionRefused({ host: endpoint.host, port: endpoint.port, reason }))
  )
}
