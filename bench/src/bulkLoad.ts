/**
 * Bulk load: N SETs (32-byte values) into a 3+3 cluster, one client per child process so that each
 * one's peak RSS is its own.
 *
 *   pnpm --filter @keyslot/bench exec tsx src/bulkLoad.ts                    # 1M and 5M, every client
 *   pnpm --filter @keyslot/bench exec tsx src/bulkLoad.ts --counts 1000000 --clients stream,ioredis
 *
 * Clients:
 * - `stream`: `redis.pipelineStream(Stream<Command>)`, batches of 1000, 4 in flight; the input is a
 *   lazy `Stream.range`, results are counted and dropped.
 * - `chunks`: `redis.pipeline` of 10k commands at a time, one after another.
 * - `ioredis`: ioredis `Cluster`, one `node.pipeline()` per master for each 10k chunk (grouped by
 *   slot as the pipeline suite does), chunks one after another.
 *
 * Peak RSS is sampled every 20 ms; "base" is the RSS once the client is connected, before the load.
 */
import { Command, RedisCluster } from "@keyslot/core"
import { NodeRedisCluster } from "@keyslot/node"
import { RedisClusterFixture } from "@keyslot/test-utils"
import { Context, Effect, Layer, Stream } from "effect"
import { Cluster } from "ioredis"
import { execFileSync } from "node:child_process"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"

const VALUE = "v".repeat(32)
const CHUNK = 10_000

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? undefined : process.argv[i + 1]
}

interface Outcome {
  readonly client: string
  readonly count: number
  readonly seconds: number
  readonly baseRssMb: number
  readonly peakRssMb: number
}

const sampler = () => {
  let peak = process.memoryUsage().rss
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 20)
  return { stop: () => (clearInterval(timer), Math.max(peak, process.memoryUsage().rss)) }
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024)

const keyslotChild = (client: string, count: number, nodes: ReadonlyArray<{ host: string; port: number }>) =>
  Effect.scoped(Effect.gen(function*() {
    const context = yield* Layer.build(NodeRedisCluster.layer({ startupNodes: nodes, commandTimeout: "30 seconds" }))
    const redis = Context.get(context, RedisCluster.RedisCluster)
    yield* redis.set("bulk:warm", VALUE)
    const base = process.memoryUsage().rss
    const rss = sampler()
    const started = performance.now()
    let done = 0
    if (client === "stream") {
      yield* redis.pipelineStream(
        Stream.range(0, count - 1).pipe(Stream.map((i) => Command.set(`bulk:${i}`, VALUE))),
        { batchSize: 1000, inFlight: 4 }
      ).pipe(Stream.runForEach(() => Effect.sync(() => void done++)))
    } else {
      for (let start = 0; start < count; start += CHUNK) {
        const commands = []
        for (let i = start; i < Math.min(count, start + CHUNK); i++) commands.push(Command.set(`bulk:${i}`, VALUE))
        done += (yield* redis.pipeline(commands)).length
      }
    }
    const seconds = (performance.now() - started) / 1000
    if (done !== count) throw new Error(`${client}: ${done} results for ${count} commands`)
    return { client, count, seconds, baseRssMb: mb(base), peakRssMb: mb(rss.stop()) } satisfies Outcome
  }))

const ioredisChild = async (count: number, nodes: ReadonlyArray<{ host: string; port: number }>): Promise<Outcome> => {
  const calculateSlot = createRequire(createRequire(import.meta.url).resolve("ioredis"))("cluster-key-slot") as (key: string) => number
  const cluster = new Cluster(nodes.map((n) => ({ host: n.host, port: n.port })), { lazyConnect: true })
  await cluster.connect()
  await cluster.set("bulk:warm", VALUE)
  const byAddress = new Map(cluster.nodes("master").map((n) => [`${n.options.host}:${n.options.port}`, n]))
  const base = process.memoryUsage().rss
  const rss = sampler()
  const started = performance.now()
  let done = 0
  for (let start = 0; start < count; start += CHUNK) {
    const groups = new Map<string, Array<Array<string>>>()
    for (let i = start; i < Math.min(count, start + CHUNK); i++) {
      const key = `bulk:${i}`
      const owner = cluster.slots[calculateSlot(key)]![0]!
      let group = groups.get(owner)
      if (group === undefined) groups.set(owner, group = [])
      group.push(["set", key, VALUE])
    }
    const replies = await Promise.all([...groups].map(([owner, commands]) => byAddress.get(owner)!.pipeline(commands).exec()))
    for (const r of replies) done += r!.length
  }
  const seconds = (performance.now() - started) / 1000
  await cluster.quit()
  if (done !== count) throw new Error(`ioredis: ${done} results for ${count} commands`)
  return { client: "ioredis", count, seconds, baseRssMb: mb(base), peakRssMb: mb(rss.stop()) }
}

const child = async () => {
  const client = arg("client")!
  const count = Number(arg("count"))
  const nodes = arg("nodes")!.split(",").map((a) => ({ host: a.split(":")[0]!, port: Number(a.split(":")[1]) }))
  const outcome = client === "ioredis" ? await ioredisChild(count, nodes) : await Effect.runPromise(keyslotChild(client, count, nodes))
  process.stdout.write(`${JSON.stringify(outcome)}\n`)
}

const parent = Effect.scoped(Effect.gen(function*() {
  const counts = (arg("counts") ?? "1000000,5000000").split(",").map(Number)
  const clients = (arg("clients") ?? "stream,chunks,ioredis").split(",")
  const fixture = yield* RedisClusterFixture.make({ masters: 3, replicasPerMaster: 1 })
  const nodes = fixture.startupNodes.map((n) => `${n.host}:${n.port}`).join(",")
  console.log(`bulk load — node ${process.version}, 3 masters + 3 replicas, ${VALUE.length}-byte values`)
  console.log("client    commands   seconds     ops/s   base RSS MB   peak RSS MB")
  for (const count of counts) {
    for (const client of clients) {
      yield* fixture.flushAll
      const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--child", "--client", client, "--count", String(count), "--nodes", nodes], {
        encoding: "utf8",
        maxBuffer: 1 << 20
      })
      const o = JSON.parse(out.trim().split("\n").pop()!) as Outcome
      console.log(
        `${o.client.padEnd(8)} ${String(o.count).padStart(9)} ${o.seconds.toFixed(2).padStart(9)} ${Math.round(o.count / o.seconds).toString().padStart(9)} ${String(o.baseRssMb).padStart(13)} ${String(o.peakRssMb).padStart(13)}`
      )
    }
  }
}))

if (process.argv.includes("--child")) await child()
else await Effect.runPromise(parent)
