import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { RedisClusterFixture } from "../src/index.js"

const Fixture = RedisClusterFixture.RedisClusterFixture

layer(
  RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 1, password: "pw", announceHostname: true, nodeTimeout: 500 }),
  { timeout: 60_000 }
)("RedisClusterFixture with password and announced hostname (3 masters + 3 replicas, node timeout 500)", (it) => {
  it.effect("builds, authenticates, announces the hostname in redirects", () =>
    Effect.gen(function*() {
      const cluster = yield* Fixture
      expect(cluster.startupNodes).toHaveLength(6)
      expect(cluster.nodeTimeout).toBe(500)
      const masters = yield* cluster.masters
      expect(masters).toHaveLength(3)
      const slot = Number(yield* cluster.command(masters[0]!.port, "CLUSTER", "KEYSLOT", "h"))
      const owner = yield* cluster.masterOf(slot)
      const other = masters.find((m) => m.port !== owner.port)!
      const moved = yield* Effect.flip(cluster.command(other.port, "GET", "h"))
      expect(moved.message).toBe(`MOVED ${slot} localhost:${owner.port}`)
      const view = String(yield* cluster.command(owner.port, "CLUSTER", "NODES"))
      expect(view).toContain(",localhost")
      // an unauthenticated connection is refused
      const anonymous = yield* Effect.flip(Effect.scoped(cluster.connect(owner.port, { password: "wrong" })))
      expect(anonymous.message).toContain("AUTH failed")
    }))

  it.effect("migrateSlot works with AUTH on MIGRATE", () =>
    Effect.gen(function*() {
      const cluster = yield* Fixture
      const slot = Number(yield* cluster.command(cluster.startupNodes[0]!.port, "CLUSTER", "KEYSLOT", "{p}"))
      const from = yield* cluster.masterOf(slot)
      const to = (yield* cluster.masters).find((m) => m.port !== from.port)!
      yield* cluster.command(from.port, "SET", "{p}1", "one")
      yield* cluster.migrateSlot(slot, to.port)
      expect(yield* cluster.command(to.port, "GET", "{p}1")).toBe("one")
    }))

  it.effect("pausing a master longer than the node timeout fails it over; resuming brings it back as a replica", () =>
    Effect.gen(function*() {
      const cluster = yield* Fixture
      const master = yield* cluster.masterOf(0)
      const [replica] = yield* cluster.replicasOf(master.port)
      yield* cluster.pauseNode(master.port)
      // a paused node is down: waitHealthy returns once it is flagged fail and its replica took over
      yield* cluster.waitHealthy()
      expect((yield* cluster.masterOf(0)).port).toBe(replica!.port)
      yield* cluster.resumeNode(master.port)
      yield* cluster.waitHealthy()
      const back = (yield* cluster.nodes).find((n) => n.port === master.port)!
      expect(back.role).toBe("replica")
    }))
})
