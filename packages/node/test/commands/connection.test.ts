import { expect, layer } from "@effect/vitest"
import { Command, RedisCluster, Slot } from "@keyslot/core"
import { RedisClusterFixture } from "@keyslot/test-utils"
import { commandEnv, failureOf, nodePart, Resp2 } from "../helpers/commandEnv.js"
import { Effect, Fiber, Option, Result } from "effect"

// The RESP2 client has no client name.
const Env = commandEnv({}, { main: { clientName: "ks-main" } })


// Live clock: some tests sleep (inside `layer`, `it.live` would not get the layer's services).
layer(Env, { timeout: "60 seconds", excludeTestServices: true })("connection commands", (it) => {
  it.effect("connection-state commands are refused with a reason; SELECT 0 is a no-op", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const refused = [
        [redis.auth(), "username/password"],
        [redis.hello(), "protocol"],
        [redis.quit(), "scope"],
        [redis.reset(), "READONLY"],
        [redis.select(1), "database 0"],
        [redis.clientSetname("x"), "clientName"],
        [redis.clientReply("OFF"), "desynchronise"],
        [redis.clientTracking(true), "client-side caching"],
        [redis.clientCaching(true), "next command"],
        [redis.clientNoEvict(true), "connection state"]
      ] as const
      for (const [effect, reason] of refused) {
        const error = yield* failureOf(effect)
        expect(error?._tag).toBe("UnsupportedCommandError")
        expect(error?.reason).toContain(reason)
      }
      expect(yield* redis.select(0)).toBeUndefined()
      expect(Command.select(1).route).toBe("unsupported")
      expect(Command.select(0).route).toBe("any")
    }))

  it.effect("CLIENT GETNAME / ID / INFO / GETREDIR / TRACKINGINFO / HELP read the serving connection", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const resp2 = yield* Resp2
      expect(yield* redis.clientGetname()).toEqual(Option.some("ks-main"))
      expect(yield* resp2.clientGetname()).toEqual(Option.none())

      const id = yield* redis.clientId()
      expect(Number.isInteger(id) && id > 0).toBe(true)

      const info = yield* redis.clientInfo()
      expect(info.name).toBe("ks-main")
      expect(info.resp).toBe(3)
      expect(info.cmd).toBe("client|info")
      expect(info.db).toBe(0)
      expect(info.user).toBe("default")
      expect(info.multi).toBe(-1)
      expect(info.fields["name"]).toBe("ks-main")
      const info2 = yield* resp2.clientInfo()
      expect(info2.resp).toBe(2)
      expect(info2.name).toBe("")

      expect(yield* redis.clientGetredir()).toBe(-1)
      expect(yield* resp2.clientGetredir()).toBe(-1)
      const tracking = yield* redis.clientTrackinginfo()
      expect(tracking).toEqual({ flags: ["off"], redirect: -1, prefixes: [] })
      expect(yield* resp2.clientTrackinginfo()).toEqual(tracking)

      const help = yield* redis.clientHelp()
      expect(help[0]).toContain("CLIENT <subcommand>")
      expect(yield* resp2.clientHelp()).toEqual(help)
    }))

  it.effect("executeOn asks one node: its CLIENT ID appears in that node's CLIENT LIST", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const masters = yield* fixture.masters
      const node = { host: masters[1]!.host, port: masters[1]!.port }
      const id = yield* redis.executeOn(node, Command.clientId())
      const info = yield* redis.executeOn(node, Command.clientInfo())
      expect(info.id).toBe(id)
      expect(info.laddr).toBe(`${node.host}:${node.port}`)
      // A fanned-out command sent with executeOn gives that node's part.
      const own = yield* nodePart(redis, node, Command.clientList({ ids: [id] }))
      expect(own.map((c) => c.id)).toEqual([id])
    }))

  it.effect("CLIENT LIST goes to every node, by address, with TYPE and ID filters", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const resp2 = yield* Resp2
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const addresses = (yield* fixture.masters).map((m) => `${m.host}:${m.port}`).sort()
      const all = yield* redis.clientList()
      expect(Object.keys(all).sort()).toEqual(addresses)
      for (const address of addresses) {
        const clients = all[address]!
        expect(clients.some((c) => c.name === "ks-main" && c.resp === 3)).toBe(true)
        expect(clients.every((c) => c.laddr === address)).toBe(true)
      }
      const normal = yield* redis.clientList({ type: "normal" })
      expect(Object.values(normal).flat().every((c) => !c.flags.includes("S") && !c.flags.includes("M"))).toBe(true)
      const first = addresses[0]!
      const some = all[first]![0]!
      const byId = yield* nodePart(
        redis,
        { host: first.split(":")[0]!, port: Number(first.split(":")[1]) },
        Command.clientList({ ids: [some.id] })
      )
      expect(byId.map((c) => c.id)).toEqual([some.id])
      const two = yield* resp2.clientList({ type: "normal" })
      expect(Object.keys(two).sort()).toEqual(addresses)
      expect(Object.values(two).flat().some((c) => c.resp === 2)).toBe(true)
    }))

  it.effect("CLIENT KILL: filters on every node, summed; by id on one node through executeOn", () =>
    Effect.scoped(Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const masters = yield* fixture.masters
      yield* redis.aclSetuser("victim", "reset", "on", ">pw", "+@all", "~*", "&*")
      const a = yield* fixture.connect(masters[0]!.port, { username: "victim", password: "pw" })
      const b = yield* fixture.connect(masters[2]!.port, { username: "victim", password: "pw" })
      expect(yield* a.command("PING")).toBe("PONG")
      expect(yield* b.command("PING")).toBe("PONG")
      expect(yield* redis.clientKill({ user: "victim" })).toBe(2)
      expect(yield* redis.clientKill({ user: "victim" })).toBe(0)
      expect(yield* redis.clientKill({ user: "victim", type: "normal", skipme: true })).toBe(0)

      const c = yield* fixture.connect(masters[1]!.port)
      const id = yield* c.command("CLIENT", "ID")
      const node = { host: masters[1]!.host, port: masters[1]!.port }
      expect(yield* redis.executeOn(node, Command.clientKill({ id: Number(id) }))).toBe(1)
      expect(yield* redis.executeOn(node, Command.clientKill({ id: Number(id) }))).toBe(0)
      expect(yield* redis.aclDeluser("victim")).toBe(1)
    })))

  it.effect("CLIENT PAUSE WRITE holds writes on every node until it ends; CLIENT UNPAUSE ends it", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      yield* redis.set("conn:pause", "0")
      yield* redis.clientPause(400, "WRITE")
      const t0 = Date.now()
      // Reads go on during a WRITE pause.
      expect(yield* redis.get("conn:pause")).toEqual(Option.some("0"))
      expect(Date.now() - t0).toBeLessThan(300)
      yield* redis.set("conn:pause", "1")
      expect(Date.now() - t0).toBeGreaterThanOrEqual(300)

      yield* redis.clientPause(20_000, "WRITE")
      yield* redis.clientUnpause()
      const t1 = Date.now()
      yield* redis.set("conn:pause", "2")
      expect(Date.now() - t1).toBeLessThan(2000)
      expect(yield* redis.get("conn:pause")).toEqual(Option.some("2"))
    }))

  it.effect("CLIENT UNBLOCK unblocks a blocked client of one node (executeOn); false for an unknown id", () =>
    Effect.scoped(Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const k = "conn:blocked"
      const owner = yield* fixture.masterOf(Slot.slot(k))
      const raw = yield* fixture.connect(owner.port)
      const id = Number(yield* raw.command("CLIENT", "ID"))
      const fiber = yield* Effect.forkChild(Effect.result(raw.command("BLPOP", k, 4)))
      const node = { host: owner.host, port: owner.port }
      // Wait until the server sees the client blocked.
      let blocked = false
      for (let i = 0; i < 100 && !blocked; i++) {
        const clients = yield* nodePart(redis, node, Command.clientList({ ids: [id] }))
        blocked = clients[0]?.flags.includes("b") ?? false
        if (!blocked) yield* Effect.sleep("20 millis")
      }
      expect(blocked).toBe(true)
      expect(yield* redis.executeOn(node, Command.clientUnblock(id, "ERROR"))).toBe(true)
      const result = yield* Fiber.join(fiber)
      expect(Result.isFailure(result) && result.failure.message).toContain("UNBLOCKED")
      expect(yield* redis.clientUnblock(987_654_321)).toBe(false)
      expect(yield* redis.executeOn(node, Command.clientUnblock(id))).toBe(false)
    })))
})
