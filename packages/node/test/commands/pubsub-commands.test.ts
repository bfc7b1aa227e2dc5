import { expect, layer } from "@effect/vitest"
import { Command, RedisCluster, Slot } from "@keyslot/core"
import { RedisClusterFixture } from "@keyslot/test-utils"
import { Effect } from "effect"
import { commandEnv, errorOf, Resp2 } from "../helpers/commandEnv.js"

const Env = commandEnv()

/** Subscribers on raw connections to chosen nodes, living as long as the scope. */
const subscribeOn = (port: number, ...args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const fixture = yield* RedisClusterFixture.RedisClusterFixture
    const conn = yield* fixture.connect(port)
    yield* conn.command(...args)
  })

// Live clock: one test waits for the server to drop closed subscribers.
layer(Env, { timeout: "60 seconds", excludeTestServices: true })("pub/sub introspection and unsupported stubs", (it) => {
  it.effect("PUBSUB CHANNELS / NUMSUB / NUMPAT / SHARDCHANNELS / SHARDNUMSUB merge every node's view", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const resp2 = yield* Resp2
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const [m0, m1, m2] = (yield* fixture.masters).map((m) => m.port)
      const shardOwner = (yield* fixture.masterOf(Slot.slot("ps:shard"))).port

      yield* Effect.scoped(Effect.gen(function*() {
        yield* subscribeOn(m0!, "SUBSCRIBE", "ps:chan")
        yield* subscribeOn(m1!, "SUBSCRIBE", "ps:chan")
        yield* subscribeOn(m2!, "SUBSCRIBE", "ps:other")
        yield* subscribeOn(m0!, "PSUBSCRIBE", "ps:*")
        yield* subscribeOn(m1!, "PSUBSCRIBE", "news.*")
        yield* subscribeOn(m2!, "PSUBSCRIBE", "ps:*")
        yield* subscribeOn(shardOwner, "SSUBSCRIBE", "ps:shard")
        yield* subscribeOn(shardOwner, "SSUBSCRIBE", "ps:shard")

        // Unioned (ps:chan lives on two nodes, listed once).
        expect([...(yield* redis.pubsubChannels())].sort()).toEqual(["ps:chan", "ps:other"])
        expect(yield* redis.pubsubChannels("ps:c*")).toEqual(["ps:chan"])
        expect(yield* redis.pubsubChannels("zz*")).toEqual([])
        const perNode = yield* redis.perNode(Command.pubsubChannels())
        expect(perNode).toHaveLength(3)

        // Summed per channel over the nodes.
        expect(yield* redis.pubsubNumsub("ps:chan", "ps:other", "ps:none")).toEqual({ "ps:chan": 2, "ps:other": 1, "ps:none": 0 })
        expect(yield* redis.pubsubNumsub()).toEqual({})
        const numsubPerNode = yield* redis.perNode(Command.pubsubNumsub("ps:chan"))
        expect(numsubPerNode.map((r) => r.value).sort()).toEqual([[["ps:chan", 0]], [["ps:chan", 1]], [["ps:chan", 1]]].sort())
        expect(yield* redis.pubsubNumpat()).toBe(3)

        expect(yield* redis.pubsubShardchannels()).toEqual(["ps:shard"])
        expect(yield* redis.pubsubShardchannels("nope*")).toEqual([])
        expect(yield* redis.pubsubShardnumsub("ps:shard", "ps:none")).toEqual({ "ps:shard": 2, "ps:none": 0 })

        // RESP2 decodes the same.
        expect([...(yield* resp2.pubsubChannels())].sort()).toEqual(["ps:chan", "ps:other"])
        expect(yield* resp2.pubsubNumsub("ps:chan", "ps:other", "ps:none")).toEqual({ "ps:chan": 2, "ps:other": 1, "ps:none": 0 })
        expect(yield* resp2.pubsubNumpat()).toBe(3)
        expect(yield* resp2.pubsubShardchannels("ps:*")).toEqual(["ps:shard"])
        expect(yield* resp2.pubsubShardnumsub("ps:shard")).toEqual({ "ps:shard": 2 })
        expect(yield* resp2.pubsubHelp()).toEqual(yield* redis.pubsubHelp())
      }))

      // Subscribers gone with their connections (the server notices the close shortly).
      const drained = yield* Effect.gen(function*() {
        for (let i = 0; i < 100; i++) {
          const n = (yield* redis.pubsubNumsub("ps:chan"))["ps:chan"]
          if (n === 0 && (yield* redis.pubsubNumpat()) === 0 && (yield* redis.pubsubShardchannels()).length === 0) return true
          yield* Effect.sleep("50 millis")
        }
        return false
      })
      expect(drained).toBe(true)
      expect(yield* redis.pubsubChannels()).toEqual([])
      expect((yield* redis.pubsubHelp()).join("\n")).toContain("NUMSUB")
    }))

  it.effect("SUBSCRIBE & co. and MULTI/EXEC/DISCARD/WATCH/UNWATCH fail with UnsupportedCommandError saying what to use", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      // The service's own `subscribe`-family and `watch` methods replace these command methods,
      // so the commands are run through `execute`.
      const cases: ReadonlyArray<readonly [Command.Command<unknown>, string, string]> = [
        [Command.subscribe("a"), "SUBSCRIBE", "redis.subscribe"],
        [Command.psubscribe("a*"), "PSUBSCRIBE", "redis.psubscribe"],
        [Command.ssubscribe("a"), "SSUBSCRIBE", "redis.ssubscribe"],
        [Command.unsubscribe(), "UNSUBSCRIBE", "redis.subscribe"],
        [Command.punsubscribe(), "PUNSUBSCRIBE", "redis.psubscribe"],
        [Command.sunsubscribe("a"), "SUNSUBSCRIBE", "redis.ssubscribe"],
        [Command.multi(), "MULTI", "redis.transaction"],
        [Command.exec(), "EXEC", "redis.transaction"],
        [Command.discard(), "DISCARD", "redis.transaction"],
        [Command.watch("k1", "k2"), "WATCH", "redis.watch"],
        [Command.unwatch(), "UNWATCH", "redis.watch"]
      ]
      for (const [command, name, hint] of cases) {
        expect(command.route).toBe("unsupported")
        const e = yield* errorOf(redis.execute(command))
        expect(e._tag).toBe("UnsupportedCommandError")
        expect(e.message).toContain(name)
        expect(e.message).toContain(hint)
      }
      expect(Command.watch("k1", "k2").args).toEqual(["WATCH", "k1", "k2"])
      // Methods with no service counterpart are still derived.
      expect((yield* errorOf(redis.multi()))._tag).toBe("UnsupportedCommandError")
      expect((yield* errorOf(redis.punsubscribe()))._tag).toBe("UnsupportedCommandError")
    }))
})
