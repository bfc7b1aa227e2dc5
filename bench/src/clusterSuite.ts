/**
 * Suite "cluster": one 3 masters + 3 replicas cluster from `RedisClusterFixture`; keyslot's
 * `RedisCluster` (when it exists) against ioredis `Cluster` (plain and auto-pipelining),
 * node-redis `createCluster` and valkey-glide `GlideClusterClient`.
 *
 * Workloads (the DESIGN.md targets): serial GET; 100 workers each doing SET then GET of a random
 * key (both commands counted); bursts of 1000 concurrent GETs of random keys. Keys are spread over
 * every slot and pre-populated.
 */
import { RedisClusterFixture } from "@keyslot/test-utils"
import { Effect } from "effect"
import type { Contender, Settings, WorkloadResult } from "./harness.js"
import { formatSummary, measure, openOrLeaveOut } from "./harness.js"
import * as KeyslotCluster from "./keyslotCluster.js"
import { effectBatches, effectBursts, effectWorkers, type LoopStyle, noIoCommand, promiseBursts, promiseWorkers } from "./loops.js"
import * as Peers from "./peers.js"

export interface ClusterSuiteOptions extends Settings {
  readonly keys: number
  readonly workers: number
  readonly burst: number
  readonly primaryStyle: LoopStyle
}

const VALUE = "v".repeat(32)

export const run = (options: ClusterSuiteOptions, log: (line: string) => void) =>
  Effect.scoped(
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.make({ masters: 3, replicasPerMaster: 1 })
      const startupNodes = fixture.startupNodes
      log(`\n== suite: cluster — 3 masters + 3 replicas on ${startupNodes.map((n) => `${n.host}:${n.port}`).join(", ")} ==`)

      // Keys `bench:<i>` hash all over the slot space (no hash tags).
      const keys = Array.from({ length: options.keys }, (_, i) => `bench:${i}`)
      const randomKey = () => keys[(Math.random() * keys.length) | 0]!

      const io = yield* Peers.ioredisCluster(startupNodes, false)
      const ioAp = yield* Peers.ioredisCluster(startupNodes, true)
      // Pre-populate through ioredis+autopipelining, 1000 at a time.
      yield* Effect.promise(async () => {
        for (let i = 0; i < keys.length; i += 1000) await Promise.all(keys.slice(i, i + 1000).map((k) => ioAp.set(k, VALUE)))
      })
      log(`pre-populated ${keys.length} keys`)
      const nr = yield* Peers.nodeRedisCluster(startupNodes)
      const glide = yield* openOrLeaveOut("valkey-glide", Peers.glideCluster(startupNodes), log)

      const why = KeyslotCluster.unavailable()
      if (why !== undefined) log(`keyslot RedisCluster left out: ${why}`)
      const ks = why !== undefined ? undefined : yield* openOrLeaveOut("keyslot RedisCluster", KeyslotCluster.open(startupNodes), log)

      const peers: Array<[string, Peers.PeerClient]> = [["ioredis", io], ["ioredis+ap", ioAp], ["node-redis", nr]]
      if (glide !== undefined) peers.push(["valkey-glide", glide])

      type Workload = {
        readonly name: string
        readonly keyslot: (ks: KeyslotCluster.KeyslotCluster) => Contender["run"]
        readonly peer: (c: Peers.PeerClient) => Contender["run"]
      }
      const workloads: ReadonlyArray<Workload> = [
        {
          name: "serial GET (1 in flight)",
          keyslot: (ks) => effectWorkers(options.primaryStyle, 1, () => ks.get(randomKey())),
          peer: (c) => promiseWorkers(1, () => c.get(randomKey()))
        },
        {
          name: `${options.workers} workers SET+GET (ops = commands)`,
          keyslot: (ks) =>
            effectWorkers(options.primaryStyle, options.workers, () => {
              const k = randomKey()
              return Effect.andThen(ks.set(k, VALUE), ks.get(k))
            }, 2),
          peer: (c) =>
            promiseWorkers(options.workers, async () => {
              const k = randomKey()
              await c.set(k, VALUE)
              await c.get(k)
            }, 2)
        },
        {
          name: `bursts of ${options.burst} concurrent GETs`,
          keyslot: (ks) => effectBursts(options.primaryStyle, options.burst, () => ks.get(randomKey())),
          peer: (c) => promiseBursts(options.burst, () => c.get(randomKey()))
        }
      ]

      // keyslot's batch path next to the fiber-per-command one: a burst as one `pipeline` call.
      // Reported, but left out of the ratios (the peers are not given their pipelines either).
      const getCommand = KeyslotCluster.getCommand()
      const pipeline = ks?.pipeline
      const pipelineBursts: Contender | undefined = pipeline === undefined || getCommand === undefined ? undefined : {
        name: "keyslot[pipeline]",
        role: "keyslot-variant",
        run: effectBatches(options.burst, () => pipeline(Array.from({ length: options.burst }, () => getCommand(randomKey()))))
      }

      // The burst's keys as one MGET, which keyslot splits per slot and sends as one batch per node
      // (the peers refuse an MGET across slots).
      const mgetBursts: Contender | undefined = ks === undefined ? undefined : {
        name: "keyslot[mget]",
        role: "keyslot-variant",
        run: effectBatches(options.burst, () => ks.mget(Array.from({ length: options.burst }, randomKey)))
      }

      // The same fiber-per-command driver with no client and no I/O behind it: Effect's own cost per
      // forked element, i.e. the most any Effect client driven this way could reach.
      const noIo = noIoCommand()
      const effectFloor: Contender = {
        name: "Effect alone[no I/O]",
        role: "keyslot-variant",
        run: effectBursts(options.primaryStyle, options.burst, noIo)
      }

      const results: Array<WorkloadResult> = []
      for (const w of workloads) {
        const contenders: Array<Contender> = [
          ...(ks === undefined ? [] : [{ name: "keyslot", role: "keyslot" as const, run: w.keyslot(ks) }]),
          ...(w === workloads[2] && pipelineBursts !== undefined ? [pipelineBursts] : []),
          ...(w === workloads[2] && mgetBursts !== undefined ? [mgetBursts] : []),
          ...(w === workloads[2] ? [effectFloor] : []),
          ...peers.map(([name, c]): Contender => ({ name, role: "peer", run: w.peer(c) }))
        ]
        results.push(yield* measure(w.name, contenders, options, log))
      }
      log(formatSummary(
        `cluster suite summary — ops/s, best of ${options.rounds} rounds of ${options.durationMs} ms`,
        results,
        ["ioredis+ap"]
      ))
      return results
    })
  )
