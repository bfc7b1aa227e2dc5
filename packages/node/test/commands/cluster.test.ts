import { expect, layer } from "@effect/vitest"
import { Command, RedisCluster, Slot } from "@keyslot/core"
import { RedisClusterFixture, RedisServer } from "@keyslot/test-utils"
// Bus ports for the stand-alone cluster nodes below: reserved like the fixture's own (below the ephemeral range).
import { commandEnv, failureOf, nodePart, Resp2 } from "../helpers/commandEnv.js"
import { Effect, Option, Result } from "effect"

// Replicas make CLUSTER REPLICAS, ROLE of a replica and WAIT testable.
const Env = commandEnv({ replicasPerMaster: 1 })


/** Polls `effect` until `done` holds (every 50 ms, up to `timeoutMs`); the last value. */
const until = <A, E, R>(effect: Effect.Effect<A, E, R>, done: (a: A) => boolean, timeoutMs = 10_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const a = yield* effect
      if (done(a) || Date.now() > deadline) return a
      yield* Effect.sleep("50 millis")
    }
  })

/** A stand-alone cluster-enabled node that belongs to no cluster (safe to reconfigure). */
const loneNode = Effect.gen(function*() {
  const [busPort] = yield* RedisServer.reservePorts(1)
  const server = yield* RedisServer.make({
    args: [
      "--cluster-enabled", "yes",
      "--cluster-port", String(busPort),
      "--cluster-node-timeout", "1000",
      "--repl-diskless-sync-delay", "0",
      "--repl-ping-replica-period", "1"
    ]
  })
  return { host: server.host, port: server.port, busPort: busPort! }
})

// Live clock: some tests wait for gossip (inside `layer`, `it.live` would not get the layer's services).
layer(Env, { timeout: "60 seconds", excludeTestServices: true })("cluster commands", (it) => {
  it.effect("ASKING, READONLY, READWRITE are managed; node-targeted commands run only through executeOn", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      for (const [effect, reason] of [[redis.asking(), "ASK redirect"], [redis.readonly(), "readFrom"], [redis.readwrite(), "readFrom"]] as const) {
        const error = yield* failureOf(effect)
        expect(error?._tag).toBe("UnsupportedCommandError")
        expect(error?.reason).toContain(reason)
      }
      // Node-targeted commands are meant for executeOn; without a node they reach an arbitrary master.
      const targeted = [
        Command.clusterAddslots(1),
        Command.clusterAddslotsrange([1, 2]),
        Command.clusterDelslots(1),
        Command.clusterDelslotsrange([1, 2]),
        Command.clusterFlushslots(),
        Command.clusterFailover(),
        Command.clusterForget("x"),
        Command.clusterReplicate("x"),
        Command.clusterReset("HARD"),
        Command.clusterSetConfigEpoch(1),
        Command.clusterBumpepoch(),
        Command.clusterSetslot(1, "STABLE")
      ]
      // Node-targeted: only executeOn runs them; execute refuses rather than pick a node at random.
      for (const command of targeted) expect([command.route, command.keys, command.readOnly]).toEqual(["node", [], false])
      const refused = yield* Effect.result(redis.clusterReset())
      expect(Result.isFailure(refused) && refused.failure._tag).toBe("UnsupportedCommandError")
      // Sent to a master on purpose, the server itself refuses: only replicas fail over.
      const master = redis.topology.current().shards[0]!.master
      const onMaster = yield* failureOf(redis.executeOn(master, Command.clusterFailover()))
      expect(onMaster?._tag).toBe("ReplyError")
      expect(onMaster?.message).toContain("replica")
      expect(Command.clusterSetslot(7, { importing: "abc" }).args).toEqual(["CLUSTER", "SETSLOT", 7, "IMPORTING", "abc"])
      expect(Command.clusterSetslot(7, { migrating: "abc" }).args).toEqual(["CLUSTER", "SETSLOT", 7, "MIGRATING", "abc"])
      expect(Command.clusterSetslot(7, { node: "abc" }).args).toEqual(["CLUSTER", "SETSLOT", 7, "NODE", "abc"])
      expect(Command.clusterAddslotsrange([0, 10], [20, 30]).args).toEqual(["CLUSTER", "ADDSLOTSRANGE", 0, 10, 20, 30])
      expect((yield* redis.clusterHelp())[0]).toContain("CLUSTER <subcommand>")
    }))

  it.effect("COUNTKEYSINSLOT and GETKEYSINSLOT ask every master and combine", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const resp2 = yield* Resp2
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const keys = Array.from({ length: 5 }, (_, i) => `{ck}:${i}`)
      const slot = Slot.slot(keys[0]!)
      yield* redis.mset(Object.fromEntries(keys.map((k) => [k, "v"])))
      expect(yield* redis.clusterCountkeysinslot(slot)).toBe(5)
      expect(yield* resp2.clusterCountkeysinslot(slot)).toBe(5)
      expect((yield* redis.clusterGetkeysinslot(slot, 10)).slice().sort()).toEqual(keys)
      const three = yield* redis.clusterGetkeysinslot(slot, 3)
      expect(three).toHaveLength(3)
      expect(keys).toEqual(expect.arrayContaining([...three]))
      expect((yield* resp2.clusterGetkeysinslot(slot, 10)).slice().sort()).toEqual(keys)
      // Only the owner has them; executeOn asks it alone.
      const parts = yield* redis.perNode(Command.clusterCountkeysinslot(slot))
      expect(parts.map((p) => p.value).sort()).toEqual([0, 0, 5])
      const owner = yield* fixture.masterOf(slot)
      expect(yield* redis.executeOn(owner, Command.clusterCountkeysinslot(slot))).toBe(5)
      // A command for every node gives, through executeOn, that node's reply, typed as such.
      const myId: string = yield* redis.executeOn(owner, Command.clusterMyid())
      const everyId: Readonly<Record<string, string>> = yield* redis.clusterMyid()
      expect(everyId[`${owner.host}:${owner.port}`]).toBe(myId)
      expect(myId).toMatch(/^[0-9a-f]{40}$/)
      const empty = Slot.slot("{nothing-here}")
      expect(yield* redis.clusterCountkeysinslot(empty)).toBe(0)
      expect(yield* redis.clusterGetkeysinslot(empty, 10)).toEqual([])
      expect((yield* failureOf(redis.clusterCountkeysinslot(20000)))?._tag).toBe("ReplyError")
    }))

  it.effect("MYID and LINKS by node; REPLICAS/SLAVES, COUNT-FAILURE-REPORTS; SAVECONFIG", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const resp2 = yield* Resp2
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const nodes = yield* fixture.nodes
      const ids = yield* redis.clusterMyid()
      expect(ids).toEqual(Object.fromEntries(nodes.map((n) => [`${n.host}:${n.port}`, n.id])))
      expect(yield* resp2.clusterMyid()).toEqual(ids)
      expect(yield* nodePart(redis, nodes[0]!, Command.clusterMyid())).toBe(nodes[0]!.id)

      const links = yield* redis.clusterLinks()
      expect(Object.keys(links)).toHaveLength(6)
      const known = new Set(nodes.map((n) => n.id))
      for (const [address, ls] of Object.entries(links)) {
        const self = ids[address]!
        // One outbound link per peer on a healthy cluster (a link being re-established would be missing for a moment).
        const to = ls.filter((l) => l.direction === "to").map((l) => l.node)
        expect(to.length).toBeGreaterThanOrEqual(1)
        expect(new Set(to).size).toBe(to.length)
        expect(to).not.toContain(self)
        for (const l of ls) {
          expect(known.has(l.node)).toBe(true)
          expect(l.createTime).toBeGreaterThan(0)
          expect(l.events).toMatch(/^r?w?$/)
          expect(l.sendBufferAllocated).toBeGreaterThanOrEqual(l.sendBufferUsed)
        }
      }
      const links2 = yield* resp2.clusterLinks()
      expect(Object.keys(links2).sort()).toEqual(Object.keys(links).sort())

      const master = (yield* fixture.masters)[0]!
      const replica = (yield* fixture.replicasOf(master.port))[0]!
      for (const list of [yield* redis.clusterReplicas(master.id), yield* redis.clusterSlaves(master.id), yield* resp2.clusterReplicas(master.id)]) {
        expect(list).toHaveLength(1)
        expect(list[0]).toMatchObject({
          id: replica.id,
          address: `127.0.0.1:${replica.port}`,
          busPort: replica.busPort,
          hostname: Option.none(),
          masterId: Option.some(master.id),
          linkState: "connected",
          slots: []
        })
        expect(list[0]!.flags).toContain("slave")
      }
      expect((yield* failureOf(redis.clusterReplicas("0000000000000000000000000000000000000000")))?._tag).toBe("ReplyError")
      expect(yield* redis.clusterCountFailureReports(master.id)).toBe(0)
      yield* redis.clusterSaveconfig()
    }))

  it.effect("ROLE of a replica and its master; WAIT on the master that took the write (executeOn)", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const resp2 = yield* Resp2
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const k = "cl:wait"
      const master = yield* fixture.masterOf(Slot.slot(k))
      const replica = (yield* fixture.replicasOf(master.port))[0]!
      const replicaRole = yield* redis.executeOn(replica, Command.role())
      expect(replicaRole).toMatchObject({ role: "replica", masterHost: "127.0.0.1", masterPort: master.port, state: "connected" })
      const masterRole = yield* redis.executeOn(master, Command.role())
      expect(masterRole.role).toBe("master")
      if (masterRole.role === "master") {
        expect(masterRole.replicas.map((r) => [r.host, r.port])).toEqual([["127.0.0.1", replica.port]])
      }
      expect((yield* resp2.executeOn(replica, Command.role())).role).toBe("replica")

      yield* redis.set(k, "1")
      expect(yield* redis.executeOn(master, Command.wait(1, 2000))).toBe(1)
      yield* resp2.set(k, "2")
      expect(yield* resp2.executeOn(master, Command.wait(1, 2000))).toBe(1)
    }))

  it.effect("node management on stand-alone nodes through executeOn: epochs, slots, MEET, SETSLOT, REPLICATE, FAILOVER, FORGET, RESET", () =>
    Effect.scoped(Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const a = yield* loneNode
      const b = yield* loneNode
      const c = yield* loneNode
      const on = <X>(node: { host: string; port: number }, command: Command.Command<X>) => redis.executeOn(node, command)
      const info = (node: { host: string; port: number }) => on(node, Command.clusterInfo())
      const idOf = (node: { host: string; port: number }) => nodePart(redis, node, Command.clusterMyid())
      const [idA, idB, idC] = [yield* idOf(a), yield* idOf(b), yield* idOf(c)]
      expect(idA).toMatch(/^[0-9a-f]{40}$/)

      // Epochs.
      yield* on(a, Command.clusterSetConfigEpoch(5))
      expect((yield* info(a))["cluster_my_epoch"]).toBe("5")
      expect(yield* on(a, Command.clusterBumpepoch())).toEqual({ bumped: false, epoch: 5 })
      expect(yield* on(b, Command.clusterBumpepoch())).toEqual({ bumped: true, epoch: 1 })

      // Slots.
      yield* on(a, Command.clusterAddslots(1, 2, 3))
      yield* on(a, Command.clusterAddslotsrange([100, 199], [300, 300]))
      expect((yield* info(a))["cluster_slots_assigned"]).toBe("104")
      yield* on(a, Command.clusterDelslots(2))
      yield* on(a, Command.clusterDelslotsrange([150, 199]))
      expect((yield* info(a))["cluster_slots_assigned"]).toBe("53")
      expect((yield* failureOf(on(a, Command.clusterAddslots(1))))?.message).toContain("busy")
      yield* on(a, Command.clusterFlushslots())
      expect((yield* info(a))["cluster_slots_assigned"]).toBe("0")
      yield* on(a, Command.clusterAddslotsrange([0, 99]))
      expect(yield* on(a, Command.clusterCountkeysinslot(5))).toBe(0)

      // MEET (any member can introduce a node), then wait for the handshake.
      yield* on(a, Command.clusterMeet("127.0.0.1", b.port, b.busPort))
      yield* on(c, Command.clusterMeet("127.0.0.1", a.port, a.busPort))
      const knowsAll = yield* until(info(a), (i) => i["cluster_known_nodes"] === "3")
      expect(knowsAll["cluster_known_nodes"]).toBe("3")
      yield* until(on(b, Command.clusterNodes()), (text) => text.includes(idC) && !text.includes("handshake"))

      // SETSLOT: a migration opened and closed again.
      yield* on(b, Command.clusterSetslot(1, { importing: idA }))
      yield* on(a, Command.clusterSetslot(1, { migrating: idB }))
      expect(yield* on(a, Command.clusterNodes())).toContain(`[1->-${idB}]`)
      yield* on(a, Command.clusterSetslot(1, "STABLE"))
      yield* on(b, Command.clusterSetslot(1, "STABLE"))
      yield* on(a, Command.clusterSetslot(1, { node: idA }))
      expect(yield* on(a, Command.clusterNodes())).not.toContain("->-")

      // REPLICATE: c becomes a replica of a.
      yield* on(c, Command.clusterReplicate(idA))
      const replicas = yield* until(on(a, Command.clusterReplicas(idA)), (rs) => rs.length === 1)
      expect(replicas.map((r) => r.id)).toEqual([idC])
      const role = yield* until(on(c, Command.role()), (r) => r.role === "replica" && r.state === "connected")
      expect(role).toMatchObject({ role: "replica", masterPort: a.port, state: "connected" })
      expect(yield* on(a, Command.clusterCountFailureReports(idB))).toBe(0)

      // FAILOVER TAKEOVER on the replica: it becomes the master of a's slots.
      yield* on(c, Command.clusterFailover("TAKEOVER"))
      const promoted = yield* until(on(c, Command.role()), (r) => r.role === "master")
      expect(promoted.role).toBe("master")
      yield* until(on(a, Command.role()), (r) => r.role === "replica")

      // FORGET b on a (b owns nothing); RESET b.
      yield* on(a, Command.clusterForget(idB))
      expect(yield* on(a, Command.clusterNodes())).not.toContain(idB)
      yield* on(b, Command.clusterReset("SOFT"))
      expect((yield* info(b))["cluster_known_nodes"]).toBe("1")
      yield* on(b, Command.clusterSaveconfig())
      yield* on(b, Command.clusterReset("HARD"))
      expect(yield* idOf(b)).not.toBe(idB)
    })))
})
