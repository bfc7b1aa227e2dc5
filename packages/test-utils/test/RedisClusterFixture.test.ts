import { expect, layer } from "@effect/vitest"
import { Effect, Option } from "effect"
import { RedisClusterFixture } from "../src/index.js"

const Fixture = RedisClusterFixture.RedisClusterFixture

/** The slot of a key, asked from the cluster itself. */
const keySlot = (key: string) =>
  Effect.gen(function*() {
    const cluster = yield* Fixture
    const [first] = yield* cluster.masters
    return Number(yield* cluster.command(first!.port, "CLUSTER", "KEYSLOT", key))
  })

const infoField = (text: unknown, field: string): string | undefined =>
  String(text).split("\r\n").find((line) => line.startsWith(`${field}:`))?.slice(field.length + 1)

/** A running master other than the one on `port`. */
const otherMaster = (port: number) =>
  Effect.gen(function*() {
    const cluster = yield* Fixture
    const all = yield* cluster.masters
    return all.find((m) => m.port !== port && m.slots.length > 0)!
  })

layer(RedisClusterFixture.layer(), { timeout: 60_000 })("RedisClusterFixture (3 masters + 3 replicas)", (it) => {
  it.effect("builds a healthy 3+3 cluster", () =>
    Effect.gen(function*() {
      const cluster = yield* Fixture
      expect(cluster.startupNodes).toHaveLength(6)
      const nodes = yield* cluster.nodes
      expect(nodes).toHaveLength(6)
      const masters = nodes.filter((n) => n.role === "master")
      const replicas = nodes.filter((n) => n.role === "replica")
      expect(masters).toHaveLength(3)
      expect(replicas).toHaveLength(3)
      // every replica follows a distinct master
      expect(new Set(replicas.map((r) => Option.getOrThrow(r.masterId)))).toEqual(new Set(masters.map((m) => m.id)))
      // slots split evenly, all covered
      const ranges = masters.flatMap((m) => m.slots).sort((a, b) => a[0] - b[0])
      expect(ranges).toEqual([[0, 5460], [5461, 10921], [10922, 16383]])
      for (const node of nodes) {
        expect(node.busPort).not.toBe(node.port + 10000)
        expect(node.port).toBeGreaterThanOrEqual(20000)
        expect(node.port).toBeLessThan(31000)
        expect(node.alive).toBe(true)
        const info = yield* cluster.command(node.port, "CLUSTER", "INFO")
        expect(infoField(info, "cluster_state")).toBe("ok")
        expect(infoField(info, "cluster_known_nodes")).toBe("6")
        expect(infoField(info, "cluster_slots_assigned")).toBe("16384")
        expect(infoField(info, "cluster_slots_ok")).toBe("16384")
        const view = String(yield* cluster.command(node.port, "CLUSTER", "NODES"))
        expect(view.trim().split("\n")).toHaveLength(6)
        expect(view).not.toMatch(/fail|handshake|noaddr/)
      }
      for (const replica of replicas) {
        const replication = yield* cluster.command(replica.port, "INFO", "replication")
        expect(infoField(replication, "master_link_status")).toBe("up")
      }
    }))

  it.effect("a key written on its slot owner is readable there; other masters redirect", () =>
    Effect.gen(function*() {
      const cluster = yield* Fixture
      const slot = yield* keySlot("user:1")
      const owner = yield* cluster.masterOf(slot)
      expect(yield* cluster.command(owner.port, "SET", "user:1", "ada")).toBe("OK")
      expect(yield* cluster.command(owner.port, "GET", "user:1")).toBe("ada")
      const other = yield* otherMaster(owner.port)
      const moved = yield* Effect.flip(cluster.command(other.port, "GET", "user:1"))
      expect(moved._tag === "RedisReplyError" && moved.message).toBe(`MOVED ${slot} 127.0.0.1:${owner.port}`)
    }))

  it.effect("killNode of a master: waitHealthy returns once its replica is promoted; restartNode rejoins as replica", () =>
    Effect.gen(function*() {
      const cluster = yield* Fixture
      const slot = yield* keySlot("kill-me")
      const master = yield* cluster.masterOf(slot)
      const [replica] = yield* cluster.replicasOf(master.port)
      yield* cluster.command(master.port, "SET", "kill-me", "v")
      yield* cluster.command(master.port, "WAIT", 1, 2000)
      yield* cluster.killNode(master.port)
      const started = Date.now()
      yield* cluster.waitHealthy()
      console.log(`master SIGKILL -> replica promoted, cluster healthy: ${Date.now() - started} ms`)
      const promoted = (yield* cluster.nodes).find((n) => n.id === replica!.id)!
      expect(promoted.role).toBe("master")
      expect(promoted.slots).toEqual(master.slots)
      expect((yield* cluster.masterOf(slot)).port).toBe(replica!.port)
      expect(yield* cluster.command(replica!.port, "GET", "kill-me")).toBe("v")
      const dead = (yield* cluster.nodes).find((n) => n.id === master.id)!
      expect(dead.alive).toBe(false)
      expect(dead.flags).toContain("fail")
      expect(Option.isNone(dead.pid)).toBe(true)

      yield* cluster.restartNode(master.port)
      const back = (yield* cluster.nodes).find((n) => n.id === master.id)!
      expect(back.alive).toBe(true)
      expect(back.role).toBe("replica")
      expect(back.masterId).toEqual(Option.some(replica!.id))
      expect(back.flags).not.toContain("fail")
    }))

  it.effect("failover takeover, then default, swaps roles back and forth", () =>
    Effect.gen(function*() {
      const cluster = yield* Fixture
      const master = yield* cluster.masterOf(100)
      const [replica] = yield* cluster.replicasOf(master.port)
      yield* cluster.failover(replica!.port, "takeover")
      expect((yield* cluster.masterOf(100)).port).toBe(replica!.port)
      expect((yield* cluster.replicasOf(replica!.port)).map((n) => n.port)).toEqual([master.port])

      yield* cluster.failover(master.port, "default")
      expect((yield* cluster.masterOf(100)).port).toBe(master.port)
      expect((yield* cluster.replicasOf(master.port)).map((n) => n.port)).toEqual([replica!.port])

      yield* cluster.failover(replica!.port, "force")
      expect((yield* cluster.masterOf(100)).port).toBe(replica!.port)

      const notReplica = yield* Effect.flip(cluster.failover(replica!.port))
      expect(notReplica.message).toContain("is not a replica")
    }))

  it.effect("migrateSlot moves the slot with its keys; the old owner answers MOVED", () =>
    Effect.gen(function*() {
      const cluster = yield* Fixture
      const slot = yield* keySlot("{mig}a")
      const from = yield* cluster.masterOf(slot)
      const to = yield* otherMaster(from.port)
      const keys = Array.from({ length: 250 }, (_, i) => `{mig}${i}`)
      for (const key of keys) yield* cluster.command(from.port, "SET", key, `v-${key}`)
      yield* cluster.migrateSlot(slot, to.port)
      expect((yield* cluster.masterOf(slot)).port).toBe(to.port)
      expect(yield* cluster.command(to.port, "CLUSTER", "COUNTKEYSINSLOT", slot)).toBe(250)
      expect(yield* cluster.command(to.port, "GET", "{mig}7")).toBe("v-{mig}7")
      const moved = yield* Effect.flip(cluster.command(from.port, "GET", "{mig}7"))
      expect(moved._tag === "RedisReplyError" && moved.message).toBe(`MOVED ${slot} 127.0.0.1:${to.port}`)
      // every node agrees (waitHealthy compared the views)
      for (const node of yield* cluster.nodes) {
        const reply = yield* Effect.result(cluster.command(node.port, "GET", "{mig}7"))
        if (node.port !== to.port) {
          expect(reply._tag === "Failure" && reply.failure.message).toBe(`MOVED ${slot} 127.0.0.1:${to.port}`)
        }
      }
    }))

  it.effect("beginMigration holds a slot half-moved: ASK for missing keys, migrateKeys moves some, finishMigration the rest", () =>
    Effect.gen(function*() {
      const cluster = yield* Fixture
      const slot = yield* keySlot("{ask}present")
      const from = yield* cluster.masterOf(slot)
      const to = yield* otherMaster(from.port)
      yield* cluster.command(from.port, "SET", "{ask}present", "1")
      yield* cluster.command(from.port, "SET", "{ask}moved", "2")
      yield* cluster.beginMigration(slot, to.port)

      const ask = yield* Effect.flip(cluster.command(from.port, "GET", "{ask}missing"))
      expect(ask._tag === "RedisReplyError" && ask.message).toBe(`ASK ${slot} 127.0.0.1:${to.port}`)
      expect(yield* cluster.command(from.port, "GET", "{ask}present")).toBe("1")

      yield* cluster.migrateKeys(slot, ["{ask}moved"])
      const askMoved = yield* Effect.flip(cluster.command(from.port, "GET", "{ask}moved"))
      expect(askMoved._tag === "RedisReplyError" && askMoved.code).toBe("ASK")
      // the importing node redirects without ASKING, serves with it
      const notAsking = yield* Effect.flip(cluster.command(to.port, "GET", "{ask}moved"))
      expect(notAsking._tag === "RedisReplyError" && notAsking.code).toBe("MOVED")
      const target = yield* cluster.connect(to.port)
      expect(yield* target.command("ASKING")).toBe("OK")
      expect(yield* target.command("GET", "{ask}moved")).toBe("2")
      // multi-key command over a half-moved slot
      const tryAgain = yield* Effect.flip(cluster.command(from.port, "MGET", "{ask}present", "{ask}moved"))
      expect(tryAgain._tag === "RedisReplyError" && tryAgain.code).toBe("TRYAGAIN")

      yield* cluster.finishMigration(slot)
      expect((yield* cluster.masterOf(slot)).port).toBe(to.port)
      expect(yield* cluster.command(to.port, "MGET", "{ask}present", "{ask}moved")).toEqual(["1", "2"])
      const moved = yield* Effect.flip(cluster.command(from.port, "GET", "{ask}present"))
      expect(moved._tag === "RedisReplyError" && moved.code).toBe("MOVED")
      const notMigrating = yield* Effect.flip(cluster.finishMigration(slot))
      expect(notMigrating.message).toContain("not being migrated")
    }))

  it.effect("addMaster and addReplica join; removeNode takes them out again", () =>
    Effect.gen(function*() {
      const cluster = yield* Fixture
      const port = yield* cluster.addMaster
      let nodes = yield* cluster.nodes
      expect(nodes).toHaveLength(7)
      const added = nodes.find((n) => n.port === port)!
      expect(added.role).toBe("master")
      expect(added.slots).toEqual([])
      for (const node of nodes) {
        expect(infoField(yield* cluster.command(node.port, "CLUSTER", "INFO"), "cluster_known_nodes")).toBe("7")
      }
      const replicaPort = yield* cluster.addReplica(port)
      expect((yield* cluster.replicasOf(port)).map((n) => n.port)).toEqual([replicaPort])

      yield* cluster.migrateSlot(16383, port)
      expect((yield* cluster.masterOf(16383)).port).toBe(port)
      const refused = yield* Effect.flip(cluster.removeNode(port))
      expect(refused.message).toContain("owns slots")
      const back = yield* otherMaster(port)
      yield* cluster.migrateSlot(16383, back.port)

      yield* cluster.removeNode(replicaPort)
      yield* cluster.removeNode(port)
      nodes = yield* cluster.nodes
      expect(nodes).toHaveLength(6)
      for (const node of nodes) {
        expect(infoField(yield* cluster.command(node.port, "CLUSTER", "INFO"), "cluster_known_nodes")).toBe("6")
      }
    }))

  it.effect("pauseNode of a replica: waitHealthy waits until it is flagged fail; resumeNode brings it back", () =>
    Effect.gen(function*() {
      const cluster = yield* Fixture
      const [replica] = yield* cluster.replicas
      yield* cluster.pauseNode(replica!.port)
      expect((yield* cluster.nodes).find((n) => n.port === replica!.port)!.paused).toBe(true)
      yield* cluster.waitHealthy()
      const seen = (yield* cluster.nodes).find((n) => n.port === replica!.port)!
      expect(seen.flags).toContain("fail")
      yield* cluster.resumeNode(replica!.port)
      yield* cluster.waitHealthy()
      expect(yield* cluster.command(replica!.port, "PING")).toBe("PONG")
      expect((yield* cluster.nodes).find((n) => n.port === replica!.port)!.flags).not.toContain("fail")
    }))

  it.effect("flushAll empties every master", () =>
    Effect.gen(function*() {
      const cluster = yield* Fixture
      yield* cluster.flushAll
      for (const node of yield* cluster.nodes) {
        expect(yield* cluster.command(node.port, "DBSIZE")).toBe(0)
      }
    }))
})
