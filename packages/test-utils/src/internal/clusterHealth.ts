/**
 * Health and views of a `RedisClusterFixture` cluster: what `waitHealthy` checks (see the public
 * module's documentation), waiting until nodes know each other, and the fixture's view of each node
 * (its own `CLUSTER NODES` line when it answers, else a peer's, else the last one seen).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { ClusterFixture, ClusterNodeInfo } from "../RedisClusterFixture.js"
import {
  asString,
  CHECK_TIMEOUT_MS,
  type ClusterContext,
  describe,
  isUp,
  type Node,
  nodeAt,
  waitFor
} from "./clusterContext.js"
import { type NodeLine, parseClusterNodes, renderSlots } from "./clusterNodes.js"
import { FixtureError } from "./errors.js"
import { HOST, parseInfo } from "./process.js"

interface Observation {
  readonly node: Node
  readonly info: Record<string, string>
  readonly view: ReadonlyArray<NodeLine>
  readonly replication: Record<string, string>
}

const signature = (line: NodeLine): string =>
  `${line.role}|${line.masterId ?? "-"}|${renderSlots(line.slots)}`

/**
 * The health checks and views of one cluster, for the other parts of the fixture.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export interface ClusterHealth extends Pick<ClusterFixture, "waitHealthy" | "masters" | "replicas" | "masterOf" | "replicasOf"> {
  /** Every tracked node as it is now (the fixture's `nodes`). */
  readonly nodesNow: ClusterFixture["nodes"]
  /** Waits until every up node knows every tracked node (past the handshake), before `REPLICATE`. */
  readonly waitAllKnown: (timeoutMs: number) => Effect.Effect<void, FixtureError>
}

/**
 * The health checks and views over `context`'s nodes; views also refresh `context.lastSeen`, so a
 * node that stops answering keeps its last known role and slots.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const makeHealth = (context: ClusterContext): ClusterHealth => {
  // --- health ------------------------------------------------------------------------------

  const observe = (node: Node): Effect.Effect<Observation | string> =>
    Effect.all([
      node.server.command(["CLUSTER", "INFO"], CHECK_TIMEOUT_MS),
      node.server.command(["CLUSTER", "NODES"], CHECK_TIMEOUT_MS),
      node.server.command(["INFO", "replication"], CHECK_TIMEOUT_MS)
    ], { concurrency: "unbounded" }).pipe(
      Effect.map(([info, view, replication]): Observation | string => {
        const lines = parseClusterNodes(asString(view))
        for (const line of lines) context.lastSeen.set(line.id, line)
        return { node, info: parseInfo(asString(info)), view: lines, replication: parseInfo(asString(replication)) }
      }),
      Effect.catch((error) => Effect.succeed(`${describe(node)} does not answer: ${error.message}`))
    )

  const healthProblems: Effect.Effect<ReadonlyArray<string>> = Effect.gen(function*() {
    const tracked = [...context.nodes]
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

  const waitHealthy = (timeoutMs: number = context.healthyTimeout) => waitFor("cluster healthy", healthProblems, timeoutMs)

  const waitAllKnown = (timeoutMs: number) =>
    waitFor("nodes to know each other", Effect.gen(function*() {
      const up = context.nodes.filter(isUp)
      const ids = new Set(context.nodes.map((n) => n.id))
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
    const tracked = [...context.nodes]
    const selfViews = new Map<string, NodeLine>()
    const peerViews = new Map<string, NodeLine>()
    yield* Effect.forEach(tracked.filter(isUp), (node) =>
      node.server.command(["CLUSTER", "NODES"], CHECK_TIMEOUT_MS).pipe(
        Effect.map((reply) => {
          for (const line of parseClusterNodes(asString(reply))) {
            context.lastSeen.set(line.id, line)
            if (line.myself) selfViews.set(line.id, line)
            else if (!peerViews.has(line.id)) peerViews.set(line.id, line)
          }
        }),
        Effect.ignore
      ), { concurrency: "unbounded", discard: true })
    return tracked.map((node): ClusterNodeInfo => {
      const line = selfViews.get(node.id) ?? peerViews.get(node.id) ?? context.lastSeen.get(node.id)
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
      const master = yield* nodeAt(context, masterPort)
      const all = yield* replicas
      return all.filter((n) => Option.contains(n.masterId, master.id))
    })

  return { waitHealthy, waitAllKnown, nodesNow, masters, replicas, masterOf, replicasOf }
}
