/**
 * Suite "pipeline": one 3 masters + 3 replicas cluster from `RedisClusterFixture`; pipelines of
 * N commands (GET, then SET, of random pre-populated keys spread over every slot), one pipeline
 * awaited before the next is sent. ops = commands.
 *
 * Each client uses its own batch API where it has one:
 * - keyslot: `redis.pipeline(commands)` with `Command.get` / `Command.set` (grouped per node by keyslot).
 * - ioredis: a `Cluster` pipeline must stay on one node, so the keys are grouped per master here
 *   (`cluster-key-slot` + `cluster.slots`), one `node.pipeline(...).exec()` per master, all at
 *   once (`Promise.all`), and the replies put back in command order.
 * - ioredis+ap: `Promise.all` of N commands on a `Cluster` with `enableAutoPipelining`.
 * - node-redis: its cluster client has no cross-slot pipeline (`multi()` is one slot), so
 *   `Promise.all` of N commands (it pipelines what is issued in one tick per node).
 * - valkey-glide: `GlideClusterClient.exec(new ClusterBatch(false), true)`, a non-atomic batch
 *   that glide splits per node.
 */
import { Command } from "@keyslot/core"
import { RedisClusterFixture } from "@keyslot/test-utils"
import { ClusterBatch } from "@valkey/valkey-glide"
import { Effect } from "effect"
import { Cluster } from "ioredis"
import type { Redis } from "ioredis"
import { createRequire } from "node:module"
import type { Contender, Settings, Stop, WorkloadResult } from "./harness.js"
import { formatSummary, measure, openOrLeaveOut } from "./harness.js"
import * as KeyslotCluster from "./keyslotCluster.js"
import * as Peers from "./peers.js"
import { effectBatches } from "./loops.js"

export interface PipelineSuiteOptions extends Settings {
  readonly keys: number
  readonly sizes: ReadonlyArray<number>
}

const VALUE = "v".repeat(32)

// ioredis's own slot function (a dependency of ioredis, not of the bench).
const requireFromIoredis = createRequire(createRequire(import.meta.url).resolve("ioredis"))
const calculateSlot = requireFromIoredis("cluster-key-slot") as (key: string) => number

/** Pipelines of `size` commands, one after another until `stop`; `one` builds and sends one. */
const promisePipelines = (size: number, one: () => Promise<unknown>) => (stop: Stop) =>
  Effect.promise(async () => {
    let ops = 0
    while (!stop.stopped) {
      await one()
      ops += size
    }
    return ops
  })

type Op = "GET" | "SET"

/**
 * One ioredis pipeline per master for the given keys, all at once; replies back in key order.
 * Fails on the first command error, like `redis.pipeline` does.
 */
const ioredisGrouped = (cluster: Cluster, byAddress: Map<string, Redis>, op: Op, keys: ReadonlyArray<string>) => {
  const groups = new Map<string, { node: Redis; index: Array<number>; commands: Array<Array<string>> }>()
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    const owner = cluster.slots[calculateSlot(key)]![0]!
    let group = groups.get(owner)
    if (group === undefined) {
      const node = byAddress.get(owner)
      if (node === undefined) throw new Error(`no ioredis master for ${owner}`)
      group = { node, index: [], commands: [] }
      groups.set(owner, group)
    }
    group.index.push(i)
    group.commands.push(op === "GET" ? ["get", key] : ["set", key, VALUE])
  }
  const out: Array<unknown> = new Array(keys.length)
  return Promise.all(
    [...groups.values()].map(async (g) => {
      const replies = (await g.node.pipeline(g.commands).exec())!
      for (let j = 0; j < replies.length; j++) {
        const [err, value] = replies[j]!
        if (err) throw err
        out[g.index[j]!] = value
      }
    })
  ).then(() => out)
}

export const run = (options: PipelineSuiteOptions, log: (line: string) => void) =>
  Effect.scoped(
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.make({ masters: 3, replicasPerMaster: 1 })
      const startupNodes = fixture.startupNodes
      log(`\n== suite: pipeline — 3 masters + 3 replicas on ${startupNodes.map((n) => `${n.host}:${n.port}`).join(", ")} ==`)

      const keys = Array.from({ length: options.keys }, (_, i) => `bench:${i}`)
      const randomKeys = (n: number) => {
        const out: Array<string> = new Array(n)
        for (let i = 0; i < n; i++) out[i] = keys[(Math.random() * keys.length) | 0]!
        return out
      }

      const io = yield* Peers.openIoredisCluster(startupNodes, false)
      const ioAp = yield* Peers.openIoredisCluster(startupNodes, true)
      yield* Effect.promise(async () => {
        for (let i = 0; i < keys.length; i += 1000) await Promise.all(keys.slice(i, i + 1000).map((k) => ioAp.set(k, VALUE)))
      })
      log(`pre-populated ${keys.length} keys`)
      // host:port of every master, as `cluster.slots` names them.
      const byAddress = new Map<string, Redis>()
      for (const node of io.nodes("master")) byAddress.set(`${node.options.host}:${node.options.port}`, node)
      const nr = yield* Peers.openNodeRedisCluster(startupNodes)
      const glide = yield* openOrLeaveOut("valkey-glide", Peers.openGlideCluster(startupNodes, 10_000), log)

      const why = KeyslotCluster.unavailable()
      if (why !== undefined) log(`keyslot RedisCluster left out: ${why}`)
      const ks = why !== undefined ? undefined : yield* openOrLeaveOut("keyslot RedisCluster", KeyslotCluster.open(startupNodes), log)
      const pipeline = ks?.pipeline
      if (ks !== undefined && pipeline === undefined) log("keyslot RedisCluster has no pipeline, left out")

      const contenders = (op: Op, size: number): Array<Contender> => {
        const list: Array<Contender> = []
        if (pipeline !== undefined) {
          list.push({
            name: "keyslot",
            role: "keyslot",
            run: effectBatches(size, () =>
              pipeline(
                op === "GET"
                  ? randomKeys(size).map((k) => Command.get(k))
                  : randomKeys(size).map((k) => Command.set(k, VALUE))
              ))
          })
        }
        list.push({
          name: "ioredis[per-node pipeline]",
          role: "peer",
          run: promisePipelines(size, () => ioredisGrouped(io, byAddress, op, randomKeys(size)))
        })
        list.push({
          name: "ioredis+ap",
          role: "peer",
          run: promisePipelines(
            size,
            () => Promise.all(randomKeys(size).map((k) => op === "GET" ? ioAp.get(k) : ioAp.set(k, VALUE)))
          )
        })
        list.push({
          name: "node-redis[Promise.all]",
          role: "peer",
          run: promisePipelines(size, () => Promise.all(randomKeys(size).map((k) => op === "GET" ? nr.get(k) : nr.set(k, VALUE))))
        })
        if (glide !== undefined) {
          list.push({
            name: "valkey-glide[ClusterBatch]",
            role: "peer",
            run: promisePipelines(size, () => {
              const batch = new ClusterBatch(false)
              for (const k of randomKeys(size)) {
                if (op === "GET") batch.get(k)
                else batch.set(k, VALUE)
              }
              return glide.exec(batch, true)
            })
          })
        }
        return list
      }

      const results: Array<WorkloadResult> = []
      for (const op of ["GET", "SET"] as const) {
        for (const size of options.sizes) {
          results.push(yield* measure(`pipelines of ${size} ${op}s (ops = commands)`, contenders(op, size), options, log))
        }
      }
      log(formatSummary(
        `pipeline suite summary — commands/s, best of ${options.rounds} rounds of ${options.durationMs} ms`,
        results,
        ["ioredis[per-node pipeline]", "ioredis+ap"]
      ))
      return results
    })
  )
