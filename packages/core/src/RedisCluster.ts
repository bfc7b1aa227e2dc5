/**
 * The `RedisCluster` service users yield: one method per Redis command (derived from the `Command`
 * constructors), `execute` for any `Command`, `executeOn` for one chosen node; `make`, `layer`,
 * `layerConfig` and `fromUrl` to build it.
 *
 * @since 0.1.0
 */
import { Config, Context, Effect, Layer } from "effect"
import type { Result, Schedule, Stream } from "effect"
import type { Scope } from "effect"
import * as ClusterConfig from "./ClusterConfig.js"
import type * as ClusterError from "./ClusterError.js"
import type * as Command from "./Command.js"
import type { CommandResult, NodeReply } from "./Command.js"
import * as Commands from "./commands/index.js"
import type { Connector, Endpoint } from "./Connector.js"
import * as Batch from "./internal/engine/batch.js"
import * as Blocking from "./internal/engine/blocking.js"
import * as Deadline from "./internal/deadline.js"
import * as Executor from "./internal/engine/executor.js"
import { Lifecycle } from "./internal/engine/lifecycle.js"
import * as Observe from "./internal/engine/observe.js"
import * as NonAtomic from "./internal/engine/nonatomic.js"
import * as Pool from "./internal/engine/pool.js"
import * as PubSub from "./PubSub.js"
import { Retries } from "./internal/engine/retry.js"
import * as Scan from "./internal/engine/scan.js"
import * as PipelineStream from "./internal/engine/stream.js"
import * as TopologyEngine from "./internal/engine/topology.js"
import * as Watch from "./internal/engine/watch.js"
import * as RetryPolicy from "./RetryPolicy.js"
import { NodePicker } from "./Router.js"
import * as Topology from "./Topology.js"

/**
 * The options of a cluster client (see `ClusterConfig`).
 *
 * @since 0.1.0
 * @category models
 */
export type RedisClusterConfig = ClusterConfig.RedisClusterConfig

type Constructors = typeof Commands

/**
 * One method per command constructor: same name, same arguments, the command's result.
 *
 * @since 0.1.0
 * @category models
 */
export type CommandMethods = {
  readonly [K in keyof Constructors]: Constructors[K] extends (...args: infer P extends ReadonlyArray<unknown>) => Command.Command<infer A>
    ? (...args: P) => Effect.Effect<A, ClusterError.RedisClusterError>
    : never
}

/**
 * The results of a batch of commands, by position.
 *
 * @since 0.1.0
 * @category models
 */
export type Results<T extends ReadonlyArray<Command.Command<unknown>>> = { -readonly [K in keyof T]: CommandResult<T[K]> }

/**
 * Every command's outcome in a batch, by position.
 *
 * @since 0.1.0
 * @category models
 */
export type Settled<T extends ReadonlyArray<Command.Command<unknown>>> = {
  -readonly [K in keyof T]: Result.Result<CommandResult<T[K]>, ClusterError.RedisClusterError>
}

/**
 * What `watch`'s body works with: the watching connection.
 *
 * @since 0.1.0
 * @category models
 */
export interface WatchTransaction {
  /** Runs a command on the watching connection. */
  readonly execute: <A>(command: Command.Command<A>) => Effect.Effect<A, ClusterError.RedisClusterError>
  /** `MULTI` … `EXEC` on the watching connection. */
  readonly transaction: <const T extends ReadonlyArray<Command.Command<unknown>>>(commands: T) => Effect.Effect<Results<T>, ClusterError.RedisClusterError>
}

/**
 * Options of `pipelineStream` and `pipelineStreamSettled`: `batchSize` commands per pipeline
 * (default 1000), `inFlight` pipelines at once (default 4).
 *
 * @since 0.1.0
 * @category models
 */
export type PipelineStreamOptions = PipelineStream.PipelineStreamOptions

/**
 * The cluster client: one method per command, plus what is not a single command.
 *
 * @since 0.1.0
 * @category models
 */
export interface RedisClusterService
  extends ClientMethods, PubSub.PubSubMethods, Omit<CommandMethods, keyof ClientMethods | keyof PubSub.PubSubMethods>
{}

/**
 * The service's own methods. Where a command constructor has the same name (`watch`, whose plain
 * command cannot work on a multiplexed connection), this one wins.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientMethods {
  /**
   * Sends the commands as a pipeline: grouped per node, one write per node, all nodes at once;
   * order is kept per slot. Multi-key commands spanning slots are split (like `execute`), commands
   * for every master are sent to each. Only commands answered MOVED/ASK/TRYAGAIN/CLUSTERDOWN/
   * LOADING/READONLY, or never written when a connection dropped, are sent again. Fails with the
   * first failed command's error (naming its `index`) once every command has finished.
   * Blocking and unsupported commands are refused before anything is sent.
   */
  readonly pipeline: <const T extends ReadonlyArray<Command.Command<unknown>>>(commands: T) => Effect.Effect<Results<T>, ClusterError.RedisClusterError>
  /** `pipeline` giving every command's outcome as a `Result` instead of failing. */
  readonly pipelineSettled: <const T extends ReadonlyArray<Command.Command<unknown>>>(commands: T) => Effect.Effect<Settled<T>, ClusterError.RedisClusterError>
  /**
   * A pipeline over a `Stream` of commands, for bulk work of any size (loading a file, copying a
   * keyspace): commands go out as pipelines of `batchSize` (default 1000), at most `inFlight`
   * (default 4) at a time, and results come out in input order. The input is pulled only as fast
   * as results are consumed, so memory stays bounded however long the stream. Redirects and
   * transient failures are handled per command as in `pipeline`; a write that may have run is never
   * sent again. The stream fails with the first failed command's error (its `index` counts from the
   * start of the stream); commands of later batches may have been sent by then. Commands of one
   * slot run in input order within a batch; with `inFlight > 1` a command re-sent after a redirect
   * can run after a later batch's (see `PipelineStreamOptions.inFlight`).
   */
  readonly pipelineStream: <A, E, R>(
    commands: Stream.Stream<Command.Command<A>, E, R>,
    options?: PipelineStreamOptions
  ) => Stream.Stream<A, E | ClusterError.RedisClusterError, R>
  /**
   * `pipelineStream` giving every command's outcome as a `Result`, in input order: the stream goes
   * on past failed commands. A write whose outcome is unknown (its connection was lost after it
   * was written) is a `ConnectionError` with `written: true`.
   */
  readonly pipelineStreamSettled: <A, E, R>(
    commands: Stream.Stream<Command.Command<A>, E, R>,
    options?: PipelineStreamOptions
  ) => Stream.Stream<Result.Result<A, ClusterError.RedisClusterError>, E | ClusterError.ConfigError, R>
  /**
   * `MULTI` … `EXEC` on the node that owns the commands' one slot (`CrossSlotError` before
   * sending when keys span slots). Retried whole when nothing ran (MOVED, ASK with `ASKING` before
   * `MULTI`, TRYAGAIN, CLUSTERDOWN, a connection lost before `EXEC` was written). A command refused
   * while queueing (`EXECABORT`) fails with that command's error and `index`.
   */
  readonly transaction: <const T extends ReadonlyArray<Command.Command<unknown>>>(commands: T) => Effect.Effect<Results<T>, ClusterError.RedisClusterError>
  /**
   * Optimistic locking: `WATCH keys` on a dedicated connection to their node, then `body` (reads
   * with `tx.execute`, then `tx.transaction`), all on that connection. When a watched key changed
   * before `EXEC`, `body` runs again per `retry` (default: 10 times, jittered), then fails with
   * `WatchError { reason: "conflict" }`; a MOVED while watching fails with `reason: "slot-moved"`.
   */
  readonly watch: <A, E, R>(
    keys: ReadonlyArray<Command.Arg>,
    body: (tx: WatchTransaction) => Effect.Effect<A, E, R>,
    retry?: Schedule.Schedule<unknown, unknown>
  ) => Effect.Effect<A, E | ClusterError.RedisClusterError, R>
  /** Runs any command: routed by its keys, redirects followed, transient failures retried. */
  readonly execute: <A>(command: Command.Command<A>) => Effect.Effect<A, ClusterError.RedisClusterError>
  /**
   * Runs a command on one chosen node, with no redirect following: cluster management
   * (`CLUSTER FAILOVER`, `CLUSTER COUNTKEYSINSLOT`, `INFO` of one node). A command normally sent to
   * every master or node gives that one node's reply.
   */
  readonly executeOn: {
    <A, P>(node: Endpoint, command: Command.FanOutCommand<A, P>): Effect.Effect<P, ClusterError.RedisClusterError>
    <A>(node: Endpoint, command: Command.Command<A>): Effect.Effect<A, ClusterError.RedisClusterError>
  }
  /**
   * A fanned-out command's reply from every node it went to, unmerged (`{ address, value }` each,
   * `value` as the command's per-node decoder gives it); other commands give one entry.
   */
  readonly perNode: (command: Command.Command<unknown>) => Effect.Effect<ReadonlyArray<NodeReply<unknown>>, ClusterError.RedisClusterError>
  /**
   * Every key of every master, as a Stream: a cursor per master; when a master fails over, its walk
   * starts over on the promoted replica (a cursor is only valid on the node that gave it). Every key
   * present for the whole scan is returned at least once, barring slots that migrate during it;
   * duplicates can occur (after such a restart, server rehashing, keys migrating between masters).
   */
  readonly scan: (options?: Scan.ScanOptions) => Stream.Stream<string, ClusterError.RedisClusterError>
  /** A hash's fields and values as a Stream (`HSCAN` on the key's slot owner). */
  readonly hscan: (key: Command.Arg, options?: Scan.KeyScanOptions) => Stream.Stream<readonly [string, string], ClusterError.RedisClusterError>
  /** A set's members as a Stream (`SSCAN`). */
  readonly sscan: (key: Command.Arg, options?: Scan.KeyScanOptions) => Stream.Stream<string, ClusterError.RedisClusterError>
  /** A sorted set's members and scores as a Stream (`ZSCAN`). */
  readonly zscan: (key: Command.Arg, options?: Scan.KeyScanOptions) => Stream.Stream<{ readonly member: string; readonly score: number }, ClusterError.RedisClusterError>
  /**
   * redis-py-cluster's client-side emulations of multi-key commands across slots (rename, smove,
   * sdiff/sinter/sunion and their store forms, rpoplpush, pfmerge, msetnx). NOT atomic: several
   * commands in turn; when the keys share a slot, the real command is sent instead.
   */
  readonly nonAtomic: NonAtomic.NonAtomic
  /** The topology this client routes by. */
  readonly topology: Topology.ClusterTopologyService
}

/**
 * The `RedisCluster` service: `yield* RedisCluster` gives the client.
 *
 * @since 0.1.0
 * @category services
 */
export class RedisCluster extends Context.Service<RedisCluster, RedisClusterService>()("@keyslot/core/RedisCluster") {}

/**
 * The metrics recorded when `metrics: true`: `commands` (tag `command`), `errors` (tag `error`),
 * `redirects` (tag `kind`: moved/ask), `refreshes` (tags `reason`, `outcome`), `latency` (ms).
 *
 * @since 0.1.0
 * @category metrics
 */
export const metrics = Observe.metrics

/**
 * Parses a `redis://` / `rediss://` URL into a config (see `ClusterConfig.fromUrl`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromUrl: (
  url: string,
  overrides?: Partial<RedisClusterConfig>
) => Effect.Effect<RedisClusterConfig, ClusterError.ConfigError> = ClusterConfig.fromUrl

const commandMethods = (execute: RedisClusterService["execute"]): CommandMethods => {
  const methods: Record<string, (...args: ReadonlyArray<unknown>) => unknown> = {}
  for (const [name, constructor] of Object.entries(Commands)) {
    if (typeof constructor !== "function") continue
    const build = constructor as (...args: ReadonlyArray<unknown>) => Command.Command<unknown>
    methods[name] = (...args) => execute(build(...args))
  }
  return methods as unknown as CommandMethods
}

/** Builds both services; `make` and `layer` share it. */
const build = (config: RedisClusterConfig) =>
  Effect.gen(function*() {
    const resolved = yield* ClusterConfig.resolve(config)
    const metricsContext = yield* Effect.context<never>()
    const count = resolved.metrics ? Observe.counters(metricsContext) : undefined
    const connection: Pool.PoolConnectionOptions = {
      tls: resolved.tls,
      connectTimeout: resolved.connectTimeoutMillis,
      commandTimeout: resolved.commandTimeoutMillis,
      protocol: resolved.protocol,
      username: resolved.username,
      password: resolved.password,
      clientName: resolved.clientName,
      // READONLY is harmless on masters and lets replicas serve the reads routed to them.
      readOnly: resolved.readFrom !== "master",
      // Every connection (pool, blocking, pub/sub: all start from these options) bounds what one
      // reply can make it buffer.
      decoder: { maxBulkLength: resolved.maxReplyBulkBytes, maxAggregateLength: resolved.maxReplyElements },
      maxPendingCommands: resolved.maxPendingCommands
    }
    const life = new Lifecycle()
    const pool = yield* Pool.make(connection, life)
    const blocking = yield* Blocking.make(
      { ...connection, commandTimeout: undefined },
      resolved.maxBlockingConnectionsPerNode,
      resolved.blockingPoolTimeoutMillis
    )
    const topology = yield* TopologyEngine.make(pool, {
      startupNodes: resolved.startupNodes,
      tls: resolved.tls !== undefined,
      followCluster: resolved.followCluster,
      skipFullCoverageCheck: resolved.skipFullCoverageCheck,
      remap: resolved.hostPortRemap,
      minRefreshIntervalMillis: resolved.minRefreshIntervalMillis,
      refreshIntervalMillis: resolved.topologyRefreshIntervalMillis,
      measureLatency: resolved.readFrom === "nearest",
      retireGraceMillis: resolved.commandTimeoutMillis === 0 ? 30_000 : resolved.commandTimeoutMillis,
      // Discovery is always bounded, even when connecting and commands are not: connecting, then
      // the answer within commandTimeout (or, without one, as long again as connecting may take).
      discoveryTimeoutMillis: (resolved.connectTimeoutMillis || 10_000) + (resolved.commandTimeoutMillis || resolved.connectTimeoutMillis || 10_000),
      refreshAfterMoved: resolved.refreshAfterMoved,
      onRefresh: count?.refresh,
      onRedirect: count?.redirect,
      validateRedirects: resolved.validateRedirects,
      onRetire: blocking.retire,
      life
    })
    const retry = RetryPolicy.resolve(resolved.clusterDownRetryAttempts, resolved.retry)
    // One picker for every path: replica reads take turns across commands, pipelines and pub/sub.
    const picker = new NodePicker(resolved.readFrom)
    const batch = Batch.make(pool, topology, {
      picker,
      maxRedirects: resolved.maxRedirects,
      commandTimeoutMillis: resolved.commandTimeoutMillis,
      retry,
      life
    })
    const executor = Executor.make(pool, blocking, topology, batch.run, {
      picker,
      maxRedirects: resolved.maxRedirects,
      commandTimeoutMillis: resolved.commandTimeoutMillis,
      retry,
      life
    })
    const execute = Observe.instrument(executor.execute, resolved, metricsContext)
    const scans = Scan.make({
      topology,
      execute,
      executeOn: executor.executeOn,
      picker,
      retries: () => new Retries(retry, Deadline.after(resolved.commandTimeoutMillis), life)
    })
    // Pub/sub streams (they replace the unsupported `subscribe`-family command methods).
    const pubsub = yield* PubSub.make(topology, { connection, picker })
    // The tuple types are checked at the method signature; the engine works on unknowns.
    const watch = Watch.make({
      blocking,
      topology,
      commandTimeoutMillis: resolved.commandTimeoutMillis,
      transactionSlot: batch.transactionSlot,
      execOn: batch.execOn
    }) as RedisClusterService["watch"]
    const streams = PipelineStream.make(batch.settle)
    const service: RedisClusterService = {
      ...commandMethods(execute),
      ...pubsub,
      ...scans,
      // The tuple types are checked at the method signature; the engine works on unknowns.
      pipeline: batch.pipeline as RedisClusterService["pipeline"],
      pipelineSettled: batch.settle as RedisClusterService["pipelineSettled"],
      pipelineStream: streams.stream,
      pipelineStreamSettled: streams.settledStream,
      transaction: batch.transaction as RedisClusterService["transaction"],
      watch: (keys, body, schedule) => life.closed ? Effect.fail(life.closedError("WATCH")) : watch(keys, body, schedule),
      execute,
      executeOn: executor.executeOn,
      perNode: executor.perNode,
      nonAtomic: NonAtomic.make(execute),
      topology: TopologyEngine.readOnly(topology)
    }
    // Added last, so it runs first when the scope closes: every path stops before anything closes.
    yield* Effect.addFinalizer(() => Effect.sync(() => life.close()))
    return { service, topology: service.topology }
  })

/**
 * A cluster client living in the current scope: the cluster is discovered before this succeeds;
 * every connection closes with the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (config: RedisClusterConfig): Effect.Effect<RedisClusterService, ClusterError.RedisClusterError, Scope.Scope | Connector> =>
  Effect.map(build(config), (built) => built.service)

/**
 * Provides `RedisCluster` and `ClusterTopology`; needs a `Connector` (see `@keyslot/node`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  config: RedisClusterConfig
): Layer.Layer<RedisCluster | Topology.ClusterTopology, ClusterError.RedisClusterError, Connector> =>
  Layer.effectContext(
    Effect.map(build(config), ({ service, topology }) =>
      Context.make(RedisCluster, service).pipe(Context.add(Topology.ClusterTopology, topology))
    )
  )

/**
 * `layer` from Effect `Config` (environment variables, a ConfigProvider...).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Wrap<RedisClusterConfig>
): Layer.Layer<RedisCluster | Topology.ClusterTopology, ClusterError.RedisClusterError | Config.ConfigError, Connector> =>
  Layer.unwrap(Effect.map(Config.unwrap(config), layer))
