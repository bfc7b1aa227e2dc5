/**
 * Every command and subcommand the server lists in `COMMAND LIST` has a `Command` constructor and a
 * `RedisCluster` method of the expected camelCase name: lower case, the subcommand appended in
 * PascalCase, the `-` `_` `|` separators removed (`client|no-evict` → `clientNoEvict`,
 * `georadius_ro` → `georadiusRo`, `restore-asking` → `restoreAsking`, `object|help` → `objectHelp`).
 */
import { expect, layer } from "@effect/vitest"
import { Command, RedisCluster } from "@keyslot/core"
import { NodeRedisCluster } from "@keyslot/node"
import { RedisClusterFixture } from "@keyslot/test-utils"
import { Effect, Layer } from "effect"

const Fixture = RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 0 })

const Client = Layer.unwrap(
  Effect.map(Effect.service(RedisClusterFixture.RedisClusterFixture), (f) =>
    NodeRedisCluster.layer({ startupNodes: [f.startupNodes[0]!], commandTimeout: "5 seconds" }))
)

const Env = Client.pipe(Layer.provideMerge(Fixture))

/**
 * Names with no `Command` constructor on purpose, each with its reason (the `RedisCluster` method is
 * still required). Keep this short: a command the client refuses still gets a constructor (an
 * `unsupported` one that says why).
 */
const NO_CONSTRUCTOR: Readonly<Record<string, string>> = {
  scan: "SCAN cursors belong to one node: redis.scan is a Stream over every master (a cursor each), not one command"
}

/** `client|no-evict` → `clientNoEvict`. */
const methodName = (command: string): string => {
  const [first, ...rest] = command.toLowerCase().split(/[-_|]/)
  return first + rest.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("")
}

const asStrings = (reply: unknown): ReadonlyArray<string> => (Array.isArray(reply) ? reply.map(String) : [])

layer(Env, { timeout: "60 seconds", excludeTestServices: true })("command coverage", (it) => {
  it.effect("the method names follow the rule", () =>
    Effect.sync(() => {
      expect(methodName("client|no-evict")).toBe("clientNoEvict")
      expect(methodName("georadius_ro")).toBe("georadiusRo")
      expect(methodName("restore-asking")).toBe("restoreAsking")
      expect(methodName("object|help")).toBe("objectHelp")
      expect(methodName("cluster|count-failure-reports")).toBe("clusterCountFailureReports")
      expect(methodName("memory|malloc-stats")).toBe("memoryMallocStats")
    }))

  it.effect("every command and subcommand of COMMAND LIST has a Command constructor and a RedisCluster method", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const redis = yield* RedisCluster.RedisCluster
      const port = fixture.startupNodes[0]!.port
      const names = asStrings(yield* fixture.command(port, "COMMAND", "LIST"))
      expect(names.length).toBeGreaterThan(300)

      // A container (`config`, `xinfo`...) runs only with a subcommand (arity -2), except `command`
      // itself (arity -1: plain `COMMAND` lists every command): containers need no method of their own.
      const containers = Array.from(new Set(names.filter((n) => n.includes("|")).map((n) => n.split("|")[0]!)))
      const infos = (yield* fixture.command(port, "COMMAND", "INFO", ...containers)) as ReadonlyArray<ReadonlyArray<unknown>>
      const subcommandOnly = new Set(infos.filter((e) => Number(e[1]) === -2).map((e) => String(e[0])))
      const expected = names.filter((n) => !subcommandOnly.has(n)).map((n) => ({ command: n, method: methodName(n) }))

      const constructors = Command as unknown as Record<string, unknown>
      const methods = redis as unknown as Record<string, unknown>
      const missingConstructor = expected.filter((e) => NO_CONSTRUCTOR[e.method] === undefined && typeof constructors[e.method] !== "function")
      const missingMethod = expected.filter((e) => typeof methods[e.method] !== "function")
      const missing = Array.from(new Set([...missingConstructor, ...missingMethod].map((e) => `${e.command} → ${e.method}`))).sort()
      // An exemption whose constructor now exists is stale: drop it.
      const stale = Object.keys(NO_CONSTRUCTOR).filter((name) => typeof constructors[name] === "function")

      console.log(
        `COMMAND LIST: ${names.length} names, ${subcommandOnly.size} subcommand-only containers; ` +
          `${expected.length} commands+subcommands expected, ${expected.length - missing.length} covered, ` +
          `${Object.keys(NO_CONSTRUCTOR).length} without constructor by exemption, ${missing.length} missing` +
          (missing.length > 0 ? `:\n  ${missing.join("\n  ")}` : "")
      )
      // Each constructor builds a Command (spot check with no-argument constructors).
      expect(Command.dbsize()).toBeInstanceOf(Command.Command)
      expect({
        missingConstructor: missingConstructor.map((e) => e.method),
        missingMethod: missingMethod.map((e) => e.method),
        staleExemptions: stale
      }).toEqual({ missingConstructor: [], missingMethod: [], staleExemptions: [] })
    }))
})
