/**
 * One client, one workload, for a profiler: no interleaving, no tables.
 *
 *   cd bench && node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx src/profile.ts --client keyslot --inflight 100
 *
 * `--client keyslot|keyslot-whileLoop|ioredis|ioredis+ap|node-redis`, `--command GET|SET`,
 * `--inflight n`, `--duration ms` (default 5000), `--rounds n` (default 1; prints each),
 * `--target server|cluster` (cluster: a 3+3 RedisClusterFixture, random keys over all slots;
 * clients keyslot = `RedisCluster`, ioredis / ioredis+ap = `Cluster`, node-redis = `createCluster`;
 * `--bursts`: GET bursts of `--inflight` commands issued at once instead of closed-loop workers;
 * `--pipeline`: keyslot only, `redis.pipeline` of `--inflight` GETs, one after another).
 */
import { NodeRuntime } from "@effect/platform-node"
import { NodeConnection } from "@keyslot/core"
import { NodeConnector } from "@keyslot/node"
import { RedisClusterFixture, RedisServer } from "@keyslot/test-utils"
import { Effect } from "effect"
import { parseArgs } from "node:util"
import type { Contender, Stop } from "./harness.js"
import { fmtOps } from "./harness.js"
import * as KeyslotCluster from "./keyslotCluster.js"
import { effectBatches, effectBursts, effectWorkers, promiseBursts, promiseWorkers } from "./loops.js"
import * as Peers from "./peers.js"

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    client: { type: "string", default: "keyslot" },
    command: { type: "string", default: "GET" },
    inflight: { type: "string", default: "100" },
    duration: { type: "string", default: "5000" },
    rounds: { type: "string", default: "1" },
    target: { type: "string", default: "server" },
    bursts: { type: "boolean", default: false },
    pipeline: { type: "boolean", default: false }
  }
})
const n = Number(values.inflight)
const durationMs = Number(values.duration)
const KEY = "bench:key"
const VALUE = "v".repeat(32)

const clusterProgram = Effect.gen(function*() {
  const fixture = yield* RedisClusterFixture.make({ masters: 3, replicasPerMaster: 1 })
  const nodes = fixture.startupNodes
  const keys = Array.from({ length: 10_000 }, (_, i) => `bench:${i}`)
  const randomKey = () => keys[(Math.random() * keys.length) | 0]!
  const seed = yield* Peers.ioredisCluster(nodes, true)
  yield* Effect.promise(() => Promise.all(keys.map((k) => seed.set(k, VALUE))))
  const get = values.command === "GET"
  if (values.client === "keyslot") {
    const ks = yield* KeyslotCluster.open(nodes)
    if (values.pipeline) {
      const command = KeyslotCluster.getCommand()!
      return effectBatches(n, () => ks.pipeline!(Array.from({ length: n }, () => command(randomKey()))))
    }
    if (values.bursts) return effectBursts("gen", n, () => ks.get(randomKey()))
    return effectWorkers("gen", n, get ? () => ks.get(randomKey()) : () => ks.set(randomKey(), VALUE))
  }
  const c = values.client === "node-redis" ? yield* Peers.nodeRedisCluster(nodes) : yield* Peers.ioredisCluster(nodes, values.client === "ioredis+ap")
  if (values.bursts) return promiseBursts(n, () => c.get(randomKey()))
  return promiseWorkers(n, get ? () => c.get(randomKey()) : () => c.set(randomKey(), VALUE))
})

const program = Effect.scoped(Effect.gen(function*() {
  if (values.target === "cluster") return yield* measureRounds(yield* clusterProgram)
  const server = yield* RedisServer.make()
  const address = { host: server.host, port: server.port }
  yield* server.command("SET", KEY, VALUE)
  const get = values.command === "GET"
  let run: Contender["run"]
  if (values.client.startsWith("keyslot")) {
    const conn = yield* NodeConnection.make(address).pipe(Effect.provide(NodeConnector.layer))
    const style = values.client === "keyslot-whileLoop" ? "whileLoop" : "gen"
    run = effectWorkers(style, n, get ? () => conn.send(["GET", KEY]) : () => conn.send(["SET", KEY, VALUE]))
  } else {
    const c = values.client === "node-redis" ? yield* Peers.nodeRedis(address) : yield* Peers.ioredis(address, values.client === "ioredis+ap")
    run = promiseWorkers(n, get ? () => c.get(KEY) : () => c.set(KEY, VALUE))
  }
  return yield* measureRounds(run)
}))

const measureRounds = (run: Contender["run"]) => Effect.gen(function*() {
  for (let r = 0; r < Number(values.rounds); r++) {
    const stop: Stop = { stopped: false }
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const timer = setTimeout(() => (stop.stopped = true), durationMs)
    const ops = yield* run(stop)
    clearTimeout(timer)
    const wall = performance.now() - t0
    const cpu = process.cpuUsage(cpu0)
    const cpuPerOp = (cpu.user + cpu.system) / ops
    console.log(
      `${values.client} ${values.command} ×${n}: ${fmtOps((ops * 1000) / wall)} ops/s, ` +
        `client CPU ${cpuPerOp.toFixed(2)} µs/op (user ${(cpu.user / ops).toFixed(2)}, sys ${(cpu.system / ops).toFixed(2)}), ` +
        `CPU busy ${((100 * (cpu.user + cpu.system)) / 1000 / wall).toFixed(0)}%`
    )
  }
})

NodeRuntime.runMain(program)
