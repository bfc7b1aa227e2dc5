/**
 * Faults one after another on one cluster under a steady mixed load: manual failovers, slot
 * migrations there and back, a replica killed and restarted, a pipeline and fan-out commands in the
 * middle. None of these faults loses an acknowledged write on the server side, so the client must
 * show none either: no failed command, every INCR counted exactly once, reads see the last write,
 * and no command waits longer than its deadline.
 */
import { describe, expect, it } from "@effect/vitest"
import { Command, Slot } from "@keyslot/core"
import { RedisClusterFixture } from "@keyslot/test-utils"
import { Array as Arr, Effect, Option } from "effect"
import * as Cluster from "./helpers/cluster.js"
import * as Load from "./helpers/load.js"

const WORKERS = 8
const KEYS_PER_WORKER = 6

describe("RedisCluster under a sequence of faults", () => {
  it.live("failovers, migrations and a replica restart under 8 workers: nothing fails, nothing is counted twice", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const redis = yield* Cluster.client({ startupNodes: fixture.startupNodes, commandTimeout: "6 seconds" })
      const keyOf = (w: number, i: number) => `chaos:${w}:${i}`
      // Per key, the values INCR returned, and per worker the last value it wrote with SET.
      const returned = new Map<string, Array<number>>()
      const stale: Array<string> = []
      const workload = yield* Load.start(WORKERS, (w, seq) => {
        const key = keyOf(w, seq % KEYS_PER_WORKER)
        switch (seq % 4) {
          case 0:
          case 1:
            return Effect.map(redis.incr(key), (n) => {
              const list = returned.get(key)
              if (list === undefined) returned.set(key, [n])
              else list.push(n)
            })
          case 2: {
            // Read-your-writes on a key only this worker touches.
            const own = `chaos:rw:${w}`
            const value = `${seq}`
            return Effect.flatMap(redis.set(own, value), () =>
              Effect.map(redis.get(own), (got) => {
                if (!Option.contains(got, value)) stale.push(`${own}: wrote ${value}, read ${JSON.stringify(got)}`)
              }))
          }
          default:
            // A multi-slot read, split per slot.
            return redis.mget(Arr.range(0, KEYS_PER_WORKER - 1).map((i) => keyOf(w, i)))
        }
      })
      yield* Load.waitForSuccesses(workload, 300)

      const masters = yield* fixture.masters
      const first = masters[0]!
      const second = masters[1]!
      // 1. A manual failover of the first shard.
      yield* fixture.failover((yield* fixture.replicasOf(first.port))[0]!.port)
      yield* Load.waitForSuccesses(workload, 200)
      // 2. A slot holding counters moves to another master, then back.
      const slot = Slot.slot(keyOf(0, 0))
      const owner = yield* fixture.masterOf(slot)
      const elsewhere = (yield* fixture.masters).find((m) => m.port !== owner.port)!
      yield* fixture.migrateSlot(slot, elsewhere.port)
      yield* Load.waitForSuccesses(workload, 200)
      // 3. A pipeline over every worker's keys and commands for every master, mid-load.
      const snapshot = yield* redis.pipeline(Arr.range(0, WORKERS - 1).map((w) => Command.get(keyOf(w, 1))))
      expect(snapshot).toHaveLength(WORKERS)
      expect(yield* redis.dbsize()).toBeGreaterThan(0)
      // 4. A manual failover of the second shard.
      yield* fixture.failover((yield* fixture.replicasOf(second.port))[0]!.port)
      yield* Load.waitForSuccesses(workload, 200)
      // 5. A replica killed and restarted: it rejoins; masters are not touched.
      const replica = (yield* fixture.replicas)[0]!
      yield* fixture.killNode(replica.port)
      yield* Load.waitForSuccesses(workload, 100)
      yield* fixture.restartNode(replica.port)
      yield* Load.waitForSuccesses(workload, 200)
      // 6. The slot moves back.
      yield* fixture.migrateSlot(slot, owner.port)
      yield* Load.waitForSuccesses(workload, 200)

      const outcomes = yield* workload.stop
      expect(outcomes.length).toBeGreaterThan(1_600)
      expect(outcomes.filter((o) => o.error !== undefined), Load.describeErrors(outcomes)).toHaveLength(0)
      expect(stale, stale.slice(0, 5).join("\n")).toHaveLength(0)
      expect(Math.max(...outcomes.map((o) => o.millis))).toBeLessThan(6_500)
      // Every INCR ran once: the values returned are 1..n, and the key holds n.
      for (const [key, values] of returned) {
        expect([...values].sort((a, b) => a - b), `INCR ${key}`).toEqual(Arr.range(1, values.length))
        expect(yield* redis.get(key), `final ${key}`).toEqual(Option.some(String(values.length)))
      }
      expect(returned.size).toBe(WORKERS * KEYS_PER_WORKER)
    }).pipe(Effect.provide(RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 1 }))), 120_000)
})
