import { expect, layer } from "@effect/vitest"
import { Command, RedisCluster, Slot } from "@keyslot/core"
import { RedisClusterFixture } from "@keyslot/test-utils"
import { commandEnv, failureOf, nodePart, Resp2 } from "../helpers/commandEnv.js"
import { Effect, Option, Result } from "effect"

const Env = commandEnv({ serverArgs: ["--enable-module-command", "yes"] }, { main: { clientName: "ks-srv" }, resp2: { clientName: "ks-srv" } })


const masterAddresses = Effect.map(
  Effect.flatMap(Effect.service(RedisClusterFixture.RedisClusterFixture), (f) => f.masters),
  (ms) => ms.map((m) => ({ host: m.host, port: m.port, address: `${m.host}:${m.port}` }))
)

// Live clock: some tests wait for real time (inside `layer`, `it.live` would not get the layer's services).
layer(Env, { timeout: "60 seconds", excludeTestServices: true })("server commands", (it) => {
  it.effect("ACL: changes reach every node, reads answer from any, GETUSER/DRYRUN/LOG typed", () =>
    Effect.scoped(Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const resp2 = yield* Resp2
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const masters = yield* masterAddresses
      yield* redis.aclSetuser("srv:u1", "reset", "on", ">pw", "+get", "+ping", "~srv:*")
      for (const m of masters) {
        expect(yield* fixture.command(m.port, "ACL", "USERS")).toContain("srv:u1")
      }
      const user = yield* redis.aclGetuser("srv:u1")
      expect(Option.isSome(user)).toBe(true)
      const u = Option.getOrThrow(user)
      expect(u.flags).toContain("on")
      expect(u.passwords).toHaveLength(1)
      // Rule order is not stable between calls.
      expect(u.commands.split(" ").sort()).toEqual(["+get", "+ping", "-@all"])
      expect(u.keys).toBe("~srv:*")
      expect(u.channels).toBe("")
      expect(u.selectors).toEqual([])
      const user2 = Option.getOrThrow(yield* resp2.aclGetuser("srv:u1"))
      expect({ ...user2, commands: user2.commands.split(" ").sort() }).toEqual({ ...u, commands: u.commands.split(" ").sort() })
      expect(yield* redis.aclGetuser("srv:nobody")).toEqual(Option.none())

      expect(yield* redis.aclUsers()).toEqual(expect.arrayContaining(["default", "srv:u1"]))
      expect((yield* redis.aclList()).some((line) => line.startsWith("user srv:u1 on"))).toBe(true)
      expect(yield* redis.aclCat()).toEqual(expect.arrayContaining(["read", "write", "admin"]))
      expect(yield* redis.aclCat("string")).toContain("get")
      expect(yield* redis.aclGenpass()).toMatch(/^[0-9a-f]{64}$/)
      expect(yield* redis.aclGenpass(32)).toMatch(/^[0-9a-f]{8}$/)
      expect(yield* redis.aclWhoami()).toBe("default")
      expect(yield* redis.aclDryrun("srv:u1", "get", "srv:x")).toEqual(Option.none())
      const denied = yield* redis.aclDryrun("srv:u1", "set", "srv:x", "v")
      expect(Option.getOrElse(denied, () => "")).toContain("no permissions to run the 'set' command")
      expect(yield* resp2.aclDryrun("srv:u1", "set", "srv:x", "v")).toEqual(denied)
      expect((yield* redis.aclHelp())[0]).toContain("ACL <subcommand>")

      // A denial is logged on the node where it happened only.
      yield* redis.aclLogReset()
      const conn = yield* fixture.connect(masters[0]!.port, { username: "srv:u1", password: "pw" })
      const refused = yield* Effect.result(conn.command("SET", "srv:x", "v"))
      expect(Result.isFailure(refused)).toBe(true)
      const log = yield* redis.aclLog()
      expect(Object.keys(log).sort()).toEqual(masters.map((m) => m.address).sort())
      const entries = log[masters[0]!.address]!
      expect(entries).toHaveLength(1)
      expect(entries[0]).toMatchObject({ count: 1, reason: "command", context: "toplevel", object: "set", username: "srv:u1" })
      expect(entries[0]!.ageSeconds).toBeGreaterThanOrEqual(0)
      expect(entries[0]!.clientInfo).toContain("user=srv:u1")
      expect(entries[0]!.fields["username"]).toBe("srv:u1")
      expect(log[masters[1]!.address]).toEqual([])
      const log2 = yield* resp2.aclLog(1)
      expect(log2[masters[0]!.address]!.map((e) => [e.reason, e.object, e.username])).toEqual([["command", "set", "srv:u1"]])
      yield* redis.aclLogReset()
      expect(Object.values(yield* redis.aclLog()).flat()).toEqual([])

      // No aclfile configured: LOAD and SAVE fail on the nodes.
      expect((yield* failureOf(redis.aclLoad()))?._tag).toBe("ReplyError")
      expect((yield* failureOf(redis.aclSave()))?._tag).toBe("ReplyError")

      expect(yield* redis.aclDeluser("srv:u1", "srv:nobody")).toBe(1)
      expect(yield* redis.aclDeluser("srv:u1")).toBe(0)
      for (const m of masters) {
        expect(yield* fixture.command(m.port, "ACL", "USERS")).not.toContain("srv:u1")
      }
    })))

  it.effect("COMMAND, COMMAND COUNT/INFO/DOCS/GETKEYS/GETKEYSANDFLAGS/LIST/HELP", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const resp2 = yield* Resp2
      const all = yield* redis.command()
      expect(all.length).toBeGreaterThan(200)
      expect(yield* redis.commandCount()).toBe(all.length)
      const get = all.find((c) => c.name === "get")!
      expect(get).toMatchObject({ name: "get", arity: 2, firstKey: 1, lastKey: 1, step: 1 })
      expect(get.flags).toEqual(expect.arrayContaining(["readonly", "fast"]))
      expect(get.aclCategories).toEqual(expect.arrayContaining(["@read", "@string", "@fast"]))
      expect(get.keySpecs).toEqual([
        { flags: ["RO", "access"], notes: Option.none(), beginSearch: { type: "index", spec: { index: 1 } }, findKeys: { type: "range", spec: { lastkey: 0, keystep: 1, limit: 0 } } }
      ])
      const config = all.find((c) => c.name === "config")!
      expect(config.subcommands.map((s) => s.name)).toContain("config|set")
      expect(config.subcommands.find((s) => s.name === "config|set")!.tips).toEqual(["request_policy:all_nodes", "response_policy:all_succeeded"])

      const [someGet, none] = yield* redis.commandInfo("get", "no-such-command")
      expect(someGet).toEqual(Option.some(get))
      expect(none).toEqual(Option.none())
      // Subcommand order differs between nodes (nondeterministic_output_order): compare sorted.
      const sorted = (infos: ReadonlyArray<Option.Option<{ readonly name: string; readonly subcommands: ReadonlyArray<{ readonly name: string }> }>>) =>
        infos.map(Option.map((c) => ({ ...c, subcommands: [...c.subcommands].sort((a, b) => a.name.localeCompare(b.name)) })))
      expect(sorted(yield* resp2.commandInfo("get", "xadd", "config"))).toEqual(sorted(yield* redis.commandInfo("get", "xadd", "config")))

      const docs = yield* redis.commandDocs("get", "config", "no-such-command")
      expect(Object.keys(docs).sort()).toEqual(["config", "get"])
      expect(docs["get"]).toMatchObject({ since: "1.0.0", group: "string", complexity: Option.some("O(1)") })
      expect(docs["get"]!.arguments).toEqual([
        {
          name: "key",
          type: "key",
          displayText: Option.none(),
          keySpecIndex: Option.some(0),
          token: Option.none(),
          summary: Option.none(),
          since: Option.none(),
          flags: [],
          deprecatedSince: Option.none(),
          value: Option.none(),
          arguments: []
        }
      ])
      expect(Object.keys(docs["config"]!.subcommands)).toContain("config|get")
      const set = (yield* redis.commandDocs("set"))["set"]!
      expect(set.history.length).toBeGreaterThan(2)
      expect(set.arguments.find((a) => a.name === "condition")!.arguments.map((a) => a.token)).toEqual([Option.some("NX"), Option.some("XX")])
      expect(yield* resp2.commandDocs("set", "slaveof", "xinfo")).toEqual(yield* redis.commandDocs("set", "slaveof", "xinfo"))
      expect((yield* redis.commandDocs("slaveof"))["slaveof"]!.docFlags).toContain("deprecated")

      expect(yield* redis.commandGetkeys("mset", "a", "1", "b", "2")).toEqual(["a", "b"])
      const kf = [{ key: "a", flags: ["RW", "access", "delete"] }, { key: "b", flags: ["RW", "insert"] }]
      expect(yield* redis.commandGetkeysandflags("lmove", "a", "b", "LEFT", "LEFT")).toEqual(kf)
      expect(yield* resp2.commandGetkeysandflags("lmove", "a", "b", "LEFT", "LEFT")).toEqual(kf)

      const names = yield* redis.commandList()
      expect(names).toEqual(expect.arrayContaining(["get", "config|get", "client|no-evict"]))
      expect((yield* redis.commandList({ pattern: "xinfo*" })).slice().sort()).toEqual(["xinfo", "xinfo|consumers", "xinfo|groups", "xinfo|help", "xinfo|stream"])
      expect((yield* redis.commandList({ aclcat: "hyperloglog" })).slice().sort()).toEqual(["pfadd", "pfcount", "pfdebug", "pfmerge", "pfselftest"])
      expect(yield* redis.commandList({ module: "nomodule" })).toEqual([])
      expect((yield* redis.commandHelp())[0]).toContain("COMMAND <subcommand>")
    }))

  it.effect("CONFIG GET from any node, SET/RESETSTAT/REWRITE on every node", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const resp2 = yield* Resp2
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const masters = yield* masterAddresses
      const before = yield* redis.configGet("slowlog-max-len", "maxmemory-polic*")
      expect(before).toEqual({ "slowlog-max-len": "128", "maxmemory-policy": "noeviction" })
      expect(yield* resp2.configGet("slowlog-max-len", "maxmemory-polic*")).toEqual(before)
      expect(yield* redis.configGet("no-such-parameter")).toEqual({})

      yield* redis.configSet({ "slowlog-max-len": 200, "maxmemory-policy": "allkeys-lru" })
      for (const m of masters) {
        expect(yield* fixture.command(m.port, "CONFIG", "GET", "slowlog-max-len")).toEqual(["slowlog-max-len", "200"])
      }
      expect(yield* redis.configGet("slowlog-max-len", "maxmemory-policy")).toEqual({ "slowlog-max-len": "200", "maxmemory-policy": "allkeys-lru" })
      expect((yield* failureOf(redis.configSet({ "slowlog-max-len": "not-a-number" })))?._tag).toBe("ReplyError")
      yield* resp2.configSet({ "slowlog-max-len": 128, "maxmemory-policy": "noeviction" })
      expect(yield* redis.configGet("slowlog-max-len", "maxmemory-policy")).toEqual({ "slowlog-max-len": "128", "maxmemory-policy": "noeviction" })

      yield* redis.set("srv:stat", "1")
      yield* redis.configResetstat()
      for (const m of masters) {
        const stats = yield* nodePart(redis, m, Command.info("stats"))
        expect(Number(stats["total_commands_processed"])).toBeLessThan(20)
        expect(stats["keyspace_hits"]).toBe("0")
      }
      // The fixture's nodes run without a config file.
      const rewrite = yield* failureOf(redis.configRewrite())
      expect(rewrite?._tag).toBe("ReplyError")
      expect(rewrite?.message).toContain("config file")
      expect((yield* redis.configHelp())[0]).toContain("CONFIG <subcommand>")
    }))

  it.effect("DBSIZE adds up the masters; FLUSHDB/FLUSHALL empty every master", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const resp2 = yield* Resp2
      yield* redis.flushall()
      expect(yield* redis.dbsize()).toBe(0)
      const keys = Array.from({ length: 30 }, (_, i) => `srv:db:${i}`)
      yield* redis.mset(Object.fromEntries(keys.map((k) => [k, "v"])))
      expect(yield* redis.dbsize()).toBe(30)
      expect(yield* resp2.dbsize()).toBe(30)
      const parts = yield* redis.perNode(Command.dbsize())
      expect(parts).toHaveLength(3)
      expect(parts.every((p) => (p.value as number) > 0 && (p.value as number) < 30)).toBe(true)
      yield* redis.flushdb("ASYNC")
      expect(yield* redis.dbsize()).toBe(0)
      yield* redis.mset(Object.fromEntries(keys.map((k) => [k, "v"])))
      yield* redis.flushall("SYNC")
      expect(yield* redis.dbsize()).toBe(0)
      yield* redis.set("srv:db:x", "1")
      yield* resp2.flushdb()
      expect(yield* redis.exists("srv:db:x")).toBe(0)
    }))

  it.effect("SAVE, LASTSAVE by node, BGSAVE, BGREWRITEAOF", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const masters = yield* masterAddresses
      const start = Math.floor(Date.now() / 1000)
      yield* redis.save()
      const last = yield* redis.lastsave()
      expect(Object.keys(last).sort()).toEqual(masters.map((m) => m.address).sort())
      for (const t of Object.values(last)) expect(t).toBeGreaterThanOrEqual(start - 1)
      expect(yield* nodePart(redis, masters[0]!, Command.lastsave())).toBe(last[masters[0]!.address])
      expect(yield* redis.bgsave({ schedule: true })).toMatch(/^Background saving (started|scheduled)$/)
      expect(yield* redis.bgrewriteaof()).toMatch(/^Background append only file rewriting (started|scheduled)$/)
    }))

  it.effect("INFO by node (sections), executeOn for one node; ROLE, TIME, LOLWUT", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const resp2 = yield* Resp2
      const masters = yield* masterAddresses
      const info = yield* redis.info()
      expect(Object.keys(info).sort()).toEqual(masters.map((m) => m.address).sort())
      for (const m of masters) {
        expect(info[m.address]!["redis_version"]).toBe("7.0.15")
        expect(info[m.address]!["tcp_port"]).toBe(String(m.port))
        expect(info[m.address]!["cluster_enabled"]).toBe("1")
      }
      const some = yield* redis.info("server", "clients")
      const fields = some[masters[0]!.address]!
      expect(fields["redis_version"]).toBe("7.0.15")
      expect(fields["connected_clients"]).toBeDefined()
      expect(fields["used_memory"]).toBeUndefined()
      const one = yield* nodePart(redis, masters[1]!, Command.info("server"))
      expect(one["tcp_port"]).toBe(String(masters[1]!.port))
      const two = yield* resp2.info("server")
      expect(two[masters[2]!.address]!["redis_version"]).toBe("7.0.15")

      const role = yield* redis.role()
      expect(role.role).toBe("master")
      if (role.role === "master") {
        expect(role.replicationOffset).toBeGreaterThanOrEqual(0)
        expect(role.replicas).toEqual([])
      }
      expect((yield* resp2.role()).role).toBe("master")

      const [seconds, micros] = yield* redis.time()
      expect(Math.abs(seconds - Date.now() / 1000)).toBeLessThan(10)
      expect(micros).toBeGreaterThanOrEqual(0)
      expect(micros).toBeLessThan(1_000_000)
      const [s2] = yield* resp2.time()
      expect(Math.abs(s2 - seconds)).toBeLessThan(10)

      expect(yield* redis.lolwut()).toContain("Redis ver. 7.0.15")
      expect(yield* redis.lolwut(5)).toContain("Redis ver. 7.0.15")
      expect(yield* resp2.lolwut(6)).toContain("Redis ver. 7.0.15")
    }))

  it.effect("LATENCY: per-node events from DEBUG SLEEP on one node, HISTOGRAM, RESET", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const resp2 = yield* Resp2
      const masters = yield* masterAddresses
      const target = masters[0]!
      yield* redis.configSet({ "latency-monitor-threshold": 10 })
      yield* redis.latencyReset()
      expect(yield* redis.executeOn(target, Command.debug("SLEEP", 0.05))).toBe("OK")

      const latest = yield* redis.latencyLatest()
      expect(Object.keys(latest).sort()).toEqual(masters.map((m) => m.address).sort())
      const events = latest[target.address]!
      const commandEvent = events.find((e) => e.event === "command")!
      expect(commandEvent.latestMillis).toBeGreaterThanOrEqual(50)
      expect(commandEvent.maxMillis).toBeGreaterThanOrEqual(commandEvent.latestMillis)
      expect(Math.abs(commandEvent.timestamp - Date.now() / 1000)).toBeLessThan(10)
      expect(latest[masters[1]!.address]).toEqual([])
      expect((yield* resp2.latencyLatest())[target.address]!.find((e) => e.event === "command")!.latestMillis).toBe(commandEvent.latestMillis)

      const history = (yield* redis.latencyHistory("command"))[target.address]!
      expect(history).toHaveLength(1)
      expect(history[0]![1]).toBeGreaterThanOrEqual(50)
      expect(yield* nodePart(redis, target, Command.latencyGraph("command"))).toContain("command")
      // Every node is asked; a node without samples of the event answers with an error.
      expect((yield* failureOf(redis.latencyGraph("command")))?.message).toContain("No samples available")
      const doctor = yield* redis.latencyDoctor()
      expect(Object.keys(doctor)).toHaveLength(3)
      expect(doctor[target.address]).toContain("command")

      const histogram = (yield* redis.latencyHistogram("debug", "set"))[target.address]!
      expect(histogram["debug"]!.calls).toBe(1)
      expect(histogram["debug"]!.histogram.reduce((n, [, c]) => n + c, 0)).toBe(1)
      expect(histogram["debug"]!.histogram[0]![0]).toBeGreaterThanOrEqual(32768)
      expect((yield* resp2.latencyHistogram("debug"))[target.address]).toEqual({ debug: histogram["debug"] })

      expect(yield* redis.latencyReset()).toBeGreaterThanOrEqual(1)
      expect(Object.values(yield* redis.latencyLatest()).flat()).toEqual([])
      expect(yield* redis.latencyReset("command")).toBe(0)
      yield* redis.configSet({ "latency-monitor-threshold": 0 })
      expect((yield* redis.latencyHelp())[0]).toContain("LATENCY <subcommand>")
    }))

  it.effect("MEMORY USAGE by key (none when missing); DOCTOR/MALLOC-STATS/STATS/PURGE on every master", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const resp2 = yield* Resp2
      const masters = yield* masterAddresses
      expect(yield* redis.memoryUsage("srv:mem:none")).toEqual(Option.none())
      yield* redis.set("srv:mem", "x".repeat(1000))
      const usage = yield* redis.memoryUsage("srv:mem")
      expect(Option.getOrElse(usage, () => 0)).toBeGreaterThan(1000)
      expect(yield* redis.memoryUsage("srv:mem", { samples: 0 })).toEqual(usage)
      expect(yield* resp2.memoryUsage(new TextEncoder().encode("srv:mem"))).toEqual(usage)
      expect(Command.memoryUsage("srv:mem").readOnly).toBe(true)

      const stats = yield* redis.memoryStats()
      expect(Object.keys(stats).sort()).toEqual(masters.map((m) => m.address).sort())
      for (const s of Object.values(stats)) {
        expect(typeof s["peak.allocated"]).toBe("number")
        expect(typeof s["dataset.percentage"]).toBe("number")
      }
      const withDb = Object.values(stats).filter((s) => typeof s["db.0"] === "object")
      expect(withDb.length).toBeGreaterThanOrEqual(1)
      expect(typeof (withDb[0]!["db.0"] as Record<string, number>)["overhead.hashtable.main"]).toBe("number")
      const stats2 = yield* resp2.memoryStats()
      for (const address of Object.keys(stats)) {
        expect(Object.keys(stats2[address]!).sort()).toEqual(Object.keys(stats[address]!).sort())
      }

      const doctor = yield* redis.memoryDoctor()
      expect(Object.keys(doctor)).toHaveLength(3)
      for (const text of Object.values(doctor)) expect(text.length).toBeGreaterThan(10)
      const malloc = yield* redis.memoryMallocStats()
      for (const text of Object.values(malloc)) expect(text).toContain("jemalloc")
      expect(yield* redis.memoryPurge()).toBeUndefined()
      expect((yield* redis.memoryHelp())[0]).toContain("MEMORY <subcommand>")
    }))

  it.effect("MODULE LIST/LOAD/LOADEX/UNLOAD/HELP", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const resp2 = yield* Resp2
      expect(yield* redis.moduleList()).toEqual([])
      expect(yield* resp2.moduleList()).toEqual([])
      const load = yield* failureOf(redis.moduleLoad("/nonexistent/module.so", "arg"))
      expect(load?._tag).toBe("ReplyError")
      expect(load?.message).toContain("Error loading the extension")
      const loadex = yield* failureOf(redis.moduleLoadex("/nonexistent/module.so", { configs: { a: "1" }, args: ["x"] }))
      expect(loadex?._tag).toBe("ReplyError")
      const unload = yield* failureOf(redis.moduleUnload("nomodule"))
      expect(unload?.message).toContain("no such module")
      expect(Command.moduleLoadex("/m.so", { configs: { a: "1", b: 2 }, args: ["x", 3] }).args).toEqual([
        "MODULE", "LOADEX", "/m.so", "CONFIG", "a", "1", "CONFIG", "b", 2, "ARGS", "x", 3
      ])
      expect((yield* redis.moduleHelp())[0]).toContain("MODULE <subcommand>")
    }))

  it.effect("SLOWLOG GET by node, LEN summed, RESET", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const resp2 = yield* Resp2
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const k = "srv:slow"
      const owner = yield* fixture.masterOf(Slot.slot(k))
      const address = `${owner.host}:${owner.port}`
      yield* redis.configSet({ "slowlog-log-slower-than": 0 })
      yield* redis.slowlogReset()
      yield* redis.get(k)
      const log = yield* redis.slowlogGet(50)
      expect(Object.keys(log)).toHaveLength(3)
      const entry = log[address]!.find((e) => e.args[0]?.toLowerCase() === "get" && e.args[1] === k)!
      expect(entry).toBeDefined()
      expect(entry.clientName).toBe("ks-srv")
      expect(entry.clientAddress).toMatch(/^127\.0\.0\.1:\d+$/)
      expect(entry.durationMicros).toBeGreaterThanOrEqual(0)
      expect(Math.abs(entry.timestamp - Date.now() / 1000)).toBeLessThan(10)
      const log2 = yield* resp2.slowlogGet(50)
      expect(log2[address]!.some((e) => e.id === entry.id && e.args[1] === k)).toBe(true)
      expect(yield* redis.slowlogLen()).toBeGreaterThanOrEqual(3)
      yield* redis.configSet({ "slowlog-log-slower-than": 10000 })
      yield* redis.slowlogReset()
      expect(yield* redis.slowlogLen()).toBe(0)
      expect(Object.values(yield* redis.slowlogGet()).flat()).toEqual([])
      expect((yield* redis.slowlogHelp())[0]).toContain("SLOWLOG <subcommand>")
    }))

  it.effect("DEBUG and WAIT run on one node through executeOn; execute refuses them", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      // Without a node they are refused, never sent to a node picked at random.
      const refused = yield* Effect.result(redis.debug("SLEEP", 0))
      expect(Result.isFailure(refused) && refused.failure._tag).toBe("UnsupportedCommandError")
      const k = "srv:debug"
      yield* redis.set(k, "12345")
      const owner = yield* fixture.masterOf(Slot.slot(k))
      const node = { host: owner.host, port: owner.port }
      expect(yield* redis.executeOn(node, Command.debug("SLEEP", 0))).toBe("OK")
      expect(String(yield* redis.executeOn(node, Command.debug("OBJECT", k)))).toContain("encoding:int")

      // No replicas here: WAIT 0 answers at once with 0 (cluster.test.ts waits for a real replica).
      expect(Result.isFailure(yield* Effect.result(redis.wait(0, 0)))).toBe(true)
      expect(yield* redis.executeOn(node, Command.wait(0, 0))).toBe(0)
    }))

  it.effect("commands a cluster client refuses fail with UnsupportedCommandError saying why", () =>
    Effect.gen(function*() {
      const redis = yield* RedisCluster.RedisCluster
      const refused = [
        [redis.failover(), "CLUSTER FAILOVER"],
        [redis.monitor(), "stream"],
        [redis.psync("?", -1), "replication"],
        [redis.sync(), "replication"],
        [redis.replconf("listening-port", "1"), "replication"],
        [redis.replicaof("127.0.0.1", 1), "clusterReplicate"],
        [redis.slaveof("127.0.0.1", 1), "clusterReplicate"],
        [redis.shutdown(), "does not stop nodes"],
        [redis.swapdb(0, 1), "database 0"],
        [redis.restoreAsking(), "MIGRATE"]
      ] as const
      for (const [effect, reason] of refused) {
        const error = yield* failureOf(effect)
        expect(error?._tag).toBe("UnsupportedCommandError")
        expect(error?.reason).toContain(reason)
      }
    }))
})
