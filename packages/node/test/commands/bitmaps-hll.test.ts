import { expect, layer } from "@effect/vitest"
import { Command, RedisCluster, Slot } from "@keyslot/core"
import { Array as Arr, Effect, Option } from "effect"
import { commandEnv, onBoth, tagOf } from "../helpers/commandEnv.js"

// PFSELFTEST keeps one master busy for a second or more: a longer node timeout keeps the other
// masters from flagging it as failing (and the cluster from answering CLUSTERDOWN meanwhile).
const Env = commandEnv({ nodeTimeout: 15_000 })

const bytes = (...xs: ReadonlyArray<number>) => new Uint8Array(xs)

// Live clock: a transient CLUSTERDOWN/TRYAGAIN retry sleeps, which would never end on a TestClock.
layer(Env, { timeout: "60 seconds", excludeTestServices: true })("bitmap and HyperLogLog commands", (it) => {
  it.effect("SETBIT, GETBIT", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      expect(yield* redis.setbit("b:bits", 7, 1)).toBe(0)
      expect(yield* redis.setbit("b:bits", 7, 1)).toBe(1)
      expect(yield* redis.getbit("b:bits", 7)).toBe(1)
      expect(yield* redis.getbit("b:bits", 6)).toBe(0)
      expect(yield* redis.getbit("b:bits", 1000)).toBe(0)
      expect(yield* redis.getbit("b:missing", 0)).toBe(0)
      expect(yield* redis.setbit("b:bits", 7, 0)).toBe(1)
      expect(yield* redis.setbit("b:bits", 0, 1)).toBe(0)
      expect(Option.map(yield* redis.getBytes("b:bits"), (b) => Array.from(b))).toEqual(Option.some([0x80]))
    }))

  it.effect("BITCOUNT (BYTE/BIT ranges), BITPOS", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      yield* redis.set("b:foobar", "foobar")
      expect(yield* redis.bitcount("b:foobar")).toBe(26)
      expect(yield* redis.bitcount("b:foobar", { start: 0, end: 0 })).toBe(4)
      expect(yield* redis.bitcount("b:foobar", { start: 1, end: 1 })).toBe(6)
      expect(yield* redis.bitcount("b:foobar", { start: 1, end: 1, unit: "BYTE" })).toBe(6)
      expect(yield* redis.bitcount("b:foobar", { start: 5, end: 30, unit: "BIT" })).toBe(17)
      expect(yield* redis.bitcount("b:missing")).toBe(0)

      yield* redis.set("b:pos", bytes(0xff, 0xf0, 0x00))
      expect(yield* redis.bitpos("b:pos", 0)).toBe(12)
      yield* redis.set("b:pos2", bytes(0x00, 0xff, 0xf0))
      expect(yield* redis.bitpos("b:pos2", 1, { start: 0 })).toBe(8)
      expect(yield* redis.bitpos("b:pos2", 1, { start: 2 })).toBe(16)
      expect(yield* redis.bitpos("b:pos2", 1, { start: 2, end: -1, unit: "BYTE" })).toBe(16)
      expect(yield* redis.bitpos("b:pos2", 1, { start: 7, end: 15, unit: "BIT" })).toBe(8)
      expect(yield* redis.bitpos("b:pos2", 1, { start: 7, unit: "BIT" })).toBe(8)
      // With an explicit end, a clear bit past the range is not reported.
      expect(yield* redis.bitpos("b:pos", 0, { start: 0, end: 0 })).toBe(-1)
      expect(yield* redis.bitpos("b:missing", 0)).toBe(0)
      expect(yield* redis.bitpos("b:missing", 1)).toBe(-1)
    }))

  it.effect("BITFIELD (GET/SET/INCRBY, OVERFLOW WRAP/SAT/FAIL, #offsets), BITFIELD_RO", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      expect(
        yield* redis.bitfield("b:bf", [
          { op: "set", type: "u8", offset: 0, value: 200 },
          { op: "get", type: "u8", offset: 0 },
          { op: "incrby", type: "u8", offset: 0, increment: 100 },
          { op: "overflow", behavior: "SAT" },
          { op: "incrby", type: "u8", offset: 0, increment: 250 },
          { op: "overflow", behavior: "FAIL" },
          { op: "incrby", type: "u8", offset: 0, increment: 1 },
          { op: "get", type: "u8", offset: 0 }
        ])
      ).toEqual([Option.some(0), Option.some(200), Option.some(44), Option.some(255), Option.none(), Option.some(255)])
      expect(
        yield* redis.bitfield("b:bf", [
          { op: "set", type: "i8", offset: "#1", value: -5 },
          { op: "get", type: "i8", offset: 8 },
          { op: "get", type: "u4", offset: 8 },
          { op: "incrby", type: "i8", offset: "#1", increment: -200 }
        ])
      ).toEqual([Option.some(0), Option.some(-5), Option.some(15), Option.some(51)])
      expect(yield* redis.bitfield("b:bf", [])).toEqual([])
      expect(yield* redis.bitfieldRo("b:bf", [{ type: "u8", offset: 0 }, { type: "i8", offset: "#1" }, { type: "u8", offset: 800 }]))
        .toEqual([255, 51, 0])
      expect(yield* redis.bitfieldRo("b:missing", [{ type: "i16", offset: 0 }])).toEqual([0])
      expect(yield* tagOf(redis.bitfield("b:bf", [{ op: "get", type: "u64", offset: 0 }]))).toBe("ReplyError")
    }))

  it.effect("BITOP AND/OR/XOR/NOT within one slot; cross-slot refused", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      yield* redis.mset({ "{bo}a": "foobar", "{bo}b": "abcdef" })
      expect(yield* redis.bitop("AND", "{bo}and", "{bo}a", "{bo}b")).toBe(6)
      expect(yield* redis.get("{bo}and")).toEqual(Option.some("`bc`ab"))
      expect(yield* redis.bitop("OR", "{bo}or", "{bo}a", "{bo}b")).toBe(6)
      expect(yield* redis.get("{bo}or")).toEqual(Option.some("goofev"))
      yield* redis.set("{bo}x", bytes(0x0f, 0xff))
      yield* redis.set("{bo}y", bytes(0xff))
      expect(yield* redis.bitop("XOR", "{bo}xor", "{bo}x", "{bo}y")).toBe(2)
      expect(Option.map(yield* redis.getBytes("{bo}xor"), (b) => Array.from(b))).toEqual(Option.some([0xf0, 0xff]))
      expect(yield* redis.bitop("NOT", "{bo}not", "{bo}x")).toBe(2)
      expect(Option.map(yield* redis.getBytes("{bo}not"), (b) => Array.from(b))).toEqual(Option.some([0xf0, 0x00]))
      expect(yield* redis.bitop("AND", "{bo}none", "{bo}missing")).toBe(0)
      expect(yield* redis.exists("{bo}none")).toBe(0)

      expect(new Set(["bo:a", "bo:b", "bo:dest"].map(Slot.slot)).size).toBe(3)
      expect(yield* tagOf(redis.bitop("AND", "bo:dest", "bo:a", "bo:b"))).toBe("CrossSlotError")
    }))

  it.effect("PFADD, PFCOUNT (union in one slot), PFMERGE; cross-slot refused", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      expect(yield* redis.pfadd("{hll}a", "a", "b", "c", "d", "e", "f", "g")).toBe(true)
      expect(yield* redis.pfadd("{hll}a", "a", "b")).toBe(false)
      expect(yield* redis.pfcount("{hll}a")).toBe(7)
      expect(yield* redis.pfadd("{hll}empty")).toBe(true)
      expect(yield* redis.pfadd("{hll}empty")).toBe(false)
      expect(yield* redis.pfcount("{hll}empty")).toBe(0)
      expect(yield* redis.pfcount("{hll}missing")).toBe(0)
      expect(yield* redis.pfadd("{hll}b", "f", "g", "h", new Uint8Array([0xff, 0x00]))).toBe(true)
      expect(yield* redis.pfcount("{hll}a", "{hll}b")).toBe(9)
      yield* redis.pfmerge("{hll}m", "{hll}a", "{hll}b")
      expect(yield* redis.pfcount("{hll}m")).toBe(9)
      yield* redis.pfmerge("{hll}m2")
      expect(yield* redis.pfcount("{hll}m2")).toBe(0)
      yield* redis.set("{hll}str", "not an hll")
      expect(yield* tagOf(redis.pfcount("{hll}str"))).toBe("ReplyError")

      expect(Slot.slot("hll:a")).not.toBe(Slot.slot("hll:b"))
      expect(yield* tagOf(redis.pfcount("hll:a", "hll:b"))).toBe("CrossSlotError")
      expect(yield* tagOf(redis.pfmerge("hll:a", "hll:b"))).toBe("CrossSlotError")
    }))

  it.effect("PFDEBUG ENCODING/DECODE/TODENSE/GETREG", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      yield* redis.pfadd("hd:k", ...Arr.range(1, 20).map(String))
      expect(yield* redis.pfdebug("ENCODING", "hd:k")).toBe("sparse")
      const decoded = yield* redis.pfdebug("DECODE", "hd:k")
      expect(decoded).toMatch(/^(Z|XZ|v):/)
      expect(yield* redis.pfdebug("TODENSE", "hd:k")).toBe(true)
      expect(yield* redis.pfdebug("TODENSE", "hd:k")).toBe(false)
      expect(yield* redis.pfdebug("ENCODING", "hd:k")).toBe("dense")
      // The method's reply is the union over subcommands; `Command.pfdebug` keeps the precise type.
      const registers = yield* redis.execute(Command.pfdebug("GETREG", "hd:k"))
      expect(registers).toHaveLength(16384)
      expect(registers.filter((r) => r > 0).length).toBeGreaterThanOrEqual(19)
      expect(yield* redis.pfcount("hd:k")).toBe(20)
      expect(yield* tagOf(redis.pfdebug("DECODE", "hd:k"))).toBe("ReplyError")
      expect(yield* tagOf(redis.pfdebug("ENCODING", "hd:missing"))).toBe("ReplyError")
    }))

  it.effect("RESP2 decodes to the same values", () =>
    Effect.gen(function*() {
      const run = (c: RedisCluster.RedisClusterService, p: string) =>
        Effect.gen(function*() {
          const k = (s: string) => `{bh${p}}${s}`
          yield* c.set(k("s"), "foobar")
          return [
            yield* c.setbit(k("b"), 3, 1),
            yield* c.getbit(k("b"), 3),
            yield* c.bitcount(k("s"), { start: 1, end: -1 }),
            yield* c.bitpos(k("s"), 0, { start: 1 }),
            yield* c.bitfield(k("f"), [
              { op: "set", type: "u8", offset: 0, value: 255 },
              { op: "overflow", behavior: "FAIL" },
              { op: "incrby", type: "u8", offset: 0, increment: 1 },
              { op: "get", type: "i8", offset: 0 }
            ]),
            yield* c.bitfieldRo(k("f"), [{ type: "u4", offset: 4 }]),
            yield* c.bitop("XOR", k("x"), k("s"), k("b")),
            yield* c.pfadd(k("h"), "a", "b", "c"),
            yield* c.pfadd(k("h2"), "c", "d"),
            yield* c.pfcount(k("h"), k("h2")),
            yield* c.pfmerge(k("hm"), k("h"), k("h2")),
            yield* c.pfcount(k("hm")),
            yield* c.pfdebug("ENCODING", k("hm")),
            yield* c.pfdebug("TODENSE", k("hm")),
            (yield* c.execute(Command.pfdebug("GETREG", k("hm")))).filter((r) => r > 0).length
          ] as const
        })
      const { three, two } = yield* onBoth(run)
      expect(two).toEqual(three)
      expect(three[4]).toEqual([Option.some(0), Option.none(), Option.some(-1)])
      expect(three[11]).toBe(4)
    }))

  // Last: it blocks one master for about a second.
  it.effect("PFSELFTEST", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const started = Date.now()
      yield* redis.pfselftest()
      // The self test really ran (it takes hundreds of ms on any machine).
      expect(Date.now() - started).toBeGreaterThan(100)
    }))
})
