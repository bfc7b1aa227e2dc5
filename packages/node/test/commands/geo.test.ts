import { expect, layer } from "@effect/vitest"
import { Command, RedisCluster } from "@keyslot/core"
import { Effect, Option } from "effect"
import { commandEnv, Resp2, same, tagOf } from "../helpers/commandEnv.js"

const Env = commandEnv()

const K = "{geo}sicily"
const sicily = [
  { longitude: 13.361389, latitude: 38.115556, member: "Palermo" },
  { longitude: 15.087269, latitude: 37.502669, member: "Catania" },
  { longitude: 13.583333, latitude: 37.316667, member: "Agrigento" }
] as const

const seed = (redis: RedisCluster.RedisClusterService, k: string) =>
  Effect.gen(function*() {
    yield* redis.del(k)
    expect(yield* redis.geoadd(k, sicily)).toBe(3)
  })

layer(Env, { timeout: "60 seconds", excludeTestServices: true })("geo commands", (it) => {
  it.effect("GEOADD (NX, XX, CH), GEODIST, GEOHASH, GEOPOS", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      yield* seed(redis, K)
      expect(yield* redis.geoadd(K, [sicily[0]])).toBe(0)
      // XX + CH: an update is counted; XX never adds.
      expect(yield* redis.geoadd(K, [{ ...sicily[0], longitude: 13.4 }, { longitude: 1, latitude: 1, member: "Nowhere" }], { xx: true, ch: true })).toBe(1)
      expect(yield* redis.geoadd(K, [{ ...sicily[0], longitude: 13.5 }, { longitude: 14, latitude: 37, member: "Enna" }], { nx: true })).toBe(1)
      expect(yield* redis.geoadd(K, [{ longitude: 200, latitude: 0, member: "bad" }]).pipe(tagOf)).toBe("ReplyError")
      yield* redis.geoadd(K, [sicily[0]], { xx: true })

      const metres = Option.getOrThrow(yield* redis.geodist(K, "Palermo", "Catania"))
      expect(metres).toBeCloseTo(166274.15, 0)
      expect(Option.getOrThrow(yield* redis.geodist(K, "Palermo", "Catania", "km"))).toBeCloseTo(166.274, 2)
      expect(Option.getOrThrow(yield* redis.geodist(K, "Palermo", "Catania", "mi"))).toBeCloseTo(103.318, 2)
      expect(Option.getOrThrow(yield* redis.geodist(K, "Palermo", "Catania", "ft"))).toBeCloseTo(545518.9, 0)
      expect(yield* redis.geodist(K, "Palermo", "Atlantis")).toEqual(Option.none())
      expect(yield* redis.geodist("{geo}missing", "a", "b")).toEqual(Option.none())

      expect(yield* redis.geohash(K, "Palermo", "Catania", "Atlantis")).toEqual([
        Option.some("sqc8b49rny0"),
        Option.some("sqdtr74hyu0"),
        Option.none()
      ])
      const [palermo, none] = yield* redis.geopos(K, "Palermo", "Atlantis")
      expect(Option.getOrThrow(palermo!).longitude).toBeCloseTo(13.361389, 5)
      expect(Option.getOrThrow(palermo!).latitude).toBeCloseTo(38.115556, 5)
      expect(none).toEqual(Option.none())
      expect(yield* redis.geopos("{geo}missing", "x")).toEqual([Option.none()])
    }))

  it.effect("GEOSEARCH: from member / position, by radius / box, WITH* shapes, COUNT ANY, order", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      yield* seed(redis, K)
      const names = (rs: ReadonlyArray<{ readonly member: string }>) => rs.map((r) => r.member)

      const plain = yield* redis.geosearch(K, { longitude: 15, latitude: 37 }, { radius: 200, unit: "km" }, { order: "ASC" })
      expect(plain).toEqual([{ member: "Catania" }, { member: "Agrigento" }, { member: "Palermo" }])
      expect(names(yield* redis.geosearch(K, { longitude: 15, latitude: 37 }, { radius: 200, unit: "km" }, { order: "DESC" }))).toEqual([
        "Palermo", "Agrigento", "Catania"
      ])
      expect(names(yield* redis.geosearch(K, { member: "Palermo" }, { radius: 100, unit: "km" }, { order: "ASC" }))).toEqual([
        "Palermo", "Agrigento"
      ])
      expect(names(yield* redis.geosearch(K, { member: "Palermo" }, { width: 400, height: 400, unit: "km" }, { order: "ASC", count: 2 }))).toEqual([
        "Palermo", "Agrigento"
      ])
      expect(yield* redis.geosearch(K, { member: "Palermo" }, { radius: 1, unit: "m" }, { count: 1, any: true })).toEqual([{ member: "Palermo" }])
      expect(yield* redis.geosearch(K, { longitude: 0, latitude: 0 }, { radius: 1, unit: "km" })).toEqual([])
      expect(yield* redis.geosearch(K, { member: "Atlantis" }, { radius: 1, unit: "km" }).pipe(tagOf)).toBe("ReplyError")

      const full = yield* redis.geosearch(K, { longitude: 15, latitude: 37 }, { radius: 200, unit: "km" }, {
        order: "ASC",
        withDist: true,
        withHash: true,
        withCoord: true
      })
      expect(names(full)).toEqual(["Catania", "Agrigento", "Palermo"])
      expect(full[0]!.distance).toBeCloseTo(56.4413, 3)
      expect(full[0]!.hash).toBe(3479447370796909)
      expect(full[0]!.coordinates!.longitude).toBeCloseTo(15.087269, 5)
      expect(full[0]!.coordinates!.latitude).toBeCloseTo(37.502669, 5)
      // Only the fields asked for are present.
      const dist = yield* redis.geosearch(K, { longitude: 15, latitude: 37 }, { radius: 200, unit: "km" }, { order: "ASC", withDist: true })
      expect(Object.keys(dist[0]!).sort()).toEqual(["distance", "member"])
      const hash = yield* redis.geosearch(K, { longitude: 15, latitude: 37 }, { radius: 200, unit: "km" }, { order: "ASC", withHash: true })
      expect(hash[0]).toEqual({ member: "Catania", hash: 3479447370796909 })
      const coord = yield* redis.geosearch(K, { longitude: 15, latitude: 37 }, { radius: 200, unit: "km" }, { order: "ASC", withCoord: true })
      expect(Object.keys(coord[0]!).sort()).toEqual(["coordinates", "member"])
    }))

  it.effect("GEOSEARCHSTORE (STOREDIST), GEORADIUS* and their STORE forms, cross-slot refused", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      yield* seed(redis, K)
      const dest = "{geo}dest"
      expect(yield* redis.geosearchstore(dest, K, { member: "Palermo" }, { radius: 100, unit: "km" })).toBe(2)
      expect((yield* redis.geopos(dest, "Palermo", "Catania")).map(Option.isSome)).toEqual([true, false])
      expect(yield* redis.geosearchstore(dest, K, { longitude: 15, latitude: 37 }, { radius: 200, unit: "km" }, { order: "ASC", count: 1, storeDist: true })).toBe(1)
      const stored = yield* redis.execute(Command.raw(["ZRANGE", dest, "0", "-1", "WITHSCORES"], { keys: [dest] }))
      expect(Array.isArray(stored) ? stored.flat().map(String) : stored).toEqual(["Catania", expect.stringMatching(/^56\.44/)])

      const byRadius = yield* redis.georadius(K, 15, 37, 200, "km", { withDist: true, order: "ASC" })
      expect(byRadius.map((r) => r.member)).toEqual(["Catania", "Agrigento", "Palermo"])
      expect(byRadius[0]!.distance).toBeCloseTo(56.4413, 3)
      expect(yield* redis.georadiusRo(K, 15, 37, 200, "km", { withCoord: true, count: 1, order: "ASC" })).toEqual([
        { member: "Catania", coordinates: expect.objectContaining({ longitude: expect.closeTo(15.087269, 5) }) }
      ])
      expect((yield* redis.georadiusbymember(K, "Palermo", 100, "km", { order: "ASC" })).map((r) => r.member)).toEqual(["Palermo", "Agrigento"])
      const ro = yield* redis.georadiusbymemberRo(K, "Agrigento", 100, "km", { withHash: true, order: "ASC" })
      expect(ro[0]).toEqual({ member: "Agrigento", hash: expect.any(Number) })
      expect(yield* redis.georadiusbymember(K, "Atlantis", 100, "km").pipe(tagOf)).toBe("ReplyError")

      expect(yield* redis.georadiusStore(K, 15, 37, 200, "km", dest, { count: 2, order: "ASC" })).toBe(2)
      expect((yield* redis.geopos(dest, "Catania", "Palermo")).map(Option.isSome)).toEqual([true, false])
      expect(yield* redis.georadiusbymemberStore(K, "Palermo", 100, "km", dest, { storeDist: true })).toBe(2)
      const dists = yield* redis.execute(Command.raw(["ZSCORE", dest, "Palermo"], { keys: [dest] }))
      expect(Number(dists)).toBe(0)

      // Flags and keys as COMMAND says: GEORADIUS is a write (STORE), the _RO forms and GEOSEARCH read.
      expect(Command.georadius(K, 1, 1, 1, "m").readOnly).toBe(false)
      expect(Command.georadiusRo(K, 1, 1, 1, "m").readOnly).toBe(true)
      expect(Command.georadiusbymemberRo(K, "a", 1, "m").readOnly).toBe(true)
      expect(Command.geosearch(K, { member: "a" }, { radius: 1, unit: "m" }).readOnly).toBe(true)
      expect(Command.georadiusStore(K, 1, 1, 1, "m", dest).keys).toEqual([K, dest])
      expect(Command.geosearchstore(dest, K, { member: "a" }, { radius: 1, unit: "m" }).keys).toEqual([dest, K])

      expect(yield* redis.geosearchstore("geo:elsewhere", K, { member: "Palermo" }, { radius: 1, unit: "km" }).pipe(tagOf)).toBe("CrossSlotError")
      expect(yield* redis.georadiusStore(K, 15, 37, 200, "km", "geo:elsewhere").pipe(tagOf)).toBe("CrossSlotError")
      expect(yield* redis.georadiusbymemberStore(K, "Palermo", 1, "km", "geo:elsewhere").pipe(tagOf)).toBe("CrossSlotError")
    }))

  it.effect("RESP2 decodes every geo reply like RESP3", () =>
    Effect.gen(function*() {
      const resp2 = yield* Resp2
      yield* seed(resp2, "{geo}two")
      const all = { order: "ASC", withDist: true, withHash: true, withCoord: true } as const
      yield* same((r) => r.geodist("{geo}two", "Palermo", "Catania", "km"))
      yield* same((r) => r.geodist("{geo}two", "Palermo", "Nope"))
      yield* same((r) => r.geohash("{geo}two", "Palermo", "Nope"))
      yield* same((r) => r.geopos("{geo}two", "Palermo", "Nope", "Catania"))
      expect(yield* same((r) => r.geosearch("{geo}two", { longitude: 15, latitude: 37 }, { radius: 200, unit: "km" }, all))).toHaveLength(3)
      yield* same((r) => r.geosearch("{geo}two", { member: "Palermo" }, { width: 300, height: 300, unit: "mi" }, { order: "DESC" }))
      yield* same((r) => r.georadius("{geo}two", 15, 37, 200, "km", all))
      yield* same((r) => r.georadiusRo("{geo}two", 15, 37, 200, "km", { withDist: true }))
      yield* same((r) => r.georadiusbymember("{geo}two", "Palermo", 300, "km", { withCoord: true, order: "ASC" }))
      yield* same((r) => r.georadiusbymemberRo("{geo}two", "Palermo", 300, "km", { withHash: true, order: "ASC" }))
      expect(yield* resp2.geosearchstore("{geo}two:d", "{geo}two", { member: "Palermo" }, { radius: 100, unit: "km" })).toBe(2)
      expect(yield* resp2.geoadd("{geo}two", [{ longitude: 14, latitude: 37, member: "Enna" }], { ch: true })).toBe(1)
    }))
})
