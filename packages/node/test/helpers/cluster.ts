/**
 * Small helpers shared by the resharding and endpoint tests: a client in the current scope,
 * server-side statistics (INFO commandstats / errorstats), keyslot's redirect metric, and waiting
 * on a condition (never a fixed sleep).
 */
import { Context, Effect, Layer, Metric } from "effect"
import { RedisCluster, Slot } from "@keyslot/core"
import { NodeRedisCluster } from "@keyslot/node"
import { RedisClusterFixture } from "@keyslot/test-utils"

const metrics = RedisCluster.metrics

/** A client living in the current scope. */
export const client = (config: RedisCluster.RedisClusterConfig) =>
  Effect.map(Layer.build(NodeRedisCluster.layer(config)), (context) => Context.get(context, RedisCluster.RedisCluster))

/**
 * Runs `use` with a client (commandTimeout 8 s unless `config` says otherwise) on a 3+3 cluster
 * from `fixture`, the layer shared by the tests of one file.
 */
export const withClient = <A, E>(
  fixture: ReturnType<typeof RedisClusterFixture.layer>,
  use: (redis: RedisCluster.RedisClusterService, fixture: RedisClusterFixture.ClusterFixture) => Effect.Effect<A, E>,
  config: Partial<RedisCluster.RedisClusterConfig> = {}
) =>
  Effect.gen(function*() {
    const cluster = yield* RedisClusterFixture.RedisClusterFixture
    const redis = yield* client({ startupNodes: cluster.startupNodes, commandTimeout: "8 seconds", ...config })
    return yield* use(redis, cluster)
  }).pipe(Effect.provide(fixture))

const text = (reply: unknown): string => typeof reply === "string" ? reply : String(reply)

/** `INFO commandstats` calls of one command on one node. */
export const commandCalls = (fixture: RedisClusterFixture.ClusterFixture, port: number, command: string) =>
  Effect.map(fixture.command(port, "INFO", "commandstats"), (reply) => {
    const match = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(text(reply))
    return match === null ? 0 : Number(match[1])
  })

/** `INFO errorstats` count of one error code (`ASK`, `MOVED`, `TRYAGAIN`...) on one node. */
export const errorCount = (fixture: RedisClusterFixture.ClusterFixture, port: number, code: string) =>
  Effect.map(fixture.command(port, "INFO", "errorstats"), (reply) => {
    const match = new RegExp(`errorstat_${code}:count=(\\d+)`).exec(text(reply))
    return match === null ? 0 : Number(match[1])
  })

/** Redirects keyslot followed (its `keyslot_redirects_total` metric; needs `metrics: true`). */
export const redirectsSeen = (kind: "ask" | "moved") =>
  Effect.map(Metric.value(Metric.withAttributes(metrics.redirects, { kind })), (state) => state.count)

/** Polls `check` every 20 ms until it holds; fails with `label` (and the last detail) after `timeoutMs`. */
export const waitUntil = <E, R>(
  label: string,
  check: Effect.Effect<boolean | string, E, R>,
  timeoutMs = 10_000
): Effect.Effect<void, E | Error, R> =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    let last: boolean | string = false
    while (Date.now() < deadline) {
      last = yield* check
      if (last === true) return
      yield* Effect.sleep("20 millis")
    }
    return yield* Effect.fail(new Error(`timed out after ${timeoutMs} ms waiting for ${label}${typeof last === "string" ? `: ${last}` : ""}`))
  })

/** The first `count` keys `prefix<i>` whose slot is not in `avoid`. */
export const keysOutside = (prefix: string, count: number, avoid: ReadonlyArray<number>): Array<string> => {
  const out: Array<string> = []
  for (let i = 0; out.length < count; i++) {
    const key = `${prefix}${i}`
    if (!avoid.includes(Slot.slot(key))) out.push(key)
  }
  return out
}

const replicationOffset = (fixture: RedisClusterFixture.ClusterFixture, port: number, field: string) =>
  Effect.map(fixture.command(port, "INFO", "replication"), (reply) => {
    const match = new RegExp(`${field}:(\\d+)`).exec(text(reply))
    return match === null ? -1 : Number(match[1])
  })

/** Waits until every running replica has replicated everything its master had when this started. */
export const waitReplicated = (fixture: RedisClusterFixture.ClusterFixture) =>
  Effect.gen(function*() {
    const masters = yield* fixture.masters
    for (const m of masters) {
      const offset = yield* replicationOffset(fixture, m.port, "master_repl_offset")
      for (const r of yield* fixture.replicasOf(m.port)) {
        yield* waitUntil(`replica ${r.port} to reach offset ${offset}`, Effect.map(replicationOffset(fixture, r.port, "slave_repl_offset"), (o) => o >= offset))
      }
    }
  })
