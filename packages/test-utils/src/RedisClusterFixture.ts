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
import * as Scope from "effect/Scope"
import { resolveBinary } from "./internal/binary.js"
import { type NodeLine, parseClusterNodes, renderSlots } from "./internal/clusterNodes.js"
import { FixtureError, RedisReplyError } from "./internal/errors.js"
import { HOST, ManagedServer, parseInfo } from "./internal/process.js"
import { connectTo } from "./internal/connect.js"
import type { Arg, Reply } from "./internal/resp.js"
import type { Connection, Credentials } from "./RedisServer.js"
import { now, sleep } from "./internal/timing.js"

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

const SLOTS = 16384
const POLL_MS = 50
const CHECK_TIMEOUT_MS = 1_000
const DEFAULT_HEALTHY_TIMEOUT_MS = 15_000
const MIGRATE_BATCH = 100
const MIGRATE_TIMEOUT_MS = 10_000

interface Node {
  readonly server: ManagedServer
  readonly id: string
}

interface Migration {
  readonly from: Node
  readonly to: Node
}

const asString = (reply: Reply): string => (typeof reply === "string" ? reply : String(reply))

const isArrayReply = (reply: Reply): reply is ReadonlyArray<Reply> => Array.isArray(reply)

const describe = (node: Node): string => `${HOST}:${node.server.port}`

const replyToFixture = (error: FixtureError | RedisReplyError): FixtureError =>
  error._tag === "FixtureError"
    ? error
    : new FixtureError({ message: `${error.command} on ${error.host}:${error.port}: ${error.message}`, cause: error })

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

    const args = [
      "--cluster-enabled", "yes",
      "--cluster-config-file", "nodes.conf",
      "--cluster-node-timeout", String(nodeTimeout),
      "--cluster-allow-replica-migration", "no",
      "--repl-diskless-sync", "yes",
      "--repl-diskless-sync-delay", "0",
      "--repl-ping-replica-period", "1",
      ...(password === undefined ? [] : ["--requirepass", password, "--masterauth", password]),
      ...(hostname === undefined ? [] : ["--cluster-announce-hostname", hostname, "--cluster-preferred-endpoint-type", "hostname"]),
      ...(options.serverArgs ?? [])
    ]

    /** Tracked nodes, in creation order. */
    const nodes: Array<Node> = []
    const migrations = new Map<number, Migration>()
    /** Last view seen of each node, for nodes that cannot be asked now. */
    const lastSeen = new Map<string, NodeLine>()

    const spawnNode = Effect.fnUntraced(function*() {
      const server = yield* ManagedServer.make({
        bin,
        withBusPort: true,
        args,
        auth: password === undefined ? undefined : { password },
        prefix: "keyslot-cluster-",
        commandTimeoutMs: options.commandTimeout
      }).pipe(Scope.provide(scope))
      yield* server.start
      const id = asString(yield* server.command(["CLUSTER", "MYID"]).pipe(Effect.mapError(replyToFixture)))
      return { server, id } satisfies Node
    })

    const run = (node: Node, ...commandArgs: ReadonlyArray<Arg>): Effect.Effect<Reply, FixtureError> =>
      node.server.command(commandArgs).pipe(Effect.mapError(replyToFixture))

    const nodeAt = (port: number): Effect.Effect<Node, FixtureError> =>
      Effect.suspend(() => {
        const node = nodes.find((n) => n.server.port === port)
        return node === undefined
          ? Effect.fail(new FixtureError({ message: `no node of this cluster listens on port ${port}` }))
          : Effect.succeed(node)
      })

    const isUp = (node: Node): boolean => node.server.isAlive && !node.server.isPaused

    const meet = (a: Node, b: Node) => run(a, "CLUSTER", "MEET", HOST, b.server.port, b.server.busPort!)

    /** Polls `check` (which returns what is still wrong) until it returns nothing, or times out. */
    const waitFor = Effect.fnUntraced(function*(
      what: string,
      check: Effect.Effect<ReadonlyArray<string>>,
      timeoutMs: number,
      intervalMs: number = POLL_MS
    ) {
      const deadline = now() + timeoutMs
      for (;;) {
        const problems = yield* check
        if (problems.length === 0) return
        if (now() >= deadline) {
          return yield* new FixtureError({
            message: `${what}: not done after ${timeoutMs} ms:\n  ${problems.slice(0, 20).join("\n  ")}`
          })
        }
        yield* sleep(intervalMs)
      }
    })

    // --- health ------------------------------------------------------------------------------

    interface Observation {
      readonly node: Node
      readonly info: Record<string, string>
      readonly view: ReadonlyArray<NodeLine>
      readonly replication: Record<string, string>
    }

    const observe = (node: Node): Effect.Effect<Observation | string> =>
      Effect.all([
        node.server.command(["CLUSTER", "INFO"], CHECK_TIMEOUT_MS),
        node.server.command(["CLUSTER", "NODES"], CHECK_TIMEOUT_MS),
        node.server.command(["INFO", "replication"], CHECK_TIMEOUT_MS)
      ], { concurrency: "unbounded" }).pipe(
        Effect.map(([info, view, replication]): Observation | string => {
          const lines = parseClusterNodes(asString(view))
          for (const line of lines) lastSeen.set(line.id, line)
          return { node, info: parseInfo(asString(info)), view: lines, replication: parseInfo(asString(replication)) }
        }),
        Effect.catch((error) => Effect.succeed(`${describe(node)} does not answer: ${error.message}`))
      )

    const signature = (line: NodeLine): string =>
      `${line.role}|${line.masterId ?? "-"}|${renderSlots(line.slots)}`

    const healthProblems: Effect.Effect<ReadonlyArray<string>> = Effect.gen(function*() {
      const tracked = [...nodes]
      const up = tracked.filter(isUp)
      const down = new Set(tracked.filter((n) => !isUp(n)).map((n) => n.id))
      const upIds = new Set(up.map((n) => n.id))
      const trackedIds = new Set(tracked.map((n) => n.id))
      if (up.length === 0) return ["no node is running"]
      const observed = yield* Effect.all(up.map(observe), { concurrency: "unbounded" })
      const problems: Array<string> = []
      const views: Array<{ readonly node: Node; readonly signature: string }> = []
      for (const o of observed) {
        if (typeof o === "string") {
          problems.push(o)
          continue
        }
        const where = describe(o.node)
        if (o.info["cluster_state"] !== "ok") problems.push(`${where}: cluster_state:${o.info["cluster_state"]}`)
        const seen = new Set(o.view.map((l) => l.id))
        for (const n of tracked) {
          if (!seen.has(n.id)) problems.push(`${where} does not know ${describe(n)} (${n.id.slice(0, 8)})`)
        }
        for (const line of o.view) {
          if (!trackedIds.has(line.id)) {
            problems.push(`${where} knows a node the fixture does not track: ${line.id.slice(0, 8)} ${line.host}:${line.port} ${line.flags.join(",")}`)
          } else if (upIds.has(line.id)) {
            const bad = line.flags.filter((f) => f === "fail" || f === "fail?" || f === "handshake" || f === "noaddr")
            if (bad.length > 0) problems.push(`${where} flags ${line.host}:${line.port} ${bad.join(",")}`)
          } else if (down.has(line.id) && !line.flags.includes("fail")) {
            problems.push(`${where} does not yet flag down node ${line.port} fail (${line.flags.join(",")})`)
          }
        }
        const self = o.view.find((l) => l.myself)
        if (self === undefined) {
          problems.push(`${where}: no myself line in CLUSTER NODES`)
        } else if (self.role === "replica") {
          if (o.replication["role"] !== "slave") problems.push(`${where}: CLUSTER NODES says replica, INFO says ${o.replication["role"]}`)
          if (o.replication["master_link_status"] !== "up") problems.push(`${where}: master_link_status:${o.replication["master_link_status"]}`)
          if (o.replication["master_sync_in_progress"] === "1") problems.push(`${where}: sync in progress`)
        } else if (o.replication["role"] !== "master") {
          problems.push(`${where}: CLUSTER NODES says master, INFO says ${o.replication["role"]}`)
        }
        views.push({
          node: o.node,
          signature: [...o.view].filter((l) => trackedIds.has(l.id)).sort((a, b) => (a.id < b.id ? -1 : 1)).map((l) =>
            `${l.port}=${signature(l)}`
          ).join(" ")
        })
      }
      const reference = views[0]
      if (reference !== undefined) {
        for (const v of views.slice(1)) {
          if (v.signature !== reference.signature) {
            problems.push(`views differ: ${describe(reference.node)} [${reference.signature}] vs ${describe(v.node)} [${v.signature}]`)
          }
        }
      }
      return problems
    })

    const waitHealthy = (timeoutMs: number = healthyTimeout) => waitFor("cluster healthy", healthProblems, timeoutMs)

    const waitAllKnown = (timeoutMs: number) =>
      waitFor("nodes to know each other", Effect.gen(function*() {
        const up = nodes.filter(isUp)
        const ids = new Set(nodes.map((n) => n.id))
        const problems: Array<string> = []
        yield* Effect.forEach(up, (node) =>
          node.server.command(["CLUSTER", "NODES"], CHECK_TIMEOUT_MS).pipe(
            Effect.map((reply) => {
              const view = parseClusterNodes(asString(reply))
              const known = view.filter((l) => ids.has(l.id) && !l.flags.includes("handshake") && !l.flags.includes("noaddr"))
              if (known.length < ids.size) problems.push(`${describe(node)} knows ${known.length} of ${ids.size}`)
            }),
            Effect.catch((error) => Effect.sync(() => problems.push(error.message)))
          ), { concurrency: "unbounded", discard: true })
        return problems
      }), timeoutMs, 10)

    // --- views -------------------------------------------------------------------------------

    const nodesNow: Effect.Effect<ReadonlyArray<ClusterNodeInfo>, FixtureError> = Effect.gen(function*() {
      const tracked = [...nodes]
      const selfViews = new Map<string, NodeLine>()
      const peerViews = new Map<string, NodeLine>()
      yield* Effect.forEach(tracked.filter(isUp), (node) =>
        node.server.command(["CLUSTER", "NODES"], CHECK_TIMEOUT_MS).pipe(
          Effect.map((reply) => {
            for (const line of parseClusterNodes(asString(reply))) {
              lastSeen.set(line.id, line)
              if (line.myself) selfViews.set(line.id, line)
              else if (!peerViews.has(line.id)) peerViews.set(line.id, line)
            }
          }),
          Effect.ignore
        ), { concurrency: "unbounded", discard: true })
      return tracked.map((node): ClusterNodeInfo => {
        const line = selfViews.get(node.id) ?? peerViews.get(node.id) ?? lastSeen.get(node.id)
        return {
          id: node.id,
          host: HOST,
          port: node.server.port,
          busPort: node.server.busPort ?? 0,
          role: line?.role ?? "master",
          masterId: Option.fromNullishOr(line?.masterId),
          slots: line?.slots ?? [],
          flags: (line?.flags ?? []).filter((f) => f !== "myself"),
          pid: Option.fromNullishOr(node.server.pid),
          alive: node.server.isAlive,
          paused: node.server.isPaused
        }
      })
    })

    const masters = Effect.map(nodesNow, (all) => all.filter((n) => n.alive && n.role === "master"))
    const replicas = Effect.map(nodesNow, (all) => all.filter((n) => n.alive && n.role === "replica"))

    const masterOf = (slot: number) =>
      Effect.flatMap(masters, (all) => {
        const owner = all.find((n) => n.slots.some(([a, b]) => a <= slot && slot <= b))
        return owner === undefined
          ? Effect.fail(new FixtureError({ message: `no running master owns slot ${slot}` }))
          : Effect.succeed(owner)
      })

    const replicasOf = (masterPort: number) =>
      Effect.gen(function*() {
        const master = yield* nodeAt(masterPort)
        const all = yield* replicas
        return all.filter((n) => Option.contains(n.masterId, master.id))
      })

    // --- building ----------------------------------------------------------------------------

    const total = masterCount * (1 + replicasPerMaster)
    const built = yield* Effect.all(Array.from({ length: total }, () => spawnNode()), { concurrency: "unbounded" })
    nodes.push(...built)
    const masterNodes = built.slice(0, masterCount)
    const replicaNodes = built.slice(masterCount)

    yield* Effect.forEach(built, (node, i) => run(node, "CLUSTER", "SET-CONFIG-EPOCH", i + 1), { concurrency: "unbounded", discard: true })
    yield* Effect.forEach(masterNodes, (node, m) => {
      const start = Math.floor((m * SLOTS) / masterCount)
      const end = Math.floor(((m + 1) * SLOTS) / masterCount) - 1
      return run(node, "CLUSTER", "ADDSLOTSRANGE", start, end)
    }, { concurrency: "unbounded", discard: true })
    const pairs: Array<readonly [Node, Node]> = []
    for (let i = 0; i < built.length; i++) {
      for (let j = i + 1; j < built.length; j++) pairs.push([built[i]!, built[j]!])
    }
    yield* Effect.forEach(pairs, ([a, b]) => meet(a, b), { concurrency: "unbounded", discard: true })
    yield* waitAllKnown(healthyTimeout)
    yield* Effect.forEach(replicaNodes, (node, r) => run(node, "CLUSTER", "REPLICATE", masterNodes[r % masterCount]!.id), {
      concurrency: "unbounded",
      discard: true
    })
    yield* waitHealthy()

    // --- faults ------------------------------------------------------------------------------

    const killNode = (port: number) => Effect.flatMap(nodeAt(port), (node) => node.server.kill)
    const pauseNode = (port: number) => Effect.flatMap(nodeAt(port), (node) => node.server.pause)
    const resumeNode = (port: number) => Effect.flatMap(nodeAt(port), (node) => node.server.resume)

    const restartNode = (port: number, restartOptions?: { readonly waitHealthy?: boolean }) =>
      Effect.gen(function*() {
        const node = yield* nodeAt(port)
        yield* node.server.restart
        if (restartOptions?.waitHealthy !== false) yield* waitHealthy()
      })

    const failover = (replicaPort: number, mode: FailoverMode = "default") =>
      Effect.gen(function*() {
        const node = yield* nodeAt(replicaPort)
        const role = parseInfo(asString(yield* run(node, "INFO", "replication")))["role"]
        if (role !== "slave") return yield* new FixtureError({ message: `failover: ${describe(node)} is not a replica (${role})` })
        yield* run(node, "CLUSTER", "FAILOVER", ...(mode === "default" ? [] : [mode.toUpperCase()]))
        yield* waitFor(`failover of ${describe(node)} (${mode})`, node.server.command(["INFO", "replication"], CHECK_TIMEOUT_MS).pipe(
          Effect.map((reply) => {
            const r = parseInfo(asString(reply))["role"]
            return r === "master" ? [] : [`${describe(node)} is still ${r}`]
          }),
          Effect.catch((error) => Effect.succeed([error.message]))
        ), healthyTimeout, 10)
        yield* waitHealthy()
      })

    // --- resharding --------------------------------------------------------------------------

    const ownerOf = (slot: number) =>
      Effect.flatMap(masterOf(slot), (info) => nodeAt(info.port))

    const beginMigration = (slot: number, toMasterPort: number) =>
      Effect.gen(function*() {
        if (!Number.isInteger(slot) || slot < 0 || slot >= SLOTS) return yield* new FixtureError({ message: `invalid slot ${slot}` })
        if (migrations.has(slot)) return yield* new FixtureError({ message: `slot ${slot} is already being migrated` })
        const to = yield* nodeAt(toMasterPort)
        const from = yield* ownerOf(slot)
        if (from.id === to.id) return yield* new FixtureError({ message: `slot ${slot} is already on ${describe(to)}` })
        yield* run(to, "CLUSTER", "SETSLOT", slot, "IMPORTING", from.id)
        yield* run(from, "CLUSTER", "SETSLOT", slot, "MIGRATING", to.id)
        migrations.set(slot, { from, to })
      })

    const migrateBatch = (migration: Migration, keys: ReadonlyArray<string>) =>
      keys.length === 0 ? Effect.void : Effect.asVoid(
        migration.from.server.command([
          "MIGRATE", HOST, migration.to.server.port, "", 0, MIGRATE_TIMEOUT_MS,
          ...(password === undefined ? [] : ["AUTH", password]),
          "KEYS", ...keys
        ], MIGRATE_TIMEOUT_MS + 5_000).pipe(Effect.mapError(replyToFixture))
      )

    const activeMigration = (slot: number) =>
      Effect.suspend(() => {
        const migration = migrations.get(slot)
        return migration === undefined
          ? Effect.fail(new FixtureError({ message: `slot ${slot} is not being migrated (call beginMigration first)` }))
          : Effect.succeed(migration)
      })

    const migrateKeys = (slot: number, keys: ReadonlyArray<string>) =>
      Effect.gen(function*() {
        const migration = yield* activeMigration(slot)
        for (let i = 0; i < keys.length; i += MIGRATE_BATCH) yield* migrateBatch(migration, keys.slice(i, i + MIGRATE_BATCH))
      })

    const finishMigration = (slot: number) =>
      Effect.gen(function*() {
        const migration = yield* activeMigration(slot)
        for (;;) {
          const reply = yield* run(migration.from, "CLUSTER", "GETKEYSINSLOT", slot, MIGRATE_BATCH)
          const keys = isArrayReply(reply) ? reply.map(asString) : []
          if (keys.length === 0) break
          yield* migrateBatch(migration, keys)
        }
        yield* run(migration.to, "CLUSTER", "SETSLOT", slot, "NODE", migration.to.id)
        yield* run(migration.from, "CLUSTER", "SETSLOT", slot, "NODE", migration.to.id)
        const others = (yield* masters).filter((m) => m.id !== migration.to.id && m.id !== migration.from.id && !m.paused)
        yield* Effect.forEach(others, (m) =>
          Effect.flatMap(nodeAt(m.port), (node) => run(node, "CLUSTER", "SETSLOT", slot, "NODE", migration.to.id)), {
          concurrency: "unbounded",
          discard: true
        })
        migrations.delete(slot)
        yield* waitHealthy()
      })

    const migrateSlot = (slot: number, toMasterPort: number) =>
      Effect.gen(function*() {
        const owner = yield* masterOf(slot)
        if (owner.port === toMasterPort) return
        yield* beginMigration(slot, toMasterPort)
        yield* finishMigration(slot)
      })

    // --- membership --------------------------------------------------------------------------

    const join = Effect.fnUntraced(function*() {
      const existing = nodes.filter(isUp)
      const node = yield* spawnNode().pipe(Effect.mapError(replyToFixture))
      nodes.push(node)
      yield* Effect.forEach(existing, (other) => meet(node, other), { concurrency: "unbounded", discard: true })
      yield* waitAllKnown(healthyTimeout)
      return node
    })

    const addMaster = Effect.gen(function*() {
      const node = yield* join()
      yield* waitHealthy()
      return node.server.port
    })

    const addReplica = (masterPort: number) =>
      Effect.gen(function*() {
        const master = yield* nodeAt(masterPort)
        const node = yield* join()
        yield* run(node, "CLUSTER", "REPLICATE", master.id)
        yield* waitHealthy()
        return node.server.port
      })

    const removeNode = (port: number) =>
      Effect.gen(function*() {
        const node = yield* nodeAt(port)
        const all = yield* nodesNow
        const info = all.find((n) => n.id === node.id)
        if (info !== undefined && info.slots.length > 0) {
          return yield* new FixtureError({ message: `removeNode: ${describe(node)} owns slots ${renderSlots(info.slots)}; migrate them first` })
        }
        const dependants = all.filter((n) => Option.contains(n.masterId, node.id))
        if (dependants.length > 0) {
          return yield* new FixtureError({ message: `removeNode: ${describe(node)} has replicas (${dependants.map((n) => n.port).join(", ")})` })
        }
        yield* node.server.kill
        nodes.splice(nodes.indexOf(node), 1)
        yield* Effect.forEach(nodes.filter(isUp), (other) =>
          other.server.command(["CLUSTER", "FORGET", node.id]).pipe(
            Effect.catchIf(
              (error): error is RedisReplyError => error._tag === "RedisReplyError" && /unknown node/i.test(error.message),
              () => Effect.succeed(null)
            ),
            Effect.mapError(replyToFixture)
          ), { concurrency: "unbounded", discard: true })
        yield* node.server.shutdown
        yield* waitHealthy()
      })

    const flushAll = Effect.gen(function*() {
      const all = yield* nodesNow
      const running = all.filter((n) => n.alive && !n.paused)
      yield* Effect.forEach(running.filter((n) => n.role === "master"), (m) =>
        Effect.gen(function*() {
          const node = yield* nodeAt(m.port)
          yield* run(node, "FLUSHALL")
          const replicaCount = running.filter((r) => Option.contains(r.masterId, m.id)).length
          if (replicaCount > 0) yield* run(node, "WAIT", replicaCount, 2_000)
        }), { concurrency: "unbounded", discard: true })
    })

    const service: ClusterFixture = {
      startupNodes: built.map((n) => ({ host: HOST, port: n.server.port })),
      nodeTimeout,
      announcedHostname: Option.fromNullishOr(hostname),
      nodes: nodesNow,
      masters,
      replicas,
      masterOf,
      replicasOf,
      command: (port, ...commandArgs) => Effect.flatMap(nodeAt(port), (node) => node.server.command(commandArgs)),
      connect: (port, credentials) => Effect.flatMap(nodeAt(port), (node) => connectTo(node.server, credentials)),
      killNode,
      pauseNode,
      resumeNode,
      restartNode,
      failover,
      migrateSlot,
      beginMigration,
      migrateKeys,
      finishMigration,
      addMaster,
      addReplica,
      removeNode,
      waitHealthy,
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
