/**
 * Membership of a `RedisClusterFixture` cluster: how a node is started, building the initial
 * cluster with cluster commands only (no redis-cli), and adding and removing nodes later.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import type { ClusterFixture, Options } from "../RedisClusterFixture.js"
import {
  asString,
  type ClusterContext,
  describe,
  isUp,
  meet,
  type Node,
  nodeAt,
  replyToFixture,
  run,
  SLOTS
} from "./clusterContext.js"
import type { ClusterHealth } from "./clusterHealth.js"
import { renderSlots } from "./clusterNodes.js"
import { FixtureError, type RedisReplyError } from "./errors.js"
import { ManagedServer } from "./process.js"

/**
 * The `redis-server` arguments of every node; `options.serverArgs` come last so they override.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const serverArgs = (options: Options, nodeTimeout: number, hostname: string | undefined): ReadonlyArray<string> => {
  const password = options.password
  return [
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
}

/**
 * Starts one node with `args`; its process lives until `scope` closes.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const makeSpawner = (spawn: {
  readonly bin: string
  readonly args: ReadonlyArray<string>
  readonly password: string | undefined
  readonly commandTimeout: number | undefined
  readonly scope: Scope.Scope
}): () => Effect.Effect<Node, FixtureError> => {
  const { args, bin, password, scope } = spawn
  return Effect.fnUntraced(function*() {
    const server = yield* ManagedServer.make({
      bin,
      withBusPort: true,
      args,
      auth: password === undefined ? undefined : { password },
      prefix: "keyslot-cluster-",
      commandTimeoutMs: spawn.commandTimeout
    }).pipe(Scope.provide(scope))
    yield* server.start
    const id = asString(yield* server.command(["CLUSTER", "MYID"]).pipe(Effect.mapError(replyToFixture)))
    return { server, id } satisfies Node
  })
}

/**
 * Starts the initial nodes, assigns the slots evenly to the masters, makes every node meet every
 * other, attaches the replicas round-robin and waits until healthy. Config epochs are set
 * distinct up front so that no epoch collision has to be resolved before the cluster settles.
 * Returns the nodes, masters first.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const bootstrap = Effect.fnUntraced(function*(
  context: ClusterContext,
  health: Pick<ClusterHealth, "waitAllKnown" | "waitHealthy">,
  masterCount: number,
  replicasPerMaster: number
) {
  const { waitAllKnown, waitHealthy } = health
  const total = masterCount * (1 + replicasPerMaster)
  const built = yield* Effect.all(Array.from({ length: total }, () => context.spawnNode()), { concurrency: "unbounded" })
  context.nodes.push(...built)
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
  yield* waitAllKnown(context.healthyTimeout)
  yield* Effect.forEach(replicaNodes, (node, r) => run(node, "CLUSTER", "REPLICATE", masterNodes[r % masterCount]!.id), {
    concurrency: "unbounded",
    discard: true
  })
  yield* waitHealthy()
  return built
})

/**
 * Adding and removing nodes of a running cluster; each completes once the cluster is healthy.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const makeMembership = (
  context: ClusterContext,
  health: Pick<ClusterHealth, "nodesNow" | "waitAllKnown" | "waitHealthy">
): Pick<ClusterFixture, "addMaster" | "addReplica" | "removeNode"> => {
  const { nodesNow, waitAllKnown, waitHealthy } = health

  const join = Effect.fnUntraced(function*() {
    const existing = context.nodes.filter(isUp)
    const node = yield* context.spawnNode().pipe(Effect.mapError(replyToFixture))
    context.nodes.push(node)
    yield* Effect.forEach(existing, (other) => meet(node, other), { concurrency: "unbounded", discard: true })
    yield* waitAllKnown(context.healthyTimeout)
    return node
  })

  const addMaster = Effect.gen(function*() {
    const node = yield* join()
    yield* waitHealthy()
    return node.server.port
  })

  const addReplica = (masterPort: number) =>
    Effect.gen(function*() {
      const master = yield* nodeAt(context, masterPort)
      const node = yield* join()
      yield* run(node, "CLUSTER", "REPLICATE", master.id)
      yield* waitHealthy()
      return node.server.port
    })

  const removeNode = (port: number) =>
    Effect.gen(function*() {
      const node = yield* nodeAt(context, port)
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
      context.nodes.splice(context.nodes.indexOf(node), 1)
      yield* Effect.forEach(context.nodes.filter(isUp), (other) =>
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

  return { addMaster, addReplica, removeNode }
}
