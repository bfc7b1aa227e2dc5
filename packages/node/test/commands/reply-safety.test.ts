/**
 * Issue #12 items 11–13 against a real cluster, on RESP3 and RESP2: integers beyond
 * `Number.MAX_SAFE_INTEGER` are never rounded, record replies keep a field named `__proto__`, and
 * `Command.raw` refuses connection-state commands without sending them.
 */
import { expect, layer } from "@effect/vitest"
import { Command, RedisCluster } from "@keyslot/core"
import { RedisClusterFixture } from "@keyslot/test-utils"
import { Effect, Option } from "effect"
import { commandEnv, errorOf, onBoth } from "../helpers/commandEnv.js"

const Env = commandEnv()

/** Every master's `INFO commandstats` as `cmdstat_<name>` → its line (calls, rejected_calls...). */
const commandStats = Effect.gen(function*() {
  const fixture = yield* RedisClusterFixture.RedisClusterFixture
  const out = new Map<string, string>()
  for (const master of yield* fixture.masters) {
    const info = yield* fixture.command(master.port, "INFO", "commandstats")
    const text = typeof info === "string" ? info : info instanceof Uint8Array ? new TextDecoder().decode(info) : String(info)
    for (const line of text.split(/\r?\n/)) {
      const colon = line.indexOf(":")
      if (line.startsWith("cmdstat_")) out.set(`${master.port} ${line.slice(0, colon)}`, line.slice(colon + 1))
    }
  }
  return out
})

// Live clock: a transient CLUSTERDOWN/TRYAGAIN retry sleeps, which would never end on a TestClock.
layer(Env, { timeout: "120 seconds", excludeTestServices: true })("reply safety (#12)", (it) => {
  it.effect("INCR past 2^53 fails with a ProtocolError naming the exact value, never a rounded number", () =>
    onBoth((redis, p) =>
      Effect.gen(function*() {
        const k = `${p}:big`
        yield* redis.set(k, "9007199254740992")
        const e = yield* errorOf(redis.incr(k))
        expect(e._tag).toBe("ProtocolError")
        expect(e.reason).toContain("9007199254740993")
        expect(e.reason).toContain("beyond Number.MAX_SAFE_INTEGER")
        // The command ran: only its reply could not be a number. The stored value is exact.
        expect(yield* redis.get(k)).toEqual(Option.some("9007199254740993"))

        for (const unsafe of [redis.incrby(k, 1), redis.decrby(k, -1), redis.incr(k)]) {
          const f = yield* errorOf(unsafe)
          expect(f._tag).toBe("ProtocolError")
          expect(f.reason).toContain("beyond Number.MAX_SAFE_INTEGER")
        }
        expect(yield* redis.get(k)).toEqual(Option.some("9007199254740996"))

        // The bigint forms read the whole signed 64-bit range exactly.
        expect(yield* redis.incrbyBig(k, 1n)).toBe(9007199254740997n)
        expect(yield* redis.decrbyBig(k, 9007199254740997n)).toBe(0n)
        expect(yield* redis.incrbyBig(k, 9223372036854775807n)).toBe(9223372036854775807n)
        expect(yield* redis.decrbyBig(k, 1)).toBe(9223372036854775806n)
        yield* redis.set(k, "-9007199254740992")
        expect((yield* errorOf(redis.decr(k))).reason).toContain("-9007199254740993")
        // Safe values are still plain numbers.
        yield* redis.set(k, "9007199254740990")
        expect(yield* redis.incr(k)).toBe(Number.MAX_SAFE_INTEGER)

        const h = `${p}:bighash`
        expect(yield* redis.hincrbyBig(h, "f", 9007199254740992n)).toBe(9007199254740992n)
        const g = yield* errorOf(redis.hincrby(h, "f", 1))
        expect(g._tag).toBe("ProtocolError")
        expect(g.reason).toContain("9007199254740993")
        expect(yield* redis.hincrbyBig(h, "f", 1)).toBe(9007199254740994n)
        // Any command's reply as it came keeps the exact bigint.
        expect(yield* redis.execute(Command.incr(k).asBytes())).toBe(9007199254740992n)
      })
    ))

  it.effect("a hash field named __proto__ (or constructor, toString) is in HGETALL with its value", () =>
    onBoth((redis, p) =>
      Effect.gen(function*() {
        const k = `${p}:proto`
        const fields = [["__proto__", "p"], ["constructor", "c"], ["toString", "t"], ["hasOwnProperty", "h"]] as const
        // Object.fromEntries makes `__proto__` an own property (a literal would set the prototype).
        expect(yield* redis.hset(k, Object.fromEntries(fields))).toBe(4)
        const all = yield* redis.hgetall(k)
        expect(Object.keys(all).sort()).toEqual(fields.map(([f]) => f).sort())
        for (const [f, v] of fields) {
          expect(Object.hasOwn(all, f)).toBe(true)
          expect(all[f]).toBe(v)
        }

        const s = `${p}:protostream`
        yield* redis.xadd(s, "*", [["__proto__", "p"], ["constructor", "c"]])
        const [entry] = yield* redis.xrange(s, "-", "+")
        expect(Object.hasOwn(entry!.fields, "__proto__")).toBe(true)
        expect(entry!.fields["__proto__"]).toBe("p")
        expect(entry!.fields["constructor"]).toBe("c")

        // Summed per channel over every node: no channel name may read as an inherited member.
        const numsub = yield* redis.pubsubNumsub("__proto__", "constructor", "toString")
        expect(Object.hasOwn(numsub, "__proto__")).toBe(true)
        expect(numsub["__proto__"]).toBe(0)
        expect(numsub["constructor"]).toBe(0)
        expect(numsub["toString"]).toBe(0)
      })
    ))

  it.effect("Command.raw refuses connection-state commands in any case, sends nothing, and says what to use", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const k = "raw:state"
      yield* redis.set(k, "value")
      const refused: ReadonlyArray<readonly [ReadonlyArray<string>, Command.Command<unknown>]> = [
        [["multi"], Command.multi()],
        [["exec"], Command.exec()],
        [["discard"], Command.discard()],
        [["watch", k], Command.watch(k)],
        [["unwatch"], Command.unwatch()],
        [["subscribe", "ch"], Command.subscribe("ch")],
        [["psubscribe", "ch*"], Command.psubscribe("ch*")],
        [["ssubscribe", "ch"], Command.ssubscribe("ch")],
        [["unsubscribe"], Command.unsubscribe()],
        [["punsubscribe"], Command.punsubscribe()],
        [["sunsubscribe", "ch"], Command.sunsubscribe("ch")],
        [["monitor"], Command.monitor()],
        [["reset"], Command.reset()],
        [["hello", "2"], Command.hello()],
        [["auth", "default", "nopass"], Command.auth()],
        [["select", "1"], Command.select(1)],
        [["quit"], Command.quit()],
        [["readonly"], Command.readonly()],
        [["readwrite"], Command.readwrite()],
        [["asking"], Command.asking()],
        [["client", "reply", "off"], Command.clientReply("OFF")],
        [["Client", "Reply", "Skip"], Command.clientReply("SKIP")],
        [["client", "tracking", "on"], Command.clientTracking(true)],
        [["client", "caching", "no"], Command.clientCaching(false)],
        [["client", "setname", "x"], Command.clientSetname("x")],
        [["client", "no-evict", "on"], Command.clientNoEvict(true)],
        [["script", "debug", "yes"], Command.scriptDebug("YES")]
      ]
      const before = yield* commandStats
      for (const [args, typed] of refused) {
        // Keyed and keyless: both must be refused before any connection sees them.
        for (const keys of [[k], []]) {
          const e = yield* errorOf(redis.execute(Command.raw(args, { keys })))
          expect(e._tag, args.join(" ")).toBe("UnsupportedCommandError")
          expect(e.message).toContain(typed.name)
          expect(e.message).toContain(typed.unsupportedReason!)
          expect(yield* redis.get(k), args.join(" ")).toEqual(Option.some("value"))
        }
      }
      // Refused inside a pipeline or a transaction too.
      const inPipeline = yield* errorOf(redis.pipeline([Command.raw(["MULTI"], { keys: [k] }), Command.get(k)]))
      expect(inPipeline._tag).toBe("UnsupportedCommandError")
      const inTransaction = yield* errorOf(redis.transaction([Command.raw(["multi"], { keys: [k] }), Command.get(k)]))
      expect(inTransaction._tag).toBe("UnsupportedCommandError")

      // None of them reached a node: no master counted a call (or a rejected call) of theirs.
      const after = yield* commandStats
      const names = new Set(refused.map(([args]) => args[0]!.toLowerCase()))
      for (const [stat, line] of after) {
        const name = stat.split(" ")[1]!.slice("cmdstat_".length).split("|")[0]!
        if (names.has(name) && name !== "client" && name !== "script") expect(line, stat).toBe(before.get(stat))
      }
      for (const sub of ["reply", "tracking", "caching", "setname", "no-evict"]) {
        for (const [stat, line] of after) if (stat.endsWith(`cmdstat_client|${sub}`)) expect(line, stat).toBe(before.get(stat))
      }

      // What stays allowed: SELECT 0 (a no-op) and other CLIENT subcommands.
      expect(yield* redis.execute(Command.raw(["select", "0"]))).toBe("OK")
      expect(String(yield* redis.execute(Command.raw(["client", "info"])))).toContain("id=")
      expect(yield* redis.get(k)).toEqual(Option.some("value"))
    }))
})
