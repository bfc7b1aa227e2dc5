/**
 * Faults of a `RedisClusterFixture` cluster: kill, pause, resume and restart a node's process, and
 * manual failover of a replica.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { ClusterFixture, FailoverMode } from "../RedisClusterFixture.js"
import { asString, CHECK_TIMEOUT_MS, type ClusterContext, describe, nodeAt, run, waitFor } from "./clusterContext.js"
import type { ClusterHealth } from "./clusterHealth.js"
import { FixtureError } from "./errors.js"
import { parseInfo } from "./process.js"

/**
 * The fault operations over `context`'s nodes; those that change roles wait for `health` to settle.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const makeFaults = (
  context: ClusterContext,
  health: Pick<ClusterHealth, "waitHealthy">
): Pick<ClusterFixture, "killNode" | "pauseNode" | "resumeNode" | "restartNode" | "failover"> => {
  const { waitHealthy } = health

  const killNode = (port: number) => Effect.flatMap(nodeAt(context, port), (node) => node.server.kill)
  const pauseNode = (port: number) => Effect.flatMap(nodeAt(context, port), (node) => node.server.pause)
  const resumeNode = (port: number) => Effect.flatMap(nodeAt(context, port), (node) => node.server.resume)

  const restartNode = (port: number, restartOptions?: { readonly waitHealthy?: boolean }) =>
    Effect.gen(function*() {
      const node = yield* nodeAt(context, port)
      yield* node.server.restart
      if (restartOptions?.waitHealthy !== false) yield* waitHealthy()
    })

  const failover = (replicaPort: number, mode: FailoverMode = "default") =>
    Effect.gen(function*() {
      const node = yield* nodeAt(context, replicaPort)
      const role = parseInfo(asString(yield* run(node, "INFO", "replication")))["role"]
      if (role !== "slave") return yield* new FixtureError({ message: `failover: ${describe(node)} is not a replica (${role})` })
      yield* run(node, "CLUSTER", "FAILOVER", ...(mode === "default" ? [] : [mode.toUpperCase()]))
      yield* waitFor(`failover of ${describe(node)} (${mode})`, node.server.command(["INFO", "replication"], CHECK_TIMEOUT_MS).pipe(
        Effect.map((reply) => {
          const r = parseInfo(asString(reply))["role"]
          return r === "master" ? [] : [`${describe(node)} is still ${r}`]
        }),
        Effect.catch((error) => Effect.succeed([error.message]))
      ), context.healthyTimeout, 10)
      yield* waitHealthy()
    })

  return { killNode, pauseNode, resumeNode, restartNode, failover }
}
