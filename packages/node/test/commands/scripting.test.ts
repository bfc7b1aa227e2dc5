import { expect, layer } from "@effect/vitest"
import { Command, RedisCluster, Slot } from "@keyslot/core"
import * as Script from "@keyslot/core/Script"
import { Effect, Option } from "effect"
import { commandEnv, errorOf, Resp2, same, tagOf } from "../helpers/commandEnv.js"

const Env = commandEnv()

/** The serving masters, each with a key it owns. */
const mastersWithKeys = (redis: RedisCluster.RedisClusterService, prefix: string) => {
  const shards = redis.topology.current().shards.filter((s) => s.ranges.length > 0)
  return shards.map((shard) => {
    let i = 0
    const owns = (k: string) => shard.ranges.some(([from, to]) => Slot.slot(k) >= from && Slot.slot(k) <= to)
    while (!owns(`${prefix}${i}`)) i++
    return { master: shard.master, key: `${prefix}${i}` }
  })
}

const LIB = [
  "#!lua name=kslib",
  "redis.register_function('ks_set', function(keys, args) redis.call('SET', keys[1], args[1]) return redis.call('GET', keys[1]) end)",
  "redis.register_function{function_name='ks_get', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}, description='reads'}"
].join("\n")

layer(Env, { timeout: "60 seconds", excludeTestServices: true })("scripting commands", (it) => {
  it.effect("EVAL, EVAL_RO, EVALSHA, EVALSHA_RO: keys and args, keyless, routing and flags", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      expect(yield* redis.eval("return ARGV[1]", [], ["hello"])).toBe("hello")
      expect(yield* redis.eval("return {KEYS[1], ARGV[1], 7}", ["ev:k"], ["a"])).toEqual(["ev:k", "a", 7])
      expect(yield* redis.eval("return redis.call('INCRBY', KEYS[1], ARGV[1])", ["ev:n"], [5])).toBe(5)
      expect(yield* redis.eval("return redis.call('GET', KEYS[1])", ["ev:missing"])).toBe(null)
      expect(yield* redis.evalRo("return redis.call('GET', KEYS[1])", ["ev:n"])).toBe("5")
      expect((yield* errorOf(redis.evalRo("return redis.call('SET', KEYS[1], 'x')", ["ev:n"]))).message).toMatch(/Write commands are not allowed/i)
      expect(yield* tagOf(redis.eval("return redis.error_reply('BOOM no')"))).toBe("ReplyError")
      // Keys of several slots are refused before sending; hash tags keep them together.
      expect(yield* tagOf(redis.eval("return 1", ["ev:a", "ev:b"]))).toBe("CrossSlotError")
      expect(yield* redis.eval("return #KEYS", ["{ev}a", "{ev}b"])).toBe(2)

      const sha = yield* redis.scriptLoad("return {KEYS[1], ARGV[1]}")
      expect(sha).toBe(Script.make("return {KEYS[1], ARGV[1]}").sha1)
      expect(yield* redis.evalsha(sha, ["ev:k"], ["b"])).toEqual(["ev:k", "b"])
      expect(yield* redis.evalshaRo(sha, ["ev:k"], [1])).toEqual(["ev:k", "1"])
      expect((yield* errorOf(redis.evalsha("0".repeat(40)))).message).toContain("NOSCRIPT")

      const c = Command.evalshaRo(sha, ["ev:k"], ["x"])
      expect([c.name, c.args, c.keys, c.readOnly, c.route]).toEqual(["EVALSHA_RO", ["EVALSHA_RO", sha, 1, "ev:k", "x"], ["ev:k"], true, "key"])
      expect(Command.eval("return 1").route).toBe("any")
      expect(Command.eval("return 1", ["k"]).readOnly).toBe(false)
      expect(Command.fcallRo("f", ["k"]).readOnly).toBe(true)
    }))

  it.effect("SCRIPT LOAD / EXISTS / FLUSH fan out; EXISTS is AND per sha across masters", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const a = Script.make("return 'a'")
      const b = Script.make("return 'b'")
      yield* redis.scriptFlush()
      expect(yield* redis.scriptLoad(a.source)).toBe(a.sha1)
      expect(yield* redis.scriptExists(a.sha1, b.sha1)).toEqual([true, false])
      const loaded = yield* redis.perNode(Command.scriptExists(a.sha1))
      expect(loaded).toHaveLength(3)
      expect(loaded.map((r) => r.value)).toEqual([[true], [true], [true]])

      // EVAL caches on one node only: per node one true, merged false.
      yield* redis.eval(b.source, ["sc:one"])
      const perNode = yield* redis.perNode(Command.scriptExists(b.sha1))
      expect(perNode.filter((r) => (r.value as ReadonlyArray<boolean>)[0]).length).toBe(1)
      expect(yield* redis.scriptExists(b.sha1)).toEqual([false])

      yield* redis.scriptFlush("ASYNC")
      expect(yield* redis.scriptExists(a.sha1, b.sha1)).toEqual([false, false])
      yield* redis.scriptLoad(b.source)
      yield* redis.scriptFlush("SYNC")
      expect((yield* redis.perNode(Command.scriptExists(b.sha1))).every((r) => !(r.value as ReadonlyArray<boolean>)[0])).toBe(true)

      expect((yield* redis.scriptHelp()).join("\n")).toContain("EXISTS")
      const kill = yield* errorOf(redis.scriptKill())
      expect(kill._tag).toBe("UnsupportedCommandError")
      expect(kill.message).toContain("executeOn")
      expect(yield* tagOf(redis.scriptDebug("YES"))).toBe("UnsupportedCommandError")
    }))

  it.effect("Script.run: EVALSHA, EVAL on NOSCRIPT (keeps working after SCRIPT FLUSH), read-only, cross-slot refused", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const incr = Script.make("return {KEYS[1], redis.call('INCRBY', KEYS[1], ARGV[1])}", { keys: 1 })
      expect(incr.sha1).toMatch(/^[0-9a-f]{40}$/)
      yield* redis.scriptFlush()
      expect(yield* redis.scriptExists(incr.sha1)).toEqual([false])
      expect(yield* Script.run(redis, incr, ["run:n"], [5])).toEqual(["run:n", 5])
      // The fallback EVAL cached it on the key's owner.
      const cached = yield* redis.perNode(Command.scriptExists(incr.sha1))
      expect(cached.filter((r) => (r.value as ReadonlyArray<boolean>)[0]).length).toBe(1)
      expect(yield* Script.run(redis, incr, ["run:n"], [1])).toEqual(["run:n", 6])

      yield* redis.scriptFlush()
      expect(yield* Script.run(redis, incr, ["run:n"], [4])).toEqual(["run:n", 10])
      // Every master, whoever owns the key.
      for (const { key } of mastersWithKeys(redis, "run:m")) {
        expect(yield* Script.run(redis, incr, [key], [2])).toEqual([key, 2])
      }

      const read = Script.make("return redis.call('GET', KEYS[1])", { readOnly: true })
      expect(Script.command(read, ["run:n"]).name).toBe("EVALSHA_RO")
      expect(Script.command(incr, ["run:n"], [1]).name).toBe("EVALSHA")
      expect(yield* Script.run(redis, read, ["run:n"])).toBe("10")
      const sneaky = Script.make("return redis.call('DEL', KEYS[1])", { readOnly: true })
      expect((yield* errorOf(Script.run(redis, sneaky, ["run:n"]))).message).toMatch(/Write commands are not allowed/i)
      expect(yield* redis.get("run:n")).toEqual(Option.some("10"))

      // Cross-slot: refused before anything is sent (so nothing got cached either).
      const two = Script.make("return 2 -- two keys", { keys: 2 })
      yield* redis.scriptFlush()
      expect(yield* tagOf(Script.run(redis, two, ["run:a", "run:b"]))).toBe("CrossSlotError")
      expect((yield* redis.perNode(Command.scriptExists(two.sha1))).some((r) => (r.value as ReadonlyArray<boolean>)[0])).toBe(false)
      expect(yield* Script.run(redis, two, ["{run}a", "{run}b"])).toBe(2)
      expect(yield* tagOf(Script.run(redis, two, ["{run}a"]))).toBe("ConfigError")

      // Keyless scripts run on any master; `load` caches everywhere first.
      const keyless = Script.make("return 'k'")
      expect(yield* Script.load(redis, keyless)).toBe(keyless.sha1)
      expect(yield* redis.scriptExists(keyless.sha1)).toEqual([true])
      expect(yield* Script.run(redis, keyless)).toBe("k")
    }))

  it.effect("FUNCTION LOAD reaches every master; FCALL routed by key on every master", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      yield* redis.functionFlush()
      // With no library the payload is a bare header; restoring it changes nothing.
      const nothing = yield* redis.functionDump()
      expect(nothing.length).toBeGreaterThan(0)
      yield* redis.functionRestore(nothing)
      expect(yield* redis.functionList()).toEqual([])
      expect(yield* redis.functionLoad(LIB)).toBe("kslib")
      expect((yield* errorOf(redis.functionLoad(LIB))).message).toContain("already exists")
      expect(yield* redis.functionLoad(LIB, { replace: true })).toBe("kslib")

      const targets = mastersWithKeys(redis, "fn:k")
      expect(targets).toHaveLength(3)
      for (const { master } of targets) {
        const libs = yield* redis.executeOn(master, Command.functionList())
        expect(libs.map((l) => l.libraryName)).toEqual(["kslib"])
      }
      for (const { master, key } of targets) {
        expect(yield* redis.fcall("ks_set", [key], [`v-${key}`])).toBe(`v-${key}`)
        // It ran on the key's owner.
        expect(yield* redis.executeOn(master, Command.get(key))).toEqual(Option.some(`v-${key}`))
        expect(yield* redis.fcallRo("ks_get", [key])).toBe(`v-${key}`)
      }
      expect((yield* errorOf(redis.fcallRo("ks_set", ["fn:x"], ["1"]))).message).toMatch(/write flag using \*_ro/)
      expect(yield* tagOf(redis.fcall("ks_get", ["fn:a", "fn:b"]))).toBe("CrossSlotError")
      expect(yield* tagOf(redis.fcall("nope", ["fn:a"]))).toBe("ReplyError")

      const [lib] = yield* redis.functionList({ libraryName: "ks*", withCode: true })
      expect(lib!.libraryName).toBe("kslib")
      expect(lib!.engine).toBe("LUA")
      expect(lib!.libraryCode).toBe(LIB)
      expect([...lib!.functions].sort((x, y) => x.name.localeCompare(y.name))).toEqual([
        { name: "ks_get", description: Option.some("reads"), flags: ["no-writes"] },
        { name: "ks_set", description: Option.none(), flags: [] }
      ])
      expect("libraryCode" in (yield* redis.functionList())[0]!).toBe(false)
      expect(yield* redis.functionList({ libraryName: "zzz*" })).toEqual([])
      expect(yield* redis.functionStats()).toEqual({
        runningScript: Option.none(),
        engines: { LUA: { librariesCount: 1, functionsCount: 2 } }
      })

      // DUMP, DELETE everywhere, RESTORE everywhere.
      const dump = yield* redis.functionDump()
      expect(dump).toBeInstanceOf(Uint8Array)
      expect(dump.length).toBeGreaterThan(nothing.length)
      yield* redis.functionDelete("kslib")
      for (const { master } of targets) expect(yield* redis.executeOn(master, Command.functionList())).toEqual([])
      expect(yield* tagOf(redis.functionDelete("kslib"))).toBe("ReplyError")
      yield* redis.functionRestore(dump)
      for (const { master } of targets) {
        expect((yield* redis.executeOn(master, Command.functionList())).map((l) => l.libraryName)).toEqual(["kslib"])
      }
      expect(yield* tagOf(redis.functionRestore(dump))).toBe("ReplyError") // APPEND: the library exists
      yield* redis.functionRestore(dump, "REPLACE")
      yield* redis.functionRestore(dump, "FLUSH")
      expect(yield* redis.fcallRo("ks_get", [targets[0]!.key])).toBe(`v-${targets[0]!.key}`)

      yield* redis.functionFlush("SYNC")
      for (const { master } of targets) expect(yield* redis.executeOn(master, Command.functionList())).toEqual([])
      expect(yield* tagOf(redis.functionKill())).toBe("UnsupportedCommandError")
      expect((yield* redis.functionHelp()).join("\n")).toContain("RESTORE")
    }))

  it.effect("RESP2 decodes every scripting reply like RESP3", () =>
    Effect.gen(function*() {
      const resp2 = yield* Resp2
      yield* resp2.functionFlush()
      expect(yield* resp2.functionLoad(LIB)).toBe("kslib")
      yield* same((r) => r.eval("return {KEYS[1], ARGV[1], 3, {4, 'five'}}", ["r2:k"], ["x"]))
      yield* same((r) => r.evalRo("return redis.call('GET', KEYS[1])", ["r2:missing"]))
      yield* same((r) => Effect.map(r.functionList({ withCode: true }), (ls) => ls.map((l) => ({ ...l, functions: [...l.functions].sort((x, y) => x.name.localeCompare(y.name)) }))))
      yield* same((r) => r.functionStats())
      yield* same((r) => r.fcall("ks_set", ["r2:f"], ["v"]))
      yield* same((r) => r.fcallRo("ks_get", ["r2:f"]))
      const s = Script.make("return ARGV[1] .. KEYS[1]", { keys: 1 })
      yield* resp2.scriptFlush()
      expect(yield* Script.run(resp2, s, ["r2:s"], ["a-"])).toBe("a-r2:s")
      yield* same((r) => r.scriptExists(s.sha1, "0".repeat(40)))
      expect(yield* resp2.scriptLoad(s.source)).toBe(s.sha1)
      yield* same((r) => r.scriptExists(s.sha1))
      yield* same((r) => r.scriptHelp())
      expect((yield* resp2.functionDump()).length).toBeGreaterThan(20)
      yield* resp2.functionDelete("kslib")
      yield* same((r) => r.functionList())
    }))
})
