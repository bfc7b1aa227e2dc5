import { expect, layer } from "@effect/vitest"
import { Command, RedisCluster, Slot } from "@keyslot/core"
import { Effect, Fiber, Option } from "effect"
import { commandEnv, errorOf, Resp2, same, tagOf } from "../helpers/commandEnv.js"

const Env = commandEnv()

// Live clock: the BLOCK test sleeps (inside `layer`, `it.live` would not get the layer's services).
layer(Env, { timeout: "60 seconds", excludeTestServices: true })("stream commands", (it) => {
  it.effect("XADD (ids, NOMKSTREAM, trimming), XLEN, XRANGE, XREVRANGE, XDEL", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      expect(yield* redis.xadd("st:a", "1-1", { a: "1", b: "2" })).toEqual(Option.some("1-1"))
      expect(yield* redis.xadd("st:a", "2-1", [["c", 3]])).toEqual(Option.some("2-1"))
      const auto = yield* redis.xadd("st:a", "*", { d: "4" })
      expect(Option.getOrThrow(auto)).toMatch(/^\d+-\d+$/)
      expect(yield* redis.xadd("st:a", "3-*", { e: "5" }).pipe(tagOf)).toBe("ReplyError") // smaller than the last id
      // NOMKSTREAM on a missing stream: nothing created, none.
      expect(yield* redis.xadd("st:none", "*", { x: "1" }, { nomkstream: true })).toEqual(Option.none())
      expect(yield* redis.xlen("st:none")).toBe(0)
      expect(yield* redis.xlen("st:a")).toBe(3)

      const all = yield* redis.xrange("st:a", "-", "+")
      expect(all.map((e) => e.id)).toEqual(["1-1", "2-1", Option.getOrThrow(auto)])
      expect(all[0]).toEqual({ id: "1-1", fields: { a: "1", b: "2" } })
      expect(yield* redis.xrange("st:a", "-", "+", { count: 1 })).toEqual([{ id: "1-1", fields: { a: "1", b: "2" } }])
      expect((yield* redis.xrange("st:a", "(1-1", "2-1")).map((e) => e.id)).toEqual(["2-1"])
      expect(yield* redis.xrange("st:missing", "-", "+")).toEqual([])
      expect((yield* redis.xrevrange("st:a", "+", "-", { count: 2 })).map((e) => e.id)).toEqual([Option.getOrThrow(auto), "2-1"])

      expect(yield* redis.xdel("st:a", "2-1", "9-9")).toBe(1)
      expect(yield* redis.xlen("st:a")).toBe(2)

      // Trimming while adding: exact MAXLEN, then MINID.
      for (let i = 1; i <= 5; i++) yield* redis.xadd("st:t", `${i}-0`, { i })
      expect(yield* redis.xadd("st:t", "6-0", { i: 6 }, { trim: { maxlen: 3, approximate: false } })).toEqual(Option.some("6-0"))
      expect((yield* redis.xrange("st:t", "-", "+")).map((e) => e.id)).toEqual(["4-0", "5-0", "6-0"])
      yield* redis.xadd("st:t", "7-0", { i: 7 }, { trim: { minid: "6-0" } })
      expect((yield* redis.xrange("st:t", "-", "+")).map((e) => e.id)).toEqual(["6-0", "7-0"])

      // Binary keys and values.
      const binKey = new Uint8Array([0x73, 0x74, 0xff, 0x00])
      expect(yield* redis.xadd(binKey, "1-0", [[new Uint8Array([0x66]), new Uint8Array([0x76])]])).toEqual(Option.some("1-0"))
      expect(yield* redis.xrange(binKey, "-", "+")).toEqual([{ id: "1-0", fields: { f: "v" } }])
    }))

  it.effect("XTRIM (MAXLEN/MINID, =/~, LIMIT) and XSETID", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      for (let i = 1; i <= 10; i++) yield* redis.xadd("st:trim", `${i}-0`, { i })
      expect(yield* redis.xtrim("st:trim", { maxlen: 8 })).toBe(2)
      expect(yield* redis.xtrim("st:trim", { maxlen: 5, approximate: false })).toBe(3)
      expect(yield* redis.xtrim("st:trim", { minid: "8-0" })).toBe(2)
      // `~` trims whole macro nodes only: the one node holds 3 entries, so keeping 2 removes none.
      expect(yield* redis.xtrim("st:trim", { maxlen: 2, approximate: true, limit: 10 })).toBe(0)
      expect(yield* redis.xlen("st:trim")).toBe(3)
      expect(yield* redis.xtrim("st:trim", { maxlen: 1, limit: 10 }).pipe(tagOf)).toBe("ReplyError") // LIMIT needs ~

      yield* redis.xsetid("st:trim", "20-0", { entriesAdded: 50, maxDeletedId: "15-0" })
      const info = yield* redis.xinfoStream("st:trim")
      expect(info.lastGeneratedId).toBe("20-0")
      expect(info.entriesAdded).toBe(50)
      expect(info.maxDeletedEntryId).toBe("15-0")
      expect(yield* redis.xsetid("st:trim", "1-0").pipe(tagOf)).toBe("ReplyError") // smaller than the top entry
    }))

  it.effect("XREAD: per stream, nil as [], several streams of one slot, cross-slot refused", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      yield* redis.xadd("{st:r}1", "1-0", { a: "1" })
      yield* redis.xadd("{st:r}1", "2-0", { a: "2" })
      yield* redis.xadd("{st:r}2", "5-0", { b: "1" })
      expect(yield* redis.xread({ "{st:r}1": "0" })).toEqual([
        { stream: "{st:r}1", entries: [{ id: "1-0", fields: { a: "1" } }, { id: "2-0", fields: { a: "2" } }] }
      ])
      expect(yield* redis.xread([["{st:r}1", "1-0"], ["{st:r}2", "0"]], { count: 1 })).toEqual([
        { stream: "{st:r}1", entries: [{ id: "2-0", fields: { a: "2" } }] },
        { stream: "{st:r}2", entries: [{ id: "5-0", fields: { b: "1" } }] }
      ])
      // Nothing after the last id (the server says nil).
      expect(yield* redis.xread({ "{st:r}1": "2-0", "{st:r}2": "$" })).toEqual([])
      expect(yield* redis.xread({ "{st:r}missing": "0" })).toEqual([])

      const command = Command.xread({ "st:x1": "0", "st:x2": "0" })
      expect(Slot.slot("st:x1")).not.toBe(Slot.slot("st:x2"))
      expect(command.keys).toEqual(["st:x1", "st:x2"])
      expect(command.readOnly).toBe(true)
      expect(yield* redis.execute(command).pipe(tagOf)).toBe("CrossSlotError")
      expect(yield* redis.xreadgroup("g", "c", { "st:x1": ">", "st:x2": ">" }).pipe(tagOf)).toBe("CrossSlotError")
    }))

  it.effect("XREAD / XREADGROUP BLOCK run as blocking commands, woken by XADD, [] on timeout", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const c = Command.xread({ "st:b": "$" }, { block: 3000 })
      expect(c.flags & Command.BLOCKING).toBe(Command.BLOCKING)
      expect(c.blockMillis).toBe(3000)
      expect(c.args).toEqual(["XREAD", "BLOCK", 3000, "STREAMS", "st:b", "$"])
      expect(Command.xread({ "st:b": "$" }).flags & Command.BLOCKING).toBe(0)
      expect(Command.xread({ "st:b": "$" }, { block: 0 }).blockMillis).toBe(0)

      yield* redis.xadd("st:b", "1-0", { seed: "1" })
      // After 1-0 rather than `$`: robust even if the XADD below reached the server first.
      const waiting = yield* Effect.forkChild(redis.xread({ "st:b": "1-0" }, { block: 5000 }))
      yield* Effect.sleep("300 millis")
      // The shared connection is not blocked meanwhile.
      expect(yield* redis.xlen("st:b")).toBe(1)
      yield* redis.xadd("st:b", "2-0", { woke: "yes" })
      expect(yield* Fiber.join(waiting)).toEqual([{ stream: "st:b", entries: [{ id: "2-0", fields: { woke: "yes" } }] }])

      const started = Date.now()
      expect(yield* redis.xread({ "st:b": "$" }, { block: 200 })).toEqual([])
      expect(Date.now() - started).toBeGreaterThanOrEqual(150)

      yield* redis.xgroupCreate("st:b", "bg", "$")
      const group = yield* Effect.forkChild(redis.xreadgroup("bg", "alice", { "st:b": ">" }, { block: 5000, count: 10 }))
      yield* Effect.sleep("300 millis")
      yield* redis.xadd("st:b", "3-0", { g: "1" })
      expect(yield* Fiber.join(group)).toEqual([{ stream: "st:b", entries: [{ id: "3-0", fields: { g: "1" } }] }])
      expect(yield* redis.xreadgroup("bg", "alice", { "st:b": ">" }, { block: 150 })).toEqual([])
    }))

  it.effect("consumer groups: XGROUP *, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const k = "st:g"
      yield* redis.xgroupCreate(k, "g", "0", { mkstream: true, entriesRead: 0 })
      expect((yield* errorOf(redis.xgroupCreate(k, "g", "0")))?.message).toContain("BUSYGROUP")
      expect(yield* redis.xgroupCreate("st:g:nostream", "g", "0").pipe(tagOf)).toBe("ReplyError")
      for (let i = 1; i <= 5; i++) yield* redis.xadd(k, `${i}-0`, { n: i })

      expect(yield* redis.xgroupCreateconsumer(k, "g", "idle")).toBe(true)
      expect(yield* redis.xgroupCreateconsumer(k, "g", "idle")).toBe(false)

      const read = yield* redis.xreadgroup("g", "alice", { [k]: ">" }, { count: 2 })
      expect(read).toEqual([{ stream: k, entries: [{ id: "1-0", fields: { n: "1" } }, { id: "2-0", fields: { n: "2" } }] }])
      expect(yield* redis.xreadgroup("g", "bob", { [k]: ">" }, { count: 2 })).toEqual([
        { stream: k, entries: [{ id: "3-0", fields: { n: "3" } }, { id: "4-0", fields: { n: "4" } }] }
      ])
      // NOACK: delivered but never pending.
      expect((yield* redis.xreadgroup("g", "carol", { [k]: ">" }, { noack: true }))[0]!.entries.map((e) => e.id)).toEqual(["5-0"])
      expect(yield* redis.xreadgroup("g", "carol", { [k]: ">" })).toEqual([])

      const summary = yield* redis.xpending(k, "g")
      expect(summary).toEqual({
        count: 4,
        smallestId: Option.some("1-0"),
        greatestId: Option.some("4-0"),
        consumers: [{ name: "alice", count: 2 }, { name: "bob", count: 2 }]
      })
      expect(yield* redis.xpending("st:g:empty", "g").pipe(tagOf)).toBe("ReplyError")

      const pending = yield* redis.xpendingRange(k, "g", "-", "+", 10)
      expect(pending.map((p) => [p.id, p.consumer, p.deliveryCount])).toEqual([
        ["1-0", "alice", 1], ["2-0", "alice", 1], ["3-0", "bob", 1], ["4-0", "bob", 1]
      ])
      expect(pending.every((p) => p.idleMillis >= 0)).toBe(true)
      expect((yield* redis.xpendingRange(k, "g", "-", "+", 10, { consumer: "bob" })).map((p) => p.id)).toEqual(["3-0", "4-0"])
      expect(yield* redis.xpendingRange(k, "g", "-", "+", 10, { idle: 3_600_000 })).toEqual([])

      expect(yield* redis.xack(k, "g", "1-0", "9-0")).toBe(1)

      // XCLAIM: bob takes alice's 2-0; JUSTID keeps the delivery counter.
      const claimed = yield* redis.xclaim(k, "g", "bob", 0, ["2-0"], { retryCount: 5 })
      expect(claimed).toEqual([{ id: "2-0", fields: { n: "2" } }])
      expect(yield* redis.xclaim(k, "g", "bob", 3_600_000, ["3-0"])).toEqual([])
      expect(yield* redis.xclaimJustId(k, "g", "alice", 0, ["2-0", "3-0"], { idle: 10 })).toEqual(["2-0", "3-0"])
      const after = yield* redis.xpendingRange(k, "g", "2-0", "2-0", 1)
      expect(after.map((p) => [p.consumer, p.deliveryCount])).toEqual([["alice", 5]])
      // FORCE creates a pending entry for an id not pending (5-0 was read with NOACK).
      expect(yield* redis.xclaimJustId(k, "g", "carol", 0, ["5-0"], { force: true, lastId: "5-0" })).toEqual(["5-0"])

      // XAUTOCLAIM: a deleted pending entry is reported in deletedIds and dropped.
      yield* redis.xdel(k, "3-0")
      const auto = yield* redis.xautoclaim(k, "g", "dave", 0, "0", { count: 10 })
      expect(auto.nextId).toBe("0-0")
      expect(auto.entries.map((e) => e.id)).toEqual(["2-0", "4-0", "5-0"])
      expect(auto.entries[0]).toEqual({ id: "2-0", fields: { n: "2" } })
      expect(auto.deletedIds).toEqual(["3-0"])
      const autoIds = yield* redis.xautoclaimJustId(k, "g", "erin", 0, "0", { count: 1 })
      expect(autoIds).toEqual({ nextId: "4-0", ids: ["2-0"], deletedIds: [] })

      // A consumer's history (id 0): an entry deleted while pending comes back with no fields.
      yield* redis.xdel(k, "2-0")
      expect(yield* redis.xreadgroup("g", "erin", { [k]: "0" })).toEqual([{ stream: k, entries: [{ id: "2-0", fields: {} }] }])

      const groups = yield* redis.xinfoGroups(k)
      expect(groups).toHaveLength(1)
      expect(groups[0]!.name).toBe("g")
      expect(groups[0]!.pending).toBe(3)
      expect(groups[0]!.lastDeliveredId).toBe("5-0")
      expect(groups[0]!.entriesRead).toEqual(Option.some(5))
      expect(Option.isOption(groups[0]!.lag)).toBe(true)
      const consumers = yield* redis.xinfoConsumers(k, "g")
      expect(consumers.map((c) => [c.name, c.pending])).toEqual([
        ["alice", 0], ["bob", 0], ["carol", 0], ["dave", 2], ["erin", 1], ["idle", 0]
      ])
      expect(consumers.every((c) => c.idle >= 0)).toBe(true)

      yield* redis.xgroupSetid(k, "g", "0", { entriesRead: 0 })
      expect((yield* redis.xinfoGroups(k))[0]!.lastDeliveredId).toBe("0-0")
      expect(yield* redis.xgroupDelconsumer(k, "g", "dave")).toBe(2)
      expect(yield* redis.xgroupDelconsumer(k, "g", "nobody")).toBe(0)
      expect(yield* redis.xgroupDestroy(k, "g")).toBe(true)
      expect(yield* redis.xgroupDestroy(k, "g")).toBe(false)
      expect(yield* redis.xinfoGroups(k)).toEqual([])
    }))

  it.effect("XINFO STREAM (and FULL), XINFO/XGROUP HELP", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const k = "st:info"
      yield* redis.xadd(k, "1-1", { a: "1" })
      yield* redis.xadd(k, "2-1", { b: "2" })
      yield* redis.xgroupCreate(k, "g", "0")
      yield* redis.xreadgroup("g", "alice", { [k]: ">" }, { count: 1 })

      const info = yield* redis.xinfoStream(k)
      expect(info).toMatchObject({
        length: 2,
        lastGeneratedId: "2-1",
        maxDeletedEntryId: "0-0",
        entriesAdded: 2,
        groups: 1,
        firstEntry: Option.some({ id: "1-1", fields: { a: "1" } }),
        lastEntry: Option.some({ id: "2-1", fields: { b: "2" } })
      })
      expect(info.radixTreeKeys).toBeGreaterThan(0)
      expect(yield* redis.xinfoStream("st:info:missing").pipe(tagOf)).toBe("ReplyError")
      yield* redis.xgroupCreate("st:info:empty", "g", "$", { mkstream: true })
      const empty = yield* redis.xinfoStream("st:info:empty")
      expect(empty.firstEntry).toEqual(Option.none())
      expect(empty.lastEntry).toEqual(Option.none())
      expect(empty.length).toBe(0)

      const full = yield* redis.xinfoStreamFull(k)
      expect(full.length).toBe(2)
      expect(full.entries.map((e) => e.id)).toEqual(["1-1", "2-1"])
      expect(full.groups).toHaveLength(1)
      const g = full.groups[0]!
      expect(g.name).toBe("g")
      expect(g.lastDeliveredId).toBe("1-1")
      expect(g.entriesRead).toEqual(Option.some(1))
      expect(g.lag).toEqual(Option.some(1))
      expect(g.pelCount).toBe(1)
      expect(g.pending.map((p) => [p.id, p.consumer, p.deliveryCount])).toEqual([["1-1", "alice", 1]])
      expect(g.consumers.map((c) => [c.name, c.pelCount, c.pending.map((p) => p.id)])).toEqual([["alice", 1, ["1-1"]]])
      expect(g.consumers[0]!.seenTime).toBeGreaterThan(1_600_000_000_000)
      expect((yield* redis.xinfoStreamFull(k, { count: 1 })).entries.map((e) => e.id)).toEqual(["1-1"])

      expect((yield* redis.xinfoHelp()).join("\n")).toContain("CONSUMERS")
      expect((yield* redis.xgroupHelp()).join("\n")).toContain("CREATECONSUMER")
    }))

  it.effect("RESP2 decodes every stream reply like RESP3", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const resp2 = yield* Resp2
      const k = "{st:p}a"
      for (let i = 1; i <= 4; i++) yield* resp2.xadd(k, `${i}-0`, { n: i, m: `x${i}` })
      yield* resp2.xadd("{st:p}b", "1-0", { z: "1" })
      expect(yield* resp2.xadd("{st:p}none", "*", { x: 1 }, { nomkstream: true })).toEqual(Option.none())
      yield* resp2.xgroupCreate(k, "g", "0")
      yield* resp2.xreadgroup("g", "alice", { [k]: ">" }, { count: 2 })
      yield* resp2.xreadgroup("g", "bob", { [k]: ">" }, { count: 1 })
      yield* redis.xgroupCreate("{st:p}empty", "g", "$", { mkstream: true })

      expect((yield* same((r) => r.xrange(k, "-", "+"))).length).toBe(4)
      yield* same((r) => r.xrevrange(k, "+", "-", { count: 2 }))
      expect((yield* same((r) => r.xread({ [k]: "0", "{st:p}b": "0" }))).length).toBe(2)
      expect(yield* same((r) => r.xread({ [k]: "4-0" }))).toEqual([])
      yield* same((r) => r.xlen(k))
      yield* same((r) => r.xpending(k, "g"))
      yield* same((r) => r.xpending("{st:p}empty", "g"))
      yield* same((r) => Effect.map(r.xpendingRange(k, "g", "-", "+", 10), (ps) => ps.map((p) => ({ ...p, idleMillis: 0 }))))
      yield* same((r) => r.xinfoStream(k))
      yield* same((r) => r.xinfoStream("{st:p}empty"))
      yield* same((r) => r.xinfoStreamFull(k))
      yield* same((r) => r.xinfoGroups(k))
      yield* same((r) => Effect.map(r.xinfoConsumers(k, "g"), (cs) => cs.map((c) => ({ ...c, idle: 0 }))))
      yield* same((r) => r.xinfoHelp())
      // Claims change state: compare RESP2's reply with what RESP3 then reads.
      const auto2 = yield* resp2.xautoclaim(k, "g", "carol", 0, "0", { count: 10 })
      expect(auto2).toEqual({
        nextId: "0-0",
        entries: [1, 2, 3].map((i) => ({ id: `${i}-0`, fields: { n: String(i), m: `x${i}` } })),
        deletedIds: []
      })
      expect(yield* resp2.xclaimJustId(k, "g", "alice", 0, ["1-0"])).toEqual(["1-0"])
      expect(yield* resp2.xclaim(k, "g", "bob", 0, ["2-0"])).toEqual([{ id: "2-0", fields: { n: "2", m: "x2" } }])
      expect(yield* resp2.xgroupCreateconsumer(k, "g", "new")).toBe(true)
      expect(yield* resp2.xgroupDestroy(k, "g")).toBe(true)
    }))
})
