import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import type { Scope } from "effect"
import { encode } from "../src/internal/resp.js"
import { plain, type Plain, Reader } from "../src/internal/scripted/wire.js"
import { ScriptedCluster } from "../src/index.js"

/** A bare RESP client on one scripted connection. */
interface Client {
  /** Writes one command, waits for its reply. */
  readonly call: (...args: ReadonlyArray<string>) => Effect.Effect<Plain>
  /** Writes commands in one chunk, without waiting. */
  readonly send: (...commands: ReadonlyArray<ReadonlyArray<string>>) => void
  /** The next reply not taken yet (waits for it). */
  readonly next: Effect.Effect<Plain>
  /** Replies received and not taken yet. */
  readonly inbox: ReadonlyArray<Plain>
  /** Every byte received, as text. */
  readonly raw: () => string
  /** Whether the node closed the connection. */
  readonly ended: () => boolean
  readonly close: () => void
}

const connectTo = <E>(
  cluster: ScriptedCluster.ScriptedCluster<E>,
  node: ScriptedCluster.Endpoint
): Effect.Effect<Client, E, Scope.Scope> =>
  Effect.gen(function*() {
    const transport = yield* cluster.connector.connect(node, {})
    const reader = new Reader()
    const inbox: Array<Plain> = []
    const waiters: Array<(p: Plain) => void> = []
    let raw = ""
    let ended = false
    const fiber = yield* Effect.forkScoped(transport.run((chunk) => {
      raw += Buffer.from(chunk).toString("utf8")
      reader.push(chunk)
      for (let r = reader.next(); r !== undefined; r = reader.next()) {
        const waiter = waiters.shift()
        if (waiter !== undefined) waiter(plain(r.value))
        else inbox.push(plain(r.value))
      }
    }))
    yield* Effect.forkScoped(Effect.andThen(Fiber.join(fiber), Effect.sync(() => {
      ended = true
    })))
    const next = Effect.callback<Plain>((resume) => {
      const ready = inbox.shift()
      if (ready !== undefined) return resume(Effect.succeed(ready))
      const waiter = (p: Plain) => resume(Effect.succeed(p))
      waiters.push(waiter)
      return Effect.sync(() => {
        const i = waiters.indexOf(waiter)
        if (i !== -1) waiters.splice(i, 1)
      })
    })
    const send = (...commands: ReadonlyArray<ReadonlyArray<string>>) => transport.write(Buffer.concat(commands.map((c) => encode(c))))
    return {
      call: (...args) => Effect.suspend(() => {
        send(args)
        return next
      }),
      send,
      next,
      inbox,
      raw: () => raw,
      ended: () => ended,
      close: transport.close
    }
  })

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const reason = exit.cause.reasons[0]
  if (reason === undefined || reason._tag !== "Fail") throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
  return reason.error
}

/** Lets the event loop run a few turns (the cluster answers on `setImmediate`). */
const turns = (n = 5) => Effect.promise(async () => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r))
})

describe("ScriptedCluster: layout and hashing", () => {
  it.effect("splits the slots evenly between the masters and lists replicas", () =>
    Effect.gen(function*() {
      const cluster = yield* ScriptedCluster.make({ masters: 3, replicasPerMaster: 1 })
      expect(cluster.masters.map((m) => m.port)).toEqual([30001, 30002, 30003])
      expect(cluster.replicas.map((r) => [r.port, r.master?.port])).toEqual([[30004, 30001], [30005, 30002], [30006, 30003]])
      expect(cluster.masters.map((m) => m.slots)).toEqual([[[0, 5460]], [[5461, 10921]], [[10922, 16383]]])
      expect(cluster.startupNodes).toHaveLength(6)
      expect(cluster.node("127.0.0.1:30002")).toBe(cluster.masters[1])
      expect(cluster.node(30004).role).toBe("replica")
      expect(() => cluster.node(1)).toThrow(/no node/)
    }))

  it("hashes keys as Redis does (CRC16/XMODEM, hash tags)", () =>
    Effect.runSync(Effect.gen(function*() {
      const cluster = yield* ScriptedCluster.make()
      expect(cluster.slotOf("123456789")).toBe(0x31c3)
      expect(cluster.slotOf("foo")).toBe(12182)
      expect(cluster.slotOf("{user1000}.following")).toBe(cluster.slotOf("user1000"))
      expect(cluster.slotOf("foo{}{bar}")).toBe(cluster.slotOf(Buffer.from("foo{}{bar}")))
      expect(cluster.slotOf("foo{{bar}}zap")).toBe(cluster.slotOf("{bar"))
      const key = cluster.keyInSlot(42)
      expect(cluster.slotOf(key)).toBe(42)
      expect(cluster.ownerOf(cluster.keyFor(cluster.masters[2]!))).toBe(cluster.masters[2])
    })))
})

describe("ScriptedCluster: handshake", () => {
  it.live("HELLO 3 switches to RESP3 (maps, `_` nulls); without it RESP2", () =>
    Effect.gen(function*() {
      const cluster = yield* ScriptedCluster.make()
      const a = cluster.masters[0]!
      const key = cluster.keyFor(a)
      const c3 = yield* connectTo(cluster, a)
      const hello = yield* c3.call("HELLO", "3", "SETNAME", "tester")
      expect(hello).toMatchObject({ server: "redis", proto: 3, mode: "cluster", role: "master" })
      expect(c3.raw().startsWith("%")).toBe(true)
      expect(yield* c3.call("CLIENT", "GETNAME")).toBe("tester")
      expect(yield* c3.call("GET", key)).toBe(null)
      expect(c3.raw().endsWith("_\r\n")).toBe(true)

      const c2 = yield* connectTo(cluster, a)
      expect(yield* c2.call("GET", key)).toBe(null)
      expect(c2.raw()).toBe("$-1\r\n")
      expect(yield* c2.call("CLIENT", "SETNAME", "two")).toBe("OK")
      expect(yield* c2.call("PING")).toBe("PONG")
      expect(yield* c2.call("READONLY")).toBe("OK")
      expect(yield* c2.call("NOPE", "x")).toEqual({ error: "ERR unknown command 'NOPE', with args beginning with: 'x' " })
    }))

  it.live("a password: NOAUTH first, WRONGPASS for a wrong one, HELLO AUTH or AUTH for the right one", () =>
    Effect.gen(function*() {
      const cluster = yield* ScriptedCluster.make({ password: "secret" })
      const c = yield* connectTo(cluster, cluster.masters[0]!)
      expect(yield* c.call("PING")).toEqual({ error: "NOAUTH Authentication required." })
      expect(yield* c.call("HELLO", "3")).toMatchObject({ error: expect.stringMatching(/^NOAUTH/) })
      expect(yield* c.call("HELLO", "3", "AUTH", "default", "nope")).toMatchObject({ error: expect.stringMatching(/^WRONGPASS/) })
      expect(yield* c.call("HELLO", "3", "AUTH", "default", "secret")).toMatchObject({ proto: 3 })
      expect(yield* c.call("PING")).toBe("PONG")
      const d = yield* connectTo(cluster, cluster.masters[0]!)
      expect(yield* d.call("AUTH", "secret")).toBe("OK")
      expect(yield* d.call("PING")).toBe("PONG")
    }))

  it.live("resp3: false refuses HELLO 3 with NOPROTO", () =>
    Effect.gen(function*() {
      const cluster = yield* ScriptedCluster.make({ resp3: false })
      const c = yield* connectTo(cluster, cluster.masters[0]!)
      expect(yield* c.call("HELLO", "3")).toMatchObject({ error: expect.stringMatching(/^NOPROTO/) })
      // RESP2: the map is a flat array.
      expect(yield* c.call("HELLO", "2")).toEqual(expect.arrayContaining(["proto", 2]))
    }))
})

describe("ScriptedCluster: discovery", () => {
  it.live("CLUSTER SHARDS, SLOTS, INFO and NODES describe the cluster", () =>
    Effect.gen(function*() {
      const cluster = yield* ScriptedCluster.make({ masters: 2, replicasPerMaster: 1 })
      const c = yield* connectTo(cluster, cluster.masters[0]!)
      yield* c.call("HELLO", "3")
      const shards = (yield* c.call("CLUSTER", "SHARDS")) as ReadonlyArray<{ slots: ReadonlyArray<number>; nodes: ReadonlyArray<Record<string, Plain>> }>
      expect(shards.map((s) => s.slots)).toEqual([[0, 8191], [8192, 16383]])
      expect(shards[0]!.nodes).toEqual([
        { id: cluster.masters[0]!.id, port: 30001, ip: "127.0.0.1", endpoint: "127.0.0.1", role: "master", "replication-offset": 0, health: "online" },
        { id: cluster.replicas[0]!.id, port: 30003, ip: "127.0.0.1", endpoint: "127.0.0.1", role: "replica", "replication-offset": 0, health: "online" }
      ])
      expect(yield* c.call("CLUSTER", "SLOTS")).toEqual([
        [0, 8191, ["127.0.0.1", 30001, cluster.masters[0]!.id], ["127.0.0.1", 30003, cluster.replicas[0]!.id]],
        [8192, 16383, ["127.0.0.1", 30002, cluster.masters[1]!.id], ["127.0.0.1", 30004, cluster.replicas[1]!.id]]
      ])
      const info = String(yield* c.call("CLUSTER", "INFO"))
      expect(info).toContain("cluster_state:ok\r\n")
      expect(info).toContain(`cluster_current_epoch:${cluster.epoch}\r\n`)
      const nodes = String(yield* c.call("CLUSTER", "NODES"))
      expect(nodes.split("\n")[0]).toBe(`${cluster.masters[0]!.id} 127.0.0.1:30001@40001 myself,master - 0 0 ${cluster.epoch} connected 0-8191`)
      expect(yield* c.call("CLUSTER", "MYID")).toBe(cluster.masters[0]!.id)
      expect(yield* c.call("CLUSTER", "KEYSLOT", "foo")).toBe(12182)

      // RESP2: maps are flat arrays.
      const r2 = yield* connectTo(cluster, cluster.masters[1]!)
      const flat = (yield* r2.call("CLUSTER", "SHARDS")) as ReadonlyArray<ReadonlyArray<Plain>>
      expect(flat[1]!.slice(0, 2)).toEqual(["slots", [8192, 16383]])
    }))

  it.live("clusterShards: false answers CLUSTER SHARDS with an unknown-subcommand error", () =>
    Effect.gen(function*() {
      const cluster = yield* ScriptedCluster.make({ clusterShards: false })
      const c = yield* connectTo(cluster, cluster.masters[0]!)
      expect(yield* c.call("CLUSTER", "SHARDS")).toMatchObject({ error: expect.stringMatching(/unknown subcommand/) })
      expect(yield* c.call("CLUSTER", "SLOTS")).toHaveLength(3)
    }))
})

describe("ScriptedCluster: keys and routing", () => {
  it.live("serves its own slots, MOVED for others, CROSSSLOT, CLUSTERDOWN for an unserved slot", () =>
    Effect.gen(function*() {
      const cluster = yield* ScriptedCluster.make()
      const [a, b] = cluster.masters
      const key = cluster.keyFor(a!)
      const c = yield* connectTo(cluster, a!)
      expect(yield* c.call("SET", key, "v")).toBe("OK")
      expect(yield* c.call("GET", key)).toBe("v")
      expect(yield* c.call("INCR", key)).toEqual({ error: "ERR value is not an integer or out of range" })
      expect(yield* c.call("SET", key, "41", "GET")).toBe("v")
      expect(yield* c.call("INCR", key)).toBe(42)
      expect(yield* c.call("SET", key, "x", "NX")).toBe(null)
      expect(yield* c.call("MSET", "{t}1", "a", "{t}2", "b")).toEqual(
        cluster.ownerOf("{t}1") === a ? "OK" : { error: `MOVED ${cluster.slotOf("{t}1")} ${cluster.ownerOf("{t}1")!.address}` }
      )
      expect(yield* c.call("MGET", key, cluster.keyFor(b!))).toEqual({ error: "CROSSSLOT Keys in request don't hash to the same slot" })
      const other = cluster.keyFor(b!)
      expect(yield* c.call("GET", other)).toEqual({ error: `MOVED ${cluster.slotOf(other)} ${b!.address}` })
      expect(cluster.get(key)).toBe("42")
      expect(a!.data.get(key)).toBe("42")
      expect(yield* c.call("DEL", key, key)).toBe(1)
      expect(yield* c.call("EXISTS", key)).toBe(0)
      expect(yield* c.call("DBSIZE")).toBe(0)
      cluster.set(key, "v")
      cluster.unassignSlots([0, 100])
      cluster.unassignSlots(cluster.slotOf(key))
      expect(cluster.ownerOf(key)).toBe(undefined)
      expect(a!.slots[0]).toEqual([101, a!.slots[0]![1]])
      expect(yield* c.call("GET", key)).toEqual({ error: "CLUSTERDOWN Hash slot not served" })
      expect(yield* c.call("CLUSTER", "INFO")).toEqual(expect.stringContaining("cluster_state:fail\r\n"))
      expect(() => cluster.set(key, "v")).toThrow(/not served/)
    }))

  it.live("moveSlots: the old owner answers MOVED, the keys move, the epoch grows", () =>
    Effect.gen(function*() {
      const cluster = yield* ScriptedCluster.make()
      const [a, b] = cluster.masters
      const key = cluster.keyFor(a!)
      const slot = cluster.slotOf(key)
      cluster.set(key, "v")
      const epoch = cluster.epoch
      cluster.moveSlots(slot, b!)
      expect(cluster.epoch).toBe(epoch + 1)
      expect(cluster.ownerOf(slot)).toBe(b)
      expect(a!.data.has(key)).toBe(false)
      expect(b!.data.get(key)).toBe("v")
      const ca = yield* connectTo(cluster, a!)
      const cb = yield* connectTo(cluster, b!)
      expect(yield* ca.call("GET", key)).toEqual({ error: `MOVED ${slot} ${b!.address}` })
      expect(yield* cb.call("GET", key)).toBe("v")
      expect(b!.slots).toContainEqual([slot, slot])
    }))

  it.live("a migrating slot: ASK for moved keys, ASKING lets the target serve one command, TRYAGAIN for split multi-key commands", () =>
    Effect.gen(function*() {
      const cluster = yield* ScriptedCluster.make()
      const [a, b] = cluster.masters
      const base = cluster.keyFor(a!)
      const slot = cluster.slotOf(base)
      const [k1, k2, k3] = [`{${base}}1`, `{${base}}2`, `{${base}}3`]
      expect(cluster.slotOf(k1)).toBe(slot)
      cluster.set(k1, "one")
      cluster.set(k2, "two")
      const migration = cluster.migrate(slot, b!)
      migration.moveKey(k2)
      const ca = yield* connectTo(cluster, a!)
      const cb = yield* connectTo(cluster, b!)
      expect(yield* ca.call("GET", k1)).toBe("one")
      expect(yield* ca.call("GET", k2)).toEqual({ error: `ASK ${slot} ${b!.address}` })
      expect(yield* ca.call("MGET", k1, k2)).toEqual({ error: "TRYAGAIN Multiple keys request during rehashing of slot" })
      expect(yield* cb.call("GET", k2)).toEqual({ error: `MOVED ${slot} ${a!.address}` })
      expect(yield* cb.call("ASKING")).toBe("OK")
      expect(yield* cb.call("GET", k2)).toBe("two")
      // ASKING counts for one command only.
      expect(yield* cb.call("GET", k2)).toEqual({ error: `MOVED ${slot} ${a!.address}` })
      cb.send(["ASKING"], ["MGET", k1, k2])
      expect([yield* cb.next, yield* cb.next]).toEqual(["OK", { error: "TRYAGAIN Multiple keys request during rehashing of slot" }])
      // A new key of a migrating slot: ASK, and created on the target.
      expect(yield* ca.call("SET", k3, "x")).toEqual({ error: `ASK ${slot} ${b!.address}` })
      cb.send(["ASKING"], ["SET", k3, "x"])
      expect([yield* cb.next, yield* cb.next]).toEqual(["OK", "OK"])
      expect(b!.data.get(k3)).toBe("x")
      migration.finish()
      expect(yield* ca.call("GET", k1)).toEqual({ error: `MOVED ${slot} ${b!.address}` })
      expect(yield* cb.call("MGET", k1, k2)).toEqual(["one", "two"])
    }))

  it.live("replicas serve reads after READONLY, and redirect writes to their master", () =>
    Effect.gen(function*() {
      const cluster = yield* ScriptedCluster.make({ masters: 1, replicasPerMaster: 1 })
      const [master] = cluster.masters
      const [replica] = cluster.replicas
      cluster.set("k", "v")
      const c = yield* connectTo(cluster, replica!)
      const slot = cluster.slotOf("k")
      expect(yield* c.call("GET", "k")).toEqual({ error: `MOVED ${slot} ${master!.address}` })
      expect(yield* c.call("READONLY")).toBe("OK")
      expect(yield* c.call("GET", "k")).toBe("v")
      expect(yield* c.call("SET", "k", "w")).toEqual({ error: `MOVED ${slot} ${master!.address}` })
      expect(yield* c.call("READWRITE")).toBe("OK")
      expect(yield* c.call("GET", "k")).toEqual({ error: `MOVED ${slot} ${master!.address}` })
    }))

  it.live("MULTI/EXEC runs queued commands; a redirect while queueing aborts EXEC", () =>
    Effect.gen(function*() {
      const cluster = yield* ScriptedCluster.make()
      const [a, b] = cluster.masters
      const key = cluster.keyFor(a!)
      const c = yield* connectTo(cluster, a!)
      c.send(["MULTI"], ["INCR", key], ["INCR", key], ["EXEC"])
      expect([yield* c.next, yield* c.next, yield* c.next, yield* c.next]).toEqual(["OK", "QUEUED", "QUEUED", [1, 2]])
      const other = cluster.keyFor(b!)
      c.send(["MULTI"], ["INCR", key], ["INCR", other], ["EXEC"])
      const replies = [yield* c.next, yield* c.next, yield* c.next, yield* c.next]
      expect(replies[2]).toEqual({ error: `MOVED ${cluster.slotOf(other)} ${b!.address}` })
      expect(replies[3]).toMatchObject({ error: expect.stringMatching(/^EXECABORT/) })
      expect(cluster.get(key)).toBe("2")
      expect(yield* c.call("MULTI")).toBe("OK")
      expect(yield* c.call("DISCARD")).toBe("OK")
      expect(yield* c.call("EXEC")).toEqual({ error: "ERR EXEC without MULTI" })
    }))

  it.live("EVAL answers through onEval, routed by its keys", () =>
    Effect.gen(function*() {
      const cluster = yield* ScriptedCluster.make({
        onEval: (request) => {
          request.set(request.keys[0]!, request.args[0]!)
          return [request.script, request.node, ScriptedCluster.simple("done")]
        }
      })
      const [a] = cluster.masters
      const key = cluster.keyFor(a!)
      const c = yield* connectTo(cluster, a!)
      expect(yield* c.call("EVAL", "return 1", "1", key, "val")).toEqual(["return 1", a!.address, "done"])
      expect(cluster.get(key)).toBe("val")
    }))
})

describe("ScriptedCluster: scripted faults", () => {
  it.live("fail: an error for the next N matching commands, leaving handshake and discovery alone", () =>
    Effect.gen(function*() {
      const cluster = yield* ScriptedCluster.make()
      const [a] = cluster.masters
      const key = cluster.keyFor(a!)
      cluster.set(key, "v")
      const rule = a!.fail("TRYAGAIN", { times: 2 })
      const c = yield* connectTo(cluster, a!)
      expect(yield* c.call("HELLO", "3")).toMatchObject({ proto: 3 })
      expect(yield* c.call("CLUSTER", "INFO")).toEqual(expect.stringContaining("cluster_state:ok"))
      expect(yield* c.call("GET", key)).toEqual({ error: "TRYAGAIN Multiple keys request during rehashing of slot" })
      expect(rule.remaining).toBe(1)
      expect(yield* c.call("SET", key, "w")).toEqual({ error: "TRYAGAIN Multiple keys request during rehashing of slot" })
      expect(yield* c.call("GET", key)).toBe("v")
      expect(rule.hits).toBe(2)

      a!.fail("CLUSTERDOWN", { command: "GET", times: Infinity })
      a!.fail("LOADING", { command: "CLUSTER SHARDS", when: (args) => args.length === 2 })
      a!.fail("ERR custom failure", { command: ["INCR"] })
      expect(yield* c.call("GET", key)).toEqual({ error: "CLUSTERDOWN The cluster is down" })
      expect(yield* c.call("GET", key)).toEqual({ error: "CLUSTERDOWN The cluster is down" })
      expect(yield* c.call("CLUSTER", "SHARDS")).toEqual({ error: "LOADING Redis is loading the dataset in memory" })
      expect(yield* c.call("CLUSTER", "SHARDS")).toHaveLength(3)
      expect(yield* c.call("INCR", "{x}")).toEqual({ error: "ERR custom failure" })
      const reply = a!.reply(ScriptedCluster.map({ scripted: 1 }), { command: "PING" })
      expect(yield* c.call("PING")).toEqual({ scripted: 1 })
      expect(yield* c.call("PING")).toBe("PONG")
      expect(reply.hits).toBe(1)
    }))

  it.live("a rule error while queueing a transaction aborts it", () =>
    Effect.gen(function*() {
      const cluster = yield* ScriptedCluster.make()
      const [a] = cluster.masters
      const key = cluster.keyFor(a!)
      a!.fail("CLUSTERDOWN")
      const c = yield* connectTo(cluster, a!)
      c.send(["MULTI"], ["INCR", key], ["EXEC"])
      expect([yield* c.next, yield* c.next, yield* c.next]).toEqual([
        "OK",
        { error: "CLUSTERDOWN The cluster is down" },
        { error: "EXECABORT Transaction discarded because of previous errors." }
      ])
      expect(cluster.get(key)).toBe(undefined)
    }))

  it.live("drop: the connection closes after the command was received (and ran), earlier replies still arrive", () =>
    Effect.gen(function*() {
      const cluster = yield* ScriptedCluster.make()
      const [a] = cluster.masters
      const key = cluster.keyFor(a!)
      a!.drop({ command: "INCR" })
      const c = yield* connectTo(cluster, a!)
      c.send(["SET", key, "1"], ["INCR", key], ["GET", key])
      expect(yield* c.next).toBe("OK")
      yield* turns()
      expect(c.ended()).toBe(true)
      expect(c.inbox).toEqual([])
      expect(cluster.get(key)).toBe("2")
      expect(a!.received("INCR")).toEqual([["INCR", key]])
      expect(cluster.count("GET", a)).toBe(1)
      expect(a!.connections).toBe(0)

      a!.drop({ command: "INCR", execute: false })
      const d = yield* connectTo(cluster, a!)
      d.send(["INCR", key])
      yield* turns()
      expect(d.ended()).toBe(true)
      expect(cluster.get(key)).toBe("2")
      expect(cluster.count("INCR")).toBe(2)
    }))

  it.live("closeConnections, down and up: connections end, then are refused, then accepted", () =>
    Effect.gen(function*() {
      const cluster = yield* ScriptedCluster.make({
        refuse: (endpoint, reason) => ({ refused: `${endpoint.host}:${endpoint.port}`, reason })
      })
      const [a] = cluster.masters
      const c = yield* connectTo(cluster, a!)
      expect(a!.connections).toBe(1)
      a!.closeConnections()
      yield* turns()
      expect(c.ended()).toBe(true)
      const d = yield* connectTo(cluster, a!)
      a!.down()
      yield* turns()
      expect(d.ended()).toBe(true)
      expect(a!.isDown).toBe(true)
      const refused = failureOf(yield* Effect.exit(connectTo(cluster, a!)))
      expect(refused).toEqual({ refused: a!.address, reason: `ECONNREFUSED: ${a!.address} is down` })
      const unknown = failureOf(yield* Effect.exit(connectTo(cluster, { host: "127.0.0.1", port: 1 })))
      expect(unknown.reason).toMatch(/no node at 127.0.0.1:1/)
      a!.up()
      const e = yield* connectTo(cluster, a!)
      expect(yield* e.call("PING")).toBe("PONG")
      const health = (yield* e.call("CLUSTER", "SHARDS")) as ReadonlyArray<ReadonlyArray<Plain>>
      expect(health).toHaveLength(3)
    }))

  it.live("the default refusal is a ConnectionRefused error", () =>
    Effect.gen(function*() {
      const cluster = yield* ScriptedCluster.make()
      const error = failureOf(yield* Effect.exit(connectTo(cluster, { host: "10.0.0.1", port: 30001 })))
      expect(error).toBeInstanceOf(ScriptedCluster.ConnectionRefused)
      expect(error._tag).toBe("ConnectionRefused")
    }))

  it.live("stall: commands are received but not answered until release, then answered in order", () =>
    Effect.gen(function*() {
      const cluster = yield* ScriptedCluster.make()
      const [a] = cluster.masters
      const key = cluster.keyFor(a!)
      const c = yield* connectTo(cluster, a!)
      a!.stall()
      c.send(["SET", key, "1"], ["INCR", key])
      yield* turns()
      expect(c.inbox).toEqual([])
      expect(a!.received().map((args) => args[0])).toEqual(["SET", "INCR"])
      // A new connection is accepted, its handshake is not answered.
      const d = yield* connectTo(cluster, a!)
      d.send(["HELLO", "3"])
      yield* turns()
      expect(d.inbox).toEqual([])
      a!.release()
      expect([yield* c.next, yield* c.next]).toEqual(["OK", 2])
      expect(yield* d.next).toMatchObject({ proto: 3 })
    }))

  it.live("a Stall rule holds one connection from the matching command on", () =>
    Effect.gen(function*() {
      const cluster = yield* ScriptedCluster.make()
      const [a] = cluster.masters
      const key = cluster.keyFor(a!)
      a!.rule({ _tag: "Stall" }, { command: "INCR" })
      const c = yield* connectTo(cluster, a!)
      const other = yield* connectTo(cluster, a!)
      c.send(["SET", key, "1"], ["INCR", key], ["GET", key])
      expect(yield* c.next).toBe("OK")
      yield* turns()
      expect(c.inbox).toEqual([])
      expect(yield* other.call("GET", key)).toBe("1")
      a!.release()
      expect([yield* c.next, yield* c.next]).toEqual([2, "2"])
    }))

  it.live("replies arrive on a later turn, in order, as one chunk per turn", () =>
    Effect.gen(function*() {
      const cluster = yield* ScriptedCluster.make()
      const [a] = cluster.masters
      const key = cluster.keyFor(a!)
      const c = yield* connectTo(cluster, a!)
      c.send(["SET", key, "0"], ["INCR", key], ["INCR", key], ["GET", key])
      expect(c.inbox).toEqual([])
      expect(c.raw()).toBe("")
      yield* turns(1)
      expect(c.raw()).toBe("+OK\r\n:1\r\n:2\r\n$1\r\n2\r\n")
    }))
})

describe("ScriptedCluster: membership", () => {
  it.live("addNode, removeNode and failover change what discovery reports", () =>
    Effect.gen(function*() {
      const cluster = yield* ScriptedCluster.make({ masters: 2 })
      const [a, b] = cluster.masters
      const key = cluster.keyFor(a!)
      cluster.set(key, "v")
      const replica = cluster.addNode({ replicaOf: a })
      expect(replica.port).toBe(30003)
      expect(a!.replicas).toEqual([replica])
      const fresh = cluster.addNode()
      expect(fresh.role).toBe("master")
      expect(fresh.slots).toEqual([])
      expect(() => cluster.removeNode(b!)).toThrow(/move the slots/)

      cluster.failover(replica)
      expect(replica.role).toBe("master")
      expect(a!.role).toBe("replica")
      expect(a!.master).toBe(replica)
      expect(cluster.ownerOf(key)).toBe(replica)
      const c = yield* connectTo(cluster, a!)
      expect(yield* c.call("SET", key, "w")).toEqual({ error: `MOVED ${cluster.slotOf(key)} ${replica.address}` })
      const r = yield* connectTo(cluster, replica)
      expect(yield* r.call("GET", key)).toBe("v")

      const f = yield* connectTo(cluster, fresh)
      cluster.removeNode(fresh)
      yield* turns()
      expect(f.ended()).toBe(true)
      expect(cluster.nodes.map((n) => n.port)).toEqual([30001, 30002, 30003])
      const refused = failureOf(yield* Effect.exit(connectTo(cluster, fresh)))
      expect(refused.reason).toMatch(/no node/)
      const shards = (yield* r.call("CLUSTER", "SHARDS")) as ReadonlyArray<ReadonlyArray<Plain>>
      expect(shards).toHaveLength(2)
    }))

  it.live("the log records every command per node and connection; clearLog forgets it", () =>
    Effect.gen(function*() {
      const cluster = yield* ScriptedCluster.make()
      const [a, b] = cluster.masters
      const c = yield* connectTo(cluster, a!)
      const d = yield* connectTo(cluster, b!)
      yield* c.call("PING")
      yield* c.call("CLUSTER", "SHARDS")
      yield* d.call("PING")
      expect(cluster.log.map((e) => [e.node, e.name])).toEqual([[a!.address, "PING"], [a!.address, "CLUSTER"], [b!.address, "PING"]])
      expect(new Set(cluster.log.map((e) => e.connection)).size).toBe(2)
      expect(cluster.count("PING")).toBe(2)
      expect(cluster.count("cluster shards", a)).toBe(1)
      expect(cluster.count("CLUSTER SLOTS")).toBe(0)
      expect(a!.received("PING")).toEqual([["PING"]])
      cluster.clearLog()
      expect(cluster.log).toEqual([])
      expect(a!.log).toEqual([])
      c.close()
      yield* turns()
      expect(c.ended()).toBe(true)
      expect(a!.connections).toBe(0)
    }))
})
