/**
 * A real Redis Cluster of `redis-server` processes on free loopback ports, built by cluster commands
 * (no redis-cli), with fault helpers: kill, pause, restart, failover, slot migration (whole or held
 * half-way for ASK), adding and removing nodes.
 *
 * ```ts
 * layer(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 1 }))("cluster", (it) => {
 *   it.effect("survives a master loss", () =>
 *     Effect.gen(function*() {
 *       const cluster = yield* RedisClusterFixture.RedisClusterFixture
 *       const master = yield* cluster.masterOf(0)
 *       yield* cluster.killNode(master.port)
 *       yield* cluster.waitHealthy()          // the replica has been promoted
 *     }))
 * })
 * ```
 *
 * ## What `waitHealthy` waits for
 *
 * A node is *up* when its process runs and is not paused by `pauseNode`; otherwise it is *down*
 * (killed, exited by itself, or paused). Only up nodes are asked. Every one of them must report
 * `cluster_state:ok`; know exactly the nodes the fixture tracks (nodes removed with `removeNode`
 * must be forgotten, nothing unknown may be present); see no `fail`, `fail?`, `handshake` or
 * `noaddr` flag on any up node; see every *down* node flagged `fail`; have the same view as every
 * other up node of each node's role, master and slots; and, if it is a replica, report
 * `master_link_status:up` with no sync in progress.
 * So `waitHealthy` after `killNode` (or during `pauseNode`) of a master returns only once the
 * failure was detected and its replica promoted; after `killNode` of a replica, once it is
 * flagged `fail`; after `restartNode` / `resumeNode`, once the node is back without flags.
 * Flagging `fail` needs a majority of masters to agree: with fewer than 3 masters, or a master
 * without a replica, a down master leaves the cluster down and `waitHealthy` times out.
 * A master that dies without a replica leaves its slots uncovered: `waitHealthy` then times out.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { resolveBinary } from "./internal/binary.js"
import { type ClusterContext, type Migration, nodeAt, run, SLOTS } from "./internal/clusterContext.js"
import { makeFaults } from "./internal/clusterFaults.js"
import { makeHealth } from "./internal/clusterHealth.js"
import { bootstrap, makeMembership, makeSpawner, serverArgs } from "./internal/clusterMembership.js"
import { makeResharding } from "./internal/clusterMigration.js"
import type { NodeLine } from "./internal/clusterNodes.js"
import { connectTo } from "./internal/connect.js"
import { FixtureError, RedisReplyError } from "./internal/errors.js"
import { HOST } from "./internal/process.js"
import type { Arg, Reply } from "./internal/resp.js"
import type { Connection, Credentials } from "./RedisServer.js"

export {
  /**
   * A fixture could not do what it was asked (binary missing, process died, not healthy in time…).
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
 * A raw command's reply and arguments (the same types as `RedisServer.Reply` / `RedisServer.Arg`).
 *
 * @since 0.1.0
 * @category models
 */
export type { Arg, Reply }

/**
 * A dedicated connection and its credentials (the same types as in `RedisServer`).
 *
 * @since 0.1.0
 * @category models
 */
export type { Connection, Credentials }

/**
 * Options of a cluster fixture.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Number of masters (default 3). Slots 0–16383 are split evenly between them. */
  readonly masters?: number
  /** Replicas per master (default 1). */
  readonly replicasPerMaster?: number
  /** `cluster-node-timeout` in ms (default 1000). */
  readonly nodeTimeout?: number
  /** Extra `redis-server` arguments for every node, appended last (they override the defaults). */
  readonly serverArgs?: ReadonlyArray<string>
  /**
   * Announce a hostname (`cluster-announce-hostname`, `cluster-preferred-endpoint-type hostname`),
   * so `MOVED`/`ASK`/`CLUSTER SLOTS` carry it instead of the IP. `true` means `"localhost"`.
   * (For the empty-host form `MOVED 3300 :30001`, pass
   * `serverArgs: ["--cluster-preferred-endpoint-type", "unknown-endpoint"]`.)
   */
  readonly announceHostname?: boolean | string
  /** `requirepass` + `masterauth` on every node; the admin connections authenticate with it. */
  readonly password?: string
  /** How long building may take to become healthy, in ms (default 15000). */
  readonly healthyTimeout?: number
  /** The binary; default `REDIS_SERVER_BIN`, else `redis-server` on PATH. */
  readonly bin?: string
  /** Timeout of each raw command, in ms (default 5000; health checks use 1000). */
  readonly commandTimeout?: number
}

/**
 * A node as the fixture sees it now.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClusterNodeInfo {
  /** The cluster node id (stable across restarts: `nodes.conf` is kept). */
  readonly id: string
  readonly host: "127.0.0.1"
  readonly port: number
  /** The cluster bus port (`--cluster-port`, not port + 10000). */
  readonly busPort: number
  /** The node's role: from its own `CLUSTER NODES` when it answers, else from a running peer's view. */
  readonly role: "master" | "replica"
  /** The master of a replica. */
  readonly masterId: Option.Option<string>
  /** Slot ranges (inclusive, ascending) a master owns. */
  readonly slots: ReadonlyArray<readonly [number, number]>
  /** The flags in that view (`master`, `slave`, `fail`, `fail?`…; `myself` removed). */
  readonly flags: ReadonlyArray<string>
  /** The process id while running. */
  readonly pid: Option.Option<number>
  /** Whether the process is running (a paused process is running). */
  readonly alive: boolean
  /** Whether the process is stopped by `pauseNode`. */
  readonly paused: boolean
}

/**
 * How `failover` asks the replica: `CLUSTER FAILOVER` (`"default"`, coordinated with a reachable
 * master), `FORCE` (without the master's agreement) or `TAKEOVER` (without any other node's).
 *
 * @since 0.1.0
 * @category models
 */
export type FailoverMode = "default" | "force" | "takeover"

/**
 * The cluster fixture service.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClusterFixture {
  /** Addresses of the nodes the cluster was built with (masters first). */
  readonly startupNodes: ReadonlyArray<{ readonly host: string; readonly port: number }>
  /** `cluster-node-timeout` in ms. */
  readonly nodeTimeout: number
  /** The hostname announced, when `announceHostname` was set. */
  readonly announcedHostname: Option.Option<string>
  /** Every node the fixture tracks (not removed), running or not, as it is now. */
  readonly nodes: Effect.Effect<ReadonlyArray<ClusterNodeInfo>, FixtureError>
  /** Running (possibly paused) nodes whose role is master, in creation order. */
  readonly masters: Effect.Effect<ReadonlyArray<ClusterNodeInfo>, FixtureError>
  /** Running (possibly paused) nodes whose role is replica, in creation order. */
  readonly replicas: Effect.Effect<ReadonlyArray<ClusterNodeInfo>, FixtureError>
  /** The running master owning `slot` (by the masters' own views). */
  readonly masterOf: (slot: number) => Effect.Effect<ClusterNodeInfo, FixtureError>
  /** The running replicas of the master listening on `masterPort`. */
  readonly replicasOf: (masterPort: number) => Effect.Effect<ReadonlyArray<ClusterNodeInfo>, FixtureError>
  /**
   * One raw command to one node, on the fixture's admin connection. Error replies fail with
   * `RedisReplyError`. The connection is shared with the fixture's own health checks: use
   * `connect` for stateful sequences (`ASKING` + command, `MULTI`, `AUTH` as another user…).
   */
  readonly command: (port: number, ...args: ReadonlyArray<Arg>) => Effect.Effect<Reply, FixtureError | RedisReplyError>
  /** A dedicated connection to one node, closed with the scope (default credentials: `password`). */
  readonly connect: (port: number, credentials?: Credentials) => Effect.Effect<Connection, FixtureError | RedisReplyError, Scope.Scope>
  /** SIGKILL; completes once the process is gone (does not wait for the cluster to react). */
  readonly killNode: (port: number) => Effect.Effect<void, FixtureError>
  /** SIGSTOP; completes once the process is stopped. */
  readonly pauseNode: (port: number) => Effect.Effect<void, FixtureError>
  /** SIGCONT. */
  readonly resumeNode: (port: number) => Effect.Effect<void, FixtureError>
  /**
   * Stops the node if running (SIGTERM) and starts it again on the same ports with the same folder
   * and `nodes.conf`, so it rejoins with its id; then (unless `waitHealthy: false`) waits until the
   * cluster is healthy.
   */
  readonly restartNode: (port: number, options?: { readonly waitHealthy?: boolean }) => Effect.Effect<void, FixtureError>
  /** Sends `CLUSTER FAILOVER [FORCE|TAKEOVER]` to a replica; completes once it is master and the cluster is healthy. */
  readonly failover: (replicaPort: number, mode?: FailoverMode) => Effect.Effect<void, FixtureError>
  /**
   * Moves `slot` with all its keys to the master on `toMasterPort` (`SETSLOT IMPORTING/MIGRATING`,
   * `MIGRATE ... KEYS` in batches, `SETSLOT NODE` on every master); completes once healthy.
   */
  readonly migrateSlot: (slot: number, toMasterPort: number) => Effect.Effect<void, FixtureError>
  /**
   * Starts moving `slot` and leaves it half-moved: the old owner answers `-ASK` for keys it does
   * not have, the new owner accepts them after `ASKING`.
   */
  readonly beginMigration: (slot: number, toMasterPort: number) => Effect.Effect<void, FixtureError>
  /** Moves some keys of a slot held half-moved by `beginMigration`. */
  readonly migrateKeys: (slot: number, keys: ReadonlyArray<string>) => Effect.Effect<void, FixtureError>
  /** Moves the remaining keys of a half-moved slot and assigns it to the new owner; completes once healthy. */
  readonly finishMigration: (slot: number) => Effect.Effect<void, FixtureError>
  /** Starts a new master without slots, joins it, waits until healthy; returns its port. */
  readonly addMaster: Effect.Effect<number, FixtureError>
  /** Starts a new replica of the master on `masterPort`, waits until healthy; returns its port. */
  readonly addReplica: (masterPort: number) => Effect.Effect<number, FixtureError>
  /**
   * Kills a node that owns no slots and has no replicas, makes every running node `CLUSTER FORGET`
   * it, stops tracking it and waits until healthy. (Paused nodes cannot forget: resume them first.)
   */
  readonly removeNode: (port: number) => Effect.Effect<void, FixtureError>
  /** Waits until the cluster is healthy (see the module documentation); default timeout 15 s. */
  readonly waitHealthy: (timeoutMs?: number) => Effect.Effect<void, FixtureError>
  /** `FLUSHALL` on every running master, then `WAIT` for their replicas. */
  readonly flushAll: Effect.Effect<void, FixtureError>
}

/**
 * The cluster fixture service.
 *
 * @since 0.1.0
 * @category services
 */
export class RedisClusterFixture extends Context.Service<RedisClusterFixture, ClusterFixture>()(
  "@keyslot/test-utils/RedisClusterFixture"
) {}

// ---------------------------------------------------------------------------------------------

const DEFAULT_HEALTHY_TIMEOUT_MS = 15_000

/**
 * Builds a cluster; every process is killed and every folder removed when the scope closes (also
 * on failure or interruption, and, synchronously, when the Node process exits).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<ClusterFixture, FixtureError, Scope.Scope> =>
  Effect.gen(function*() {
    const masterCount = options.masters ?? 3
    const replicasPerMaster = options.replicasPerMaster ?? 1
    const nodeTimeout = options.nodeTimeout ?? 1000
    const healthyTimeout = options.healthyTimeout ?? DEFAULT_HEALTHY_TIMEOUT_MS
    if (!Number.isInteger(masterCount) || masterCount < 1 || masterCount > SLOTS) {
      return yield* new FixtureError({ message: `masters must be an integer >= 1, got ${masterCount}` })
    }
    if (!Number.isInteger(replicasPerMaster) || replicasPerMaster < 0) {
      return yield* new FixtureError({ message: `replicasPerMaster must be an integer >= 0, got ${replicasPerMaster}` })
    }
    const { bin } = yield* resolveBinary(options.bin)
    const scope = yield* Effect.scope
    const hostname = options.announceHostname === true
      ? "localhost"
      : typeof options.announceHostname === "string"
      ? options.announceHostname
      : undefined
    const password = options.password

    const context: ClusterContext = {
      nodes: [],
      migrations: new Map<number, Migration>(),
      lastSeen: new Map<string, NodeLine>(),
      password,
      healthyTimeout,
      spawnNode: makeSpawner({
        bin,
        args: serverArgs(options, nodeTimeout, hostname),
        password,
        commandTimeout: options.commandTimeout,
        scope
      })
    }
    const health = makeHealth(context)
    const built = yield* bootstrap(context, health, masterCount, replicasPerMaster)

    const flushAll = Effect.gen(function*() {
      const all = yield* health.nodesNow
      const running = all.filter((n) => n.alive && !n.paused)
      yield* Effect.forEach(running.filter((n) => n.role === "master"), (m) =>
        Effect.gen(function*() {
          const node = yield* nodeAt(context, m.port)
          yield* run(node, "FLUSHALL")
          const replicaCount = running.filter((r) => Option.contains(r.masterId, m.id)).length
          if (replicaCount > 0) yield* run(node, "WAIT", replicaCount, 2_000)
        }), { concurrency: "unbounded", discard: true })
    })

    const service: ClusterFixture = {
      startupNodes: built.map((n) => ({ host: HOST, port: n.server.port })),
      nodeTimeout,
      announcedHostname: Option.fromNullishOr(hostname),
      nodes: health.nodesNow,
      masters: health.masters,
      replicas: health.replicas,
      masterOf: health.masterOf,
      replicasOf: health.replicasOf,
      command: (port, ...commandArgs) => Effect.flatMap(nodeAt(context, port), (node) => node.server.command(commandArgs)),
      connect: (port, credentials) => Effect.flatMap(nodeAt(context, port), (node) => connectTo(node.server, credentials)),
      ...makeFaults(context, health),
      ...makeResharding(context, health),
      ...makeMembership(context, health),
      waitHealthy: health.waitHealthy,
      flushAll
    }
    return service
  })

/**
 * A layer providing `RedisClusterFixture`: one cluster for the layer's lifetime (default 3 masters
 * with 1 replica each, node timeout 1000 ms).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<RedisClusterFixture, FixtureError> =>
  Layer.effect(RedisClusterFixture, make(options))
