/**
 * keyslot demo: a mixed workload on a Redis Cluster while a master is killed.
 *
 * Starts an embedded 3+3 cluster with @keyslot/test-utils (or uses `REDIS_CLUSTER_URL`), runs
 * workers doing SET/GET/INCR/MGET over all slots, kills a master after a few seconds, and prints
 * live throughput and errors each second, the failover recovery time, and the final counts.
 *
 *   pnpm demo                     # embedded cluster, 12 s run, kill at 4 s
 *   DEMO_SECONDS=30 pnpm demo
 *   REDIS_CLUSTER_URL=redis://127.0.0.1:7000 pnpm demo   # your cluster: nothing is killed
 */
import { RedisCluster } from "@keyslot/core"
import type { ClusterError } from "@keyslot/core"
import { NodeRedisCluster } from "@keyslot/node"
import { RedisClusterFixture } from "@keyslot/test-utils"
import { Array as Arr, Cause, Console, Effect, Layer, Option } from "effect"

const seconds = Number(process.env["DEMO_SECONDS"] ?? 12)
const killAt = Number(process.env["DEMO_KILL_AT"] ?? 4)
const workers = Number(process.env["DEMO_WORKERS"] ?? 32)

interface Counters {
  sent: number
  succeeded: number
  failed: number
  readonly errors: Map<string, number>
  /** When the master was killed (0 before). */
  killedAt: number
  /** The longest a command issued after the kill took: the wait for the promotion. */
  longestAfterKill: number
}

const workload = (redis: RedisCluster.RedisClusterService, counters: Counters, until: number) =>
  Effect.forEach(
    Arr.range(0, workers - 1),
    (w) =>
      Effect.gen(function*() {
        let i = 0
        while (Date.now() < until) {
          const key = `demo:${w}:${i % 500}`
          const op = i % 4
          const command = op === 0
            ? redis.set(key, String(i))
            : op === 1
            ? redis.get(key)
            : op === 2
            ? redis.incr(`demo:counter:${w}`)
            : redis.mget([key, `demo:${w}:${(i + 7) % 500}`, `demo:${(w + 1) % workers}:${i % 500}`])
          counters.sent++
          const startedAt = Date.now()
          const exit = yield* Effect.exit(command as Effect.Effect<unknown, ClusterError.RedisClusterError>)
          if (counters.killedAt !== 0 && startedAt >= counters.killedAt) {
            counters.longestAfterKill = Math.max(counters.longestAfterKill, Date.now() - startedAt)
          }
          if (exit._tag === "Success") counters.succeeded++
          else {
            counters.failed++
            // Effect 4's Cause is a flat list of reasons: name the first one (its error's tag if it failed).
            const reason = exit.cause.reasons[0]
            const tag = reason === undefined ? "Empty" : Cause.isFailReason(reason) ? reason.error._tag : reason._tag
            counters.errors.set(tag, (counters.errors.get(tag) ?? 0) + 1)
          }
          i++
        }
      }),
    { concurrency: "unbounded", discard: true }
  )

const report = (counters: Counters, started: number, until: number) =>
  Effect.gen(function*() {
    let last = { ok: 0, failed: 0 }
    while (Date.now() < until) {
      yield* Effect.sleep("1 second")
      const ok = counters.succeeded - last.ok
      const failed = counters.failed - last.failed
      last = { ok: counters.succeeded, failed: counters.failed }
      const t = ((Date.now() - started) / 1000).toFixed(0).padStart(3)
      yield* Console.log(`t=${t}s  ${String(ok).padStart(7)} ops/s  ${String(failed).padStart(4)} failed`)
    }
  })

const run = (kill: Effect.Effect<number | undefined>) =>
  Effect.gen(function*() {
    const redis = yield* RedisCluster.RedisCluster
    const counters: Counters = { sent: 0, succeeded: 0, failed: 0, errors: new Map(), killedAt: 0, longestAfterKill: 0 }
    const started = Date.now()
    const until = started + seconds * 1000
    yield* Console.log(`workload: ${workers} workers, SET/GET/INCR/MGET over all slots, ${seconds} s`)
    const killer = Effect.gen(function*() {
      yield* Effect.sleep(`${killAt} seconds`)
      const port = yield* kill
      if (port === undefined) return undefined
      const at = Date.now()
      counters.killedAt = at
      yield* Console.log(`t=${((at - started) / 1000).toFixed(1)}s  SIGKILL master :${port}`)
      return at
    })
    const [, killedAt] = yield* Effect.all([
      Effect.all([workload(redis, counters, until), report(counters, started, until)], { concurrency: "unbounded" }),
      killer
    ], { concurrency: "unbounded" })
    yield* Console.log("")
    if (killedAt !== undefined) {
      yield* Console.log(`failover recovery: commands issued after the kill waited at most ${counters.longestAfterKill} ms for the promotion`)
    }
    const errors = [...counters.errors].map(([tag, n]) => `${tag} ${n}`).join(", ")
    yield* Console.log(`sent ${counters.sent}, succeeded ${counters.succeeded}, failed ${counters.failed}${errors ? ` (${errors})` : ""}`)
    const counter = yield* redis.get("demo:counter:0")
    yield* Console.log(`demo:counter:0 = ${Option.getOrElse(counter, () => "none")}`)

  })

const program = Effect.gen(function*() {
  const url = process.env["REDIS_CLUSTER_URL"]
  if (url !== undefined) {
    const config = yield* RedisCluster.fromUrl(url)
    return yield* run(Effect.succeed(undefined)).pipe(Effect.provide(NodeRedisCluster.layer(config)))
  }
  yield* Console.log("starting an embedded 3+3 cluster…")
  const t0 = Date.now()
  const fixture = yield* RedisClusterFixture.make({ masters: 3, replicasPerMaster: 1 })
  yield* Console.log(`cluster healthy in ${Date.now() - t0} ms: ${fixture.startupNodes.map((n) => n.port).join(", ")}`)
  const config: RedisCluster.RedisClusterConfig = { startupNodes: fixture.startupNodes, commandTimeout: "5 seconds" }
  const kill = Effect.gen(function*() {
    const master = (yield* fixture.masters)[0]!
    yield* fixture.killNode(master.port)
    return master.port
  }).pipe(Effect.orDie)
  return yield* run(kill).pipe(Effect.provide(Layer.fresh(NodeRedisCluster.layer(config))))
})

Effect.runPromise(Effect.scoped(program)).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)

