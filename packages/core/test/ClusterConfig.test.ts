import { describe, expect, it } from "@effect/vitest"
import { Cause, Config, ConfigProvider, Duration, Effect, Exit, Option, Redacted, Schedule } from "effect"
import fc from "fast-check"
import * as ClusterConfig from "../src/ClusterConfig.js"
import type { RedisClusterConfig } from "../src/ClusterConfig.js"
import { ConfigError } from "../src/ClusterError.js"

const seeds = [{ host: "127.0.0.1", port: 7000 }] as const
const base: RedisClusterConfig = { startupNodes: seeds }

/** Options as JavaScript callers may pass them: anything, bypassing the types on purpose. */
const untyped = (options: Record<string, unknown>): RedisClusterConfig => ({ ...base, ...options }) as RedisClusterConfig

const rejectResolve = (config: RedisClusterConfig) => Effect.flip(ClusterConfig.resolve(config))
const rejectUrl = (url: string, overrides?: Partial<RedisClusterConfig>) => Effect.flip(ClusterConfig.fromUrl(url, overrides))

const expectConfigError = (error: ConfigError, field: string, reason?: RegExp) => {
  expect(error).toBeInstanceOf(ConfigError)
  expect(error._tag).toBe("ConfigError")
  expect(error.field).toBe(field)
  if (reason !== undefined) expect(error.reason).toMatch(reason)
}

const resolved = (config: RedisClusterConfig) => Effect.runSync(ClusterConfig.resolve(config))
const fromUrlThenResolve = (url: string, overrides?: Partial<RedisClusterConfig>) =>
  ClusterConfig.fromUrl(url, overrides).pipe(Effect.flatMap(ClusterConfig.resolve))

describe("resolve: defaults", () => {
  it.effect("fills in every default", () =>
    Effect.gen(function*() {
      const config = yield* ClusterConfig.resolve(base)
      expect(config).toEqual({
        startupNodes: [{ host: "127.0.0.1", port: 7000 }],
        username: undefined,
        password: undefined,
        tls: undefined,
        clientName: undefined,
        protocol: 3,
        readFrom: "master",
        skipFullCoverageCheck: false,
        followCluster: false,
        validateRedirects: true,
        hostPortRemap: expect.any(Function),
        hostPortRemapRules: undefined,
        maxRedirects: 16,
        refreshAfterMoved: 25,
        topologyRefreshIntervalMillis: 30_000,
        minRefreshIntervalMillis: 100,
        connectTimeoutMillis: 10_000,
        commandTimeoutMillis: 10_000,
        maxBlockingConnectionsPerNode: 50,
        blockingPoolTimeoutMillis: 20_000,
        clusterDownRetryAttempts: 3,
        maxReplyBulkBytes: 64 * 1024 * 1024,
        maxReplyElements: 16_777_216,
        maxPendingCommands: 100_000,
        db: 0,
        retry: { tryAgain: undefined, clusterDown: undefined, loading: undefined, reconnect: undefined },
        tracing: false,
        metrics: false
      })
      const endpoint = { host: "10.0.0.1", port: 7001 }
      expect(config.hostPortRemap(endpoint)).toBe(endpoint)
    }))

  it.effect("the exported defaults are the ones applied", () =>
    Effect.gen(function*() {
      const config = yield* ClusterConfig.resolve(base)
      for (const [key, value] of Object.entries(ClusterConfig.defaults)) {
        expect(config[key as keyof typeof ClusterConfig.defaults]).toBe(value)
      }
    }))

  it.effect("an option set to undefined counts as absent", () =>
    Effect.gen(function*() {
      const config = yield* ClusterConfig.resolve({
        ...base,
        connectTimeout: undefined,
        readFrom: undefined,
        tls: undefined,
        retry: { tryAgain: undefined },
        password: undefined
      })
      expect(config.connectTimeoutMillis).toBe(10_000)
      expect(config.readFrom).toBe("master")
      expect(config.tls).toBeUndefined()
      expect(config.retry.tryAgain).toBeUndefined()
    }))

  it.effect("keeps every given value", () =>
    Effect.gen(function*() {
      const password = Redacted.make("hunter2")
      const tryAgain = Schedule.spaced("5 millis")
      const reconnect = Schedule.exponential("10 millis")
      const config = yield* ClusterConfig.resolve({
        startupNodes: seeds,
        username: "ada",
        password,
        clientName: "worker-1",
        protocol: 2,
        readFrom: "replicaPreferred",
        skipFullCoverageCheck: true,
        followCluster: true,
        maxRedirects: 0,
        refreshAfterMoved: 0,
        maxBlockingConnectionsPerNode: 1,
        clusterDownRetryAttempts: 0,
        db: 0,
        retry: { tryAgain, reconnect },
        tracing: true,
        metrics: true
      })
      expect(config.username).toBe("ada")
      expect(config.password).toBe(password)
      expect(config.clientName).toBe("worker-1")
      expect(config.protocol).toBe(2)
      expect(config.readFrom).toBe("replicaPreferred")
      expect(config.skipFullCoverageCheck).toBe(true)
      expect(config.followCluster).toBe(true)
      expect(config.maxRedirects).toBe(0)
      expect(config.refreshAfterMoved).toBe(0)
      expect(config.maxBlockingConnectionsPerNode).toBe(1)
      expect(config.clusterDownRetryAttempts).toBe(0)
      expect(config.retry.tryAgain).toBe(tryAgain)
      expect(config.retry.reconnect).toBe(reconnect)
      expect(config.retry.clusterDown).toBeUndefined()
      expect(config.tracing).toBe(true)
      expect(config.metrics).toBe(true)
    }))

  it.effect("accepts every ReadFrom policy", () =>
    Effect.gen(function*() {
      for (const readFrom of ClusterConfig.readFromValues) {
        expect((yield* ClusterConfig.resolve({ ...base, readFrom })).readFrom).toBe(readFrom)
      }
    }))
})

describe("resolve: normalisation", () => {
  it.effect("deduplicates seeds (host case-insensitively), strips IPv6 brackets, ignores extra keys on seeds", () =>
    Effect.gen(function*() {
      const config = yield* ClusterConfig.resolve(untyped({
        startupNodes: [
          { host: "node-a", port: 7000 },
          { host: "NODE-A", port: 7000 },
          { host: "node-a", port: 7001, id: "extra keys on seeds are fine" },
          { host: "[::1]", port: 7002 },
          { host: "::1", port: 7002 },
          { host: "node-a", port: 7000 }
        ]
      }))
      expect(config.startupNodes).toEqual([
        { host: "node-a", port: 7000 },
        { host: "node-a", port: 7001 },
        { host: "::1", port: 7002 }
      ])
    }))

  it.effect("tls: true → {}, false → undefined, options kept", () =>
    Effect.gen(function*() {
      expect((yield* ClusterConfig.resolve({ ...base, tls: true })).tls).toEqual({})
      expect((yield* ClusterConfig.resolve({ ...base, tls: false })).tls).toBeUndefined()
      const ca = new Uint8Array([1, 2, 3])
      const config = yield* ClusterConfig.resolve({
        ...base,
        tls: { ca: ["pem", ca], cert: "cert", key: "key", servername: "redis.example", rejectUnauthorized: false }
      })
      expect(config.tls).toEqual({ ca: ["pem", ca], cert: "cert", key: "key", servername: "redis.example", rejectUnauthorized: false })
    }))

  it.effect("durations: numbers are millis, strings, Durations, bigint nanos and [s, ns] tuples; 0 and infinity mean none", () =>
    Effect.gen(function*() {
      const config = yield* ClusterConfig.resolve({
        ...base,
        connectTimeout: 250,
        commandTimeout: "2 seconds",
        blockingPoolTimeout: Duration.minutes(1),
        topologyRefreshInterval: BigInt(5_000_000_000),
        minRefreshInterval: [1, 500_000_000]
      })
      expect(config.connectTimeoutMillis).toBe(250)
      expect(config.commandTimeoutMillis).toBe(2_000)
      expect(config.blockingPoolTimeoutMillis).toBe(60_000)
      expect(config.topologyRefreshIntervalMillis).toBe(5_000)
      expect(config.minRefreshIntervalMillis).toBe(1_500)
      // Effect 4's Duration.Input also admits unit objects
      const units = yield* ClusterConfig.resolve({ ...base, connectTimeout: { seconds: 1, milliseconds: 500 } })
      expect(units.connectTimeoutMillis).toBe(1_500)
      const off = yield* ClusterConfig.resolve({
        ...base,
        topologyRefreshInterval: 0,
        commandTimeout: Duration.infinity,
        connectTimeout: Infinity,
        blockingPoolTimeout: "0 millis",
        minRefreshInterval: 0
      })
      expect(off.topologyRefreshIntervalMillis).toBe(0)
      expect(off.commandTimeoutMillis).toBe(0)
      expect(off.connectTimeoutMillis).toBe(0)
      expect(off.blockingPoolTimeoutMillis).toBe(0)
      expect(off.minRefreshIntervalMillis).toBe(0)
    }))

  it.effect("a remap function is used as given", () =>
    Effect.gen(function*() {
      const remap = (e: { readonly host: string; readonly port: number }) => ({ host: "tunnel", port: e.port + 10_000 })
      const config = yield* ClusterConfig.resolve({ ...base, hostPortRemap: remap })
      expect(config.hostPortRemap).toBe(remap)
      expect(config.hostPortRemapRules).toBeUndefined()
    }))
})

describe("resolve: hostPortRemap table semantics", () => {
  const remap = resolved({
    ...base,
    hostPortRemap: [
      { from: { host: "10.0.0.1", port: 7000 }, to: { host: "127.0.0.1", port: 17000 } },
      { from: { host: "10.0.0.1" }, to: { host: "127.0.0.1" } },
      { from: { port: 7005 }, to: { port: 17005 } },
      { from: { host: "Redis.Internal" }, to: { host: "redis.example", port: 6380 } },
      { from: { host: "[fd00::1]" }, to: { host: "[::1]" } },
      { from: { port: 7005 }, to: { port: 99 } }
    ]
  }).hostPortRemap

  it("host and port both given: both must match, both replaced", () => {
    expect(remap({ host: "10.0.0.1", port: 7000 })).toEqual({ host: "127.0.0.1", port: 17000 })
  })
  it("host only: any port of that host, port kept", () => {
    expect(remap({ host: "10.0.0.1", port: 7003 })).toEqual({ host: "127.0.0.1", port: 7003 })
  })
  it("port only: any host with that port, host kept; the first matching rule wins", () => {
    expect(remap({ host: "10.0.0.9", port: 7005 })).toEqual({ host: "10.0.0.9", port: 17005 })
  })
  it("host names match case-insensitively; IPv6 brackets are ignored", () => {
    expect(remap({ host: "redis.internal", port: 1 })).toEqual({ host: "redis.example", port: 6380 })
    expect(remap({ host: "fd00::1", port: 7000 })).toEqual({ host: "::1", port: 7000 })
  })
  it("endpoints no rule matches are returned unchanged", () => {
    const endpoint = { host: "10.0.0.2", port: 7000 }
    expect(remap(endpoint)).toBe(endpoint)
  })
  it.effect("an empty table is the identity, and the table is kept for logs", () =>
    Effect.gen(function*() {
      const empty = yield* ClusterConfig.resolve({ ...base, hostPortRemap: [] })
      const endpoint = { host: "a", port: 1 }
      expect(empty.hostPortRemap(endpoint)).toBe(endpoint)
      const rules = [{ from: { port: 1 }, to: { port: 2 } }]
      expect((yield* ClusterConfig.resolve({ ...base, hostPortRemap: rules })).hostPortRemapRules).toEqual(rules)
    }))
})

describe("resolve: every rejection names its field", () => {
  const cases: ReadonlyArray<readonly [string, Record<string, unknown>, string, RegExp?]> = [
    ["missing startupNodes", { startupNodes: undefined }, "startupNodes", /required/],
    ["empty startupNodes", { startupNodes: [] }, "startupNodes", /at least one/],
    ["startupNodes not an array", { startupNodes: "127.0.0.1:7000" }, "startupNodes", /array/],
    ["a seed that is not an object", { startupNodes: [seeds[0], 7001] }, "startupNodes[1]", /host, port/],
    ["port 0", { startupNodes: [{ host: "a", port: 0 }] }, "startupNodes[0].port", /1\.\.65535, got 0/],
    ["port 70000 of the second seed", { startupNodes: [seeds[0], { host: "b", port: 70000 }] }, "startupNodes[1].port", /70000/],
    ["fractional port", { startupNodes: [{ host: "a", port: 7000.5 }] }, "startupNodes[0].port", /integer/],
    ["port as a string", { startupNodes: [{ host: "a", port: "7000" }] }, "startupNodes[0].port", /"7000"/],
    ["missing port", { startupNodes: [{ host: "a" }] }, "startupNodes[0].port", /required/],
    ["empty host", { startupNodes: [{ host: "", port: 7000 }] }, "startupNodes[0].host", /non-empty/],
    ["host with a space", { startupNodes: [{ host: "a b", port: 7000 }] }, "startupNodes[0].host"],
    ["negative maxRedirects", { maxRedirects: -1 }, "maxRedirects", /non-negative integer/],
    ["fractional maxRedirects", { maxRedirects: 1.5 }, "maxRedirects", /1\.5/],
    ["NaN maxRedirects", { maxRedirects: Number.NaN }, "maxRedirects", /NaN/],
    ["negative refreshAfterMoved", { refreshAfterMoved: -3 }, "refreshAfterMoved"],
    ["string clusterDownRetryAttempts", { clusterDownRetryAttempts: "3" }, "clusterDownRetryAttempts"],
    ["maxBlockingConnectionsPerNode 0", { maxBlockingConnectionsPerNode: 0 }, "maxBlockingConnectionsPerNode", /at least 1/],
    ["protocol 4", { protocol: 4 }, "protocol", /2 or 3/],
    ["unknown readFrom", { readFrom: "slave" }, "readFrom", /"slave"/],
    ["db 1", { db: 1 }, "db", /not possible in cluster mode/],
    ["db as a string", { db: "0" }, "db", /cluster mode/],
    ["negative connectTimeout", { connectTimeout: -1 }, "connectTimeout", /non-negative duration/],
    ["NaN commandTimeout", { commandTimeout: Number.NaN }, "commandTimeout", /NaN/],
    ["negative duration string", { commandTimeout: "-5 seconds" }, "commandTimeout"],
    ["unparsable duration string", { blockingPoolTimeout: "5 parsecs" }, "blockingPoolTimeout", /parsecs/],
    // Effect 4's Duration.Input admits { seconds: 5 } (accepted above), so the refused object is one naming no unit
    ["duration as an object", { topologyRefreshInterval: { parsecs: 5 } }, "topologyRefreshInterval"],
    ["negative bigint duration", { connectTimeout: BigInt(-1) }, "connectTimeout"],
    ["negative tuple duration", { connectTimeout: [-1, 0] }, "connectTimeout"],
    ["infinite minRefreshInterval", { minRefreshInterval: Duration.infinity }, "minRefreshInterval", /finite/],
    ["remap rule with an empty from", { hostPortRemap: [{ from: {}, to: { host: "x" } }] }, "hostPortRemap[0].from", /host, a port, or both/],
    ["remap rule with an empty to", { hostPortRemap: [{ from: { port: 1 }, to: {} }] }, "hostPortRemap[0].to"],
    ["remap rule with an empty host", { hostPortRemap: [{ from: { host: "" }, to: { port: 1 } }] }, "hostPortRemap[0].from.host"],
    ["remap rule with a bad port", {
      hostPortRemap: [{ from: { port: 1 }, to: { port: 2 } }, { from: { port: 1 }, to: { port: -2 } }]
    }, "hostPortRemap[1].to.port"],
    ["remap rule missing to", { hostPortRemap: [{ from: { port: 1 } }] }, "hostPortRemap[0].to", /required/],
    ["remap that is neither a table nor a function", { hostPortRemap: "10.0.0.1>127.0.0.1" }, "hostPortRemap", /function/],
    ["remap rule with a typo", { hostPortRemap: [{ form: { port: 1 }, from: { port: 1 }, to: { port: 2 } }] }, "hostPortRemap[0].form", /did you mean from\?/],
    ["tls of the wrong type", { tls: "yes" }, "tls", /true, false, or TLS options/],
    ["tls option typo", { tls: { rejectUnauthorised: false } }, "tls.rejectUnauthorised", /did you mean rejectUnauthorized\?/],
    ["tls.rejectUnauthorized not a boolean", { tls: { rejectUnauthorized: "false" } }, "tls.rejectUnauthorized"],
    ["tls.ca of the wrong type", { tls: { ca: 5 } }, "tls.ca", /PEM/],
    ["tls.servername empty", { tls: { servername: "" } }, "tls.servername"],
    ["password as a plain string", { password: "hunter2" }, "password", /Redacted/],
    ["empty password", { password: Redacted.make("") }, "password"],
    ["empty username", { username: "" }, "username"],
    ["clientName with a space", { clientName: "my app" }, "clientName", /without spaces/],
    ["retry that is not an object", { retry: 3 }, "retry", /Schedules/],
    ["retry schedule that is not a Schedule", { retry: { tryAgain: 5 } }, "retry.tryAgain", /a Schedule/],
    ["retry typo", { retry: { tryagain: Schedule.recurs(1) } }, "retry.tryagain", /did you mean tryAgain\?/],
    ["unknown option with a close name", { readfrom: "replica" }, "readfrom", /did you mean readFrom\?/],
    ["redis-py-cluster's snake_case name", { skip_full_coverage_check: true }, "skip_full_coverage_check", /did you mean skipFullCoverageCheck\?/],
    ["unknown option with no close name", { banana: 1 }, "banana", /^unknown option "banana"$/],
    ["tracing not a boolean", { tracing: "yes" }, "tracing", /true or false/]
  ]
  for (const [name, options, field, reason] of cases) {
    it.effect(name, () =>
      Effect.gen(function*() {
        expectConfigError(yield* rejectResolve(untyped(options)), field, reason)
      }))
  }

  it.effect("a config that is not an object", () =>
    Effect.gen(function*() {
      expectConfigError(yield* rejectResolve(null as unknown as RedisClusterConfig), "config", /object/)
      expectConfigError(yield* rejectResolve([] as unknown as RedisClusterConfig), "config", /object/)
    }))

  it.effect("names the first problem and lists the others in the reason", () =>
    Effect.gen(function*() {
      const error = yield* rejectResolve(untyped({ protocol: 4, readFrom: "slave", maxRedirects: -1 }))
      expectConfigError(error, "protocol", /also readFrom: .*slave.*; maxRedirects:/)
      expect(error.message).toMatch(/^invalid configuration: protocol: /)
    }))

  it.effect("never echoes the password or TLS key material", () =>
    Effect.gen(function*() {
      const password = yield* rejectResolve(untyped({ password: "hunter2" }))
      expect(password.message).not.toContain("hunter2")
      const key = yield* rejectResolve(untyped({ tls: { key: 42424242 } }))
      expectConfigError(key, "tls.key")
      expect(key.message).not.toContain("42424242")
    }))
})

describe("fromUrl", () => {
  it.effect("a single node", () =>
    Effect.gen(function*() {
      expect(yield* ClusterConfig.fromUrl("redis://127.0.0.1:7000")).toEqual({ startupNodes: [{ host: "127.0.0.1", port: 7000 }] })
    }))

  it.effect("several nodes, the default port 6379, a trailing slash, /0", () =>
    Effect.gen(function*() {
      const config = yield* ClusterConfig.fromUrl("redis://node-a:7000,node-b,node-c:7002/0")
      expect(config.startupNodes).toEqual([
        { host: "node-a", port: 7000 },
        { host: "node-b", port: 6379 },
        { host: "node-c", port: 7002 }
      ])
      expect(config.db).toBe(0)
      expect((yield* ClusterConfig.fromUrl("redis://h:7000/")).startupNodes).toEqual([{ host: "h", port: 7000 }])
      expect((yield* ClusterConfig.fromUrl("  REDIS://h:7000  ")).startupNodes).toEqual([{ host: "h", port: 7000 }])
    }))

  it.effect("IPv6 hosts in brackets", () =>
    Effect.gen(function*() {
      const config = yield* ClusterConfig.fromUrl("redis://[::1]:7000,[fe80::1%25eth0]:7001,[2001:db8::7]")
      expect(config.startupNodes).toEqual([
        { host: "::1", port: 7000 },
        { host: "fe80::1%eth0", port: 7001 },
        { host: "2001:db8::7", port: 6379 }
      ])
    }))

  it.effect("user and percent-encoded password; the password is Redacted", () =>
    Effect.gen(function*() {
      const config = yield* ClusterConfig.fromUrl("redis://ada%2Bops:p%40ss%3Aw%2Frd%23%3F@h:7000")
      expect(config.username).toBe("ada+ops")
      expect(Redacted.isRedacted(config.password)).toBe(true)
      expect(config.password === undefined ? undefined : Redacted.value(config.password)).toBe("p@ss:w/rd#?")
      const onlyPassword = yield* ClusterConfig.fromUrl("redis://:s3cret@h:7000")
      expect(onlyPassword.username).toBeUndefined()
      expect(onlyPassword.password === undefined ? undefined : Redacted.value(onlyPassword.password)).toBe("s3cret")
      const onlyUser = yield* ClusterConfig.fromUrl("redis://ada@h:7000")
      expect(onlyUser.username).toBe("ada")
      expect(onlyUser.password).toBeUndefined()
      // an unencoded '@' in the password: the last '@' ends the user info
      const at = yield* ClusterConfig.fromUrl("redis://ada:p@ss@h:7000")
      expect(at.password === undefined ? undefined : Redacted.value(at.password)).toBe("p@ss")
    }))

  it.effect("rediss:// turns TLS on; TLS settings from the query", () =>
    Effect.gen(function*() {
      expect((yield* ClusterConfig.fromUrl("rediss://h:7000")).tls).toBe(true)
      expect((yield* ClusterConfig.fromUrl("redis://h:7000")).tls).toBeUndefined()
      expect((yield* ClusterConfig.fromUrl("redis://h:7000?tls=true")).tls).toBe(true)
      expect((yield* ClusterConfig.fromUrl("rediss://h:7000?tls=yes")).tls).toBe(true)
      const refined = yield* ClusterConfig.fromUrl("rediss://h:7000?tlsRejectUnauthorized=false&tlsServername=redis.example")
      expect(refined.tls).toEqual({ rejectUnauthorized: false, servername: "redis.example" })
      expect((yield* ClusterConfig.resolve(refined)).tls).toEqual({ rejectUnauthorized: false, servername: "redis.example" })
    }))

  it.effect("TLS settings without TLS, and rediss:// with tls=false, are refused", () =>
    Effect.gen(function*() {
      expectConfigError(yield* rejectUrl("redis://h:7000?tlsServername=x"), "tls.servername", /rediss:\/\//)
      expectConfigError(yield* rejectUrl("redis://h:7000?tlsRejectUnauthorized=false"), "tls.rejectUnauthorized")
      expectConfigError(yield* rejectUrl("rediss://h:7000?tls=false"), "tls", /twice/)
      expectConfigError(yield* rejectUrl("rediss://h:7000?tlsRejectUnauthorized=maybe"), "tls.rejectUnauthorized", /maybe/)
    }))

  it.effect("every camelCase option, booleans in every spelling", () =>
    Effect.gen(function*() {
      const config = yield* ClusterConfig.fromUrl(
        "redis://h:7000?username=ada&password=pw&clientName=app-1&protocol=2&readFrom=nearest" +
          "&skipFullCoverageCheck=yes&followCluster=1&maxRedirects=5&refreshAfterMoved=7" +
          "&topologyRefreshInterval=0&minRefreshInterval=50&connectTimeout=250&commandTimeout=3%20seconds" +
          "&maxBlockingConnectionsPerNode=9&blockingPoolTimeout=1+minute&clusterDownRetryAttempts=4&db=0" +
          "&tracing=TRUE&metrics=no"
      )
      const r = yield* ClusterConfig.resolve(config)
      expect(r.username).toBe("ada")
      expect(r.password === undefined ? undefined : Redacted.value(r.password)).toBe("pw")
      expect(r.clientName).toBe("app-1")
      expect(r.protocol).toBe(2)
      expect(r.readFrom).toBe("nearest")
      expect(r.skipFullCoverageCheck).toBe(true)
      expect(r.followCluster).toBe(true)
      expect(r.maxRedirects).toBe(5)
      expect(r.refreshAfterMoved).toBe(7)
      expect(r.topologyRefreshIntervalMillis).toBe(0)
      expect(r.minRefreshIntervalMillis).toBe(50)
      expect(r.connectTimeoutMillis).toBe(250)
      expect(r.commandTimeoutMillis).toBe(3_000)
      expect(r.maxBlockingConnectionsPerNode).toBe(9)
      expect(r.blockingPoolTimeoutMillis).toBe(60_000)
      expect(r.clusterDownRetryAttempts).toBe(4)
      expect(r.tracing).toBe(true)
      expect(r.metrics).toBe(false)
    }))

  it.effect("redis-py-cluster's snake_case names", () =>
    Effect.gen(function*() {
      const r = yield* fromUrlThenResolve(
        "redis://h:7000?read_from_replicas=true&skip_full_coverage_check=true&nodemanager_follow_cluster=true" +
          "&reinitialize_steps=10&cluster_down_retry_attempts=5&max_connections=8" +
          "&socket_connect_timeout=1.5&socket_timeout=2&client_name=py-app&username=ada&password=pw"
      )
      expect(r.readFrom).toBe("replica")
      expect(r.skipFullCoverageCheck).toBe(true)
      expect(r.followCluster).toBe(true)
      expect(r.refreshAfterMoved).toBe(10)
      expect(r.clusterDownRetryAttempts).toBe(5)
      expect(r.maxBlockingConnectionsPerNode).toBe(8)
      expect(r.connectTimeoutMillis).toBe(1_500)
      expect(r.commandTimeoutMillis).toBe(2_000)
      expect(r.clientName).toBe("py-app")
      expect(r.username).toBe("ada")
      expect((yield* fromUrlThenResolve("redis://h?readonly_mode=1")).readFrom).toBe("replica")
      expect((yield* fromUrlThenResolve("redis://h?read_from_replicas=false")).readFrom).toBe("master")
      // redis-py-cluster users write both; they agree, so that is fine
      expect((yield* fromUrlThenResolve("redis://h?readonly_mode=true&read_from_replicas=true")).readFrom).toBe("replica")
      // max_connections_per_node is a flag there (the bound is per node here anyway); a number sets the bound
      expect((yield* fromUrlThenResolve("redis://h?max_connections_per_node=true")).maxBlockingConnectionsPerNode).toBe(50)
      expect((yield* fromUrlThenResolve("redis://h?max_connections_per_node=12")).maxBlockingConnectionsPerNode).toBe(12)
    }))

  it.effect("hostPortRemap rules in the query", () =>
    Effect.gen(function*() {
      const r = yield* fromUrlThenResolve("redis://h?hostPortRemap=10.0.0.1:7000%3E127.0.0.1:17000,:7001>localhost,[fd00::1]>[::1]:1")
      expect(r.hostPortRemap({ host: "10.0.0.1", port: 7000 })).toEqual({ host: "127.0.0.1", port: 17000 })
      expect(r.hostPortRemap({ host: "10.9.9.9", port: 7001 })).toEqual({ host: "localhost", port: 7001 })
      expect(r.hostPortRemap({ host: "fd00::1", port: 5 })).toEqual({ host: "::1", port: 1 })
      expectConfigError(yield* rejectUrl("redis://h?hostPortRemap=10.0.0.1"), "hostPortRemap", /from>to/)
      expectConfigError(yield* rejectUrl("redis://h?hostPortRemap=>x"), "hostPortRemap[0].from", /host, a port, or both/)
    }))

  it.effect("overrides win over the URL; undefined overrides count as absent", () =>
    Effect.gen(function*() {
      const tryAgain = Schedule.recurs(2)
      const config = yield* ClusterConfig.fromUrl("redis://:pw@h:7000?readFrom=replica&tracing=true", {
        readFrom: "master",
        password: undefined,
        metrics: true,
        retry: { tryAgain }
      })
      expect(config.readFrom).toBe("master")
      expect(config.tracing).toBe(true)
      expect(config.metrics).toBe(true)
      expect(config.retry?.tryAgain).toBe(tryAgain)
      expect(config.password === undefined ? undefined : Redacted.value(config.password)).toBe("pw")
      const seeded = yield* ClusterConfig.fromUrl("redis://h:7000", { startupNodes: [{ host: "other", port: 1 }] })
      expect(seeded.startupNodes).toEqual([{ host: "other", port: 1 }])
      const tls = yield* ClusterConfig.fromUrl("rediss://h:7000?tlsServername=a", { tls: { ca: "PEM" } })
      expect(tls.tls).toEqual({ ca: "PEM" })
    }))

  it.effect("invalid overrides are refused with their field", () =>
    Effect.gen(function*() {
      expectConfigError(yield* rejectUrl("redis://h:7000", { maxRedirects: -1 }), "maxRedirects")
      expectConfigError(yield* rejectUrl("redis://h:7000", { startupNodes: [] }), "startupNodes")
    }))

  it.effect("unix:// is refused: unix sockets cannot reach a cluster", () =>
    Effect.gen(function*() {
      for (const url of ["unix:///tmp/redis.sock", "UNIX:///var/run/redis.sock?db=0", "redis+unix:///tmp/x"]) {
        expectConfigError(yield* rejectUrl(url), "url", /unix sockets cannot reach a cluster/)
      }
    }))

  it.effect("databases: /1 and ?db=2 are refused, /0 and ?db=0 accepted", () =>
    Effect.gen(function*() {
      expectConfigError(yield* rejectUrl("redis://h:7000/1"), "db", /not possible in cluster mode/)
      expectConfigError(yield* rejectUrl("redis://h:7000?db=2"), "db", /not possible in cluster mode/)
      expect((yield* ClusterConfig.fromUrl("redis://h:7000?db=0")).db).toBe(0)
      expectConfigError(yield* rejectUrl("redis://h:7000/0?db=3"), "db", /twice/)
    }))

  const garbage: ReadonlyArray<readonly [string, RegExp]> = [
    ["", /empty/],
    ["   ", /empty/],
    ["not a url", /no scheme/],
    ["127.0.0.1:7000", /unsupported scheme|no scheme/],
    ["http://h:7000", /unsupported scheme "http:"/],
    ["redis:h:7000", /"\/\/"/],
    ["redis://", /names no host/],
    ["redis://?readFrom=replica", /names no host/],
    ["redis://h:port", /port "port"/],
    ["redis://h:7000,", /host 2 .*empty host/],
    ["redis://a:1,,b:2", /host 2/],
    ["redis://:7000", /empty host/],
    ["redis://::1:7000", /brackets/],
    ["redis://[::1", /unclosed/],
    ["redis://[::1]x", /after "\]"/],
    ["redis://[not-v6]:7000", /IPv6/],
    ["redis://h:7000/abc", /path "\/abc"/],
    ["redis://h:7000/0/1", /path/],
    ["redis://h:7000#fragment", /fragments/],
    ["redis://a:%zz@h:7000", /percent-encoding in the password/],
    ["redis://%E0%A4%A@h:7000", /percent-encoding in the user name/],
    ["redis://h b:7000", /not a valid host/]
  ]
  for (const [url, reason] of garbage) {
    it.effect(`garbage: ${JSON.stringify(url)}`, () =>
      Effect.gen(function*() {
        expectConfigError(yield* rejectUrl(url), "url", reason)
      }))
  }

  it.effect("unknown query options are refused by name, with a hint", () =>
    Effect.gen(function*() {
      expectConfigError(yield* rejectUrl("redis://h:7000?readfrom=replica"), "url", /unknown query option "readfrom"; did you mean readFrom\?/)
      expectConfigError(yield* rejectUrl("redis://h:7000?read_from=replica"), "url", /did you mean readFrom\?/)
      expectConfigError(yield* rejectUrl("redis://h:7000?banana=1"), "url", /^unknown query option "banana"$/)
      expectConfigError(yield* rejectUrl("redis://h:7000?startupNodes=x"), "url", /"startupNodes"/)
    }))

  const badValues: ReadonlyArray<readonly [string, string, RegExp?]> = [
    ["redis://h?readFrom=slave", "readFrom", /"slave"/],
    ["redis://h?protocol=4", "protocol", /2 or 3/],
    ["redis://h?tracing=maybe", "tracing", /true\/false\/1\/0\/yes\/no/],
    ["redis://h?read_from_replicas=sure", "readFrom", /read_from_replicas/],
    ["redis://h?maxRedirects=abc", "maxRedirects", /number/],
    ["redis://h?maxRedirects=1.5", "maxRedirects", /integer/],
    ["redis://h?maxRedirects=-1", "maxRedirects", /non-negative/],
    ["redis://h?maxBlockingConnectionsPerNode=0", "maxBlockingConnectionsPerNode"],
    ["redis://h?connectTimeout=-5", "connectTimeout", /non-negative duration/],
    ["redis://h?connectTimeout=soon", "connectTimeout", /"soon"/],
    ["redis://h?commandTimeout=-1%20seconds", "commandTimeout"],
    ["redis://h?socket_timeout=-1", "commandTimeout", /seconds/],
    ["redis://h?clientName=has%20space", "clientName"],
    ["redis://h?password=", "password", /empty/],
    ["redis://h:70000", "startupNodes[0].port", /70000/],
    ["redis://a:7000,b:0", "startupNodes[1].port", /got 0/],
    ["redis://h?readFrom=any&read_from_replicas=true", "readFrom", /twice.*readFrom.*read_from_replicas/],
    ["redis://:one@h?password=two", "password", /twice/],
    ["redis://h?maxRedirects=1&maxRedirects=2", "maxRedirects", /twice/]
  ]
  for (const [url, field, reason] of badValues) {
    it.effect(`bad value: ${url}`, () =>
      Effect.gen(function*() {
        expectConfigError(yield* rejectUrl(url), field, reason)
      }))
  }

  it.effect("the same option given twice with the same value is fine", () =>
    Effect.gen(function*() {
      expect((yield* ClusterConfig.fromUrl("redis://h?maxRedirects=3&maxRedirects=3")).maxRedirects).toBe(3)
    }))

  it.effect("an unencoded '/', '?' or '#' in the password: the last '@' before the host list ends the user info", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [string, string]> = [
        ["redis://ada:hunter2/x@h:7000", "hunter2/x"],
        ["redis://ada:hun?ter2@h:7000", "hun?ter2"],
        ["redis://ada:hunter2#@h:7000", "hunter2#"],
        ["redis://user:p@ss/word@h:7000", "p@ss/word"],
        ["redis://ada:p/w?x@y@h:7000/0?readFrom=replica", "p/w?x@y"]
      ]
      for (const [url, password] of cases) {
        const config = yield* ClusterConfig.fromUrl(url)
        expect(config.startupNodes).toEqual([{ host: "h", port: 7000 }])
        expect(config.password === undefined ? undefined : Redacted.value(config.password)).toBe(password)
      }
      // an '@' in the query of a well-formed URL stays in the query
      const query = yield* ClusterConfig.fromUrl("redis://h:7000?clientName=a@b")
      expect(query).toEqual({ startupNodes: [{ host: "h", port: 7000 }], clientName: "a@b" })
      const both = yield* ClusterConfig.fromUrl("redis://ada:pw@h:7000?clientName=a@b")
      expect(both.startupNodes).toEqual([{ host: "h", port: 7000 }])
      expect(both.clientName).toBe("a@b")
      expect(both.password === undefined ? undefined : Redacted.value(both.password)).toBe("pw")
    }))

  it.effect("errors never contain the password, even when the URL is mangled", () =>
    Effect.gen(function*() {
      for (
        const url of [
          "redis://ada:hunter2/x@h:7000/abc",
          "redis://ada:hun?ter2@h:port",
          "redis://ada:hunter2#@h:7000#",
          "redis://user:p@hunter2/word@h:7000@",
          "redis://ada:hunter2@h:port",
          "redis://ada:hunter2@h:7000?banana=1",
          "redis://ada:hunter2@h:7000/1",
          "redis://ada:hunter2@h:7000?password=other",
          "redis://h:7000?password=hunter2&readFrom=x"
        ]
      ) {
        const error = yield* rejectUrl(url)
        expect(error._tag).toBe("ConfigError")
        expect(error.message).not.toMatch(/hunter|ter2/)
      }
    }))
})

describe("secrecy", () => {
  it.effect("describeConfig renders the config without the password or TLS material", () =>
    Effect.gen(function*() {
      const config = yield* ClusterConfig.resolve({
        startupNodes: [{ host: "a", port: 7000 }, { host: "::1", port: 7001 }],
        username: "ada",
        password: Redacted.make("hunter2"),
        tls: { key: "-----BEGIN PRIVATE KEY----- xyz", servername: "redis.example" },
        readFrom: "replica",
        hostPortRemap: [{ from: { host: "a" }, to: { port: 17000 } }],
        retry: { tryAgain: Schedule.recurs(1) },
        commandTimeout: 0
      })
      const text = ClusterConfig.describeConfig(config)
      expect(text).not.toContain("hunter2")
      expect(text).not.toContain("PRIVATE KEY")
      expect(text).toContain("password=<redacted>")
      expect(text).toContain("key=<given>")
      expect(text).toContain("startupNodes=[a:7000, [::1]:7001]")
      expect(text).toContain("username=ada")
      expect(text).toContain("readFrom=replica")
      expect(text).toContain("hostPortRemap=[a:*>*:17000]")
      expect(text).toContain("commandTimeout=none")
      expect(text).toContain("connectTimeout=10s")
      expect(text).toContain("retry=custom(tryAgain)")
      const plain = ClusterConfig.describeConfig(yield* ClusterConfig.resolve(base))
      expect(plain).toContain("password=<none>")
      expect(plain).toContain("tls=off")
      expect(plain).toContain("hostPortRemap=none")
      const fn = yield* ClusterConfig.resolve({ ...base, hostPortRemap: (e) => e })
      expect(ClusterConfig.describeConfig(fn)).toContain("hostPortRemap=<function>")
    }))

  it.effect("String and JSON of configs from fromUrl and resolve never show the password", () =>
    Effect.gen(function*() {
      const config = yield* ClusterConfig.fromUrl("redis://ada:hunter2@h:7000?readFrom=replica")
      const r = yield* ClusterConfig.resolve(config)
      for (const value of [config, r, config.password, r.password]) {
        expect(String(value)).not.toContain("hunter2")
        expect(JSON.stringify(value)).not.toContain("hunter2")
      }
      expect(JSON.stringify(config)).toContain("<redacted>")
    }))
})

describe("urlConfig", () => {
  // Effect 4 has no ConfigProvider.fromMap / Effect.withConfigProvider: the provider is a service
  const withEnv = (entries: ReadonlyArray<readonly [string, string]>) =>
    Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromUnknown(Object.fromEntries(entries)))

  it.effect("reads REDIS_CLUSTER_URL", () =>
    Effect.gen(function*() {
      const config = yield* ClusterConfig.urlConfig().pipe(withEnv([["REDIS_CLUSTER_URL", "rediss://:pw@a:7000,b:7001?readFrom=replica"]]))
      expect(config.startupNodes).toEqual([{ host: "a", port: 7000 }, { host: "b", port: 7001 }])
      expect(config.tls).toBe(true)
      expect(config.readFrom).toBe("replica")
    }))

  it.effect("another name, with overrides", () =>
    Effect.gen(function*() {
      const config = yield* ClusterConfig.urlConfig("CACHE_URL", { tracing: true }).pipe(withEnv([["CACHE_URL", "redis://c:7000"]]))
      expect(config).toEqual({ startupNodes: [{ host: "c", port: 7000 }], tracing: true })
    }))

  it.effect("an invalid URL is InvalidData naming the setting and the field, without the password", () =>
    Effect.gen(function*() {
      const env = withEnv([["REDIS_CLUSTER_URL", "redis://:hunter2@h:70000"]])
      const error = yield* Effect.flip(ClusterConfig.urlConfig().pipe(env))
      // Effect 4's ConfigError has no _op: invalid data is a SchemaError that Config.option does not treat as absence
      expect(error.cause._tag).toBe("SchemaError")
      expect((yield* Effect.flip(Config.option(ClusterConfig.urlConfig()).pipe(env))).cause._tag).toBe("SchemaError")
      expect(error.toString()).toContain("REDIS_CLUSTER_URL")
      expect(error.toString()).toContain("startupNodes[0].port")
      expect(error.toString()).not.toContain("hunter2")
    }))

  it.effect("a missing setting is MissingData", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(ClusterConfig.urlConfig().pipe(withEnv([])))
      // Effect 4's ConfigError has no _op: missing data is the absence Config.option / Config.withDefault recover from
      expect(error.toString()).toContain("REDIS_CLUSTER_URL")
      expect(yield* Config.option(ClusterConfig.urlConfig()).pipe(withEnv([]))).toEqual(Option.none())
    }))
})

describe("properties", () => {
  const urlish = fc.oneof(
    fc.string(),
    fc.string({ unit: "binary" }),
    fc.tuple(
      fc.constantFrom("redis://", "rediss://", "unix://", "REDIS://", "redis:", ""),
      fc.string({ unit: fc.constantFrom("a", "b", ":", "@", "[", "]", ",", "/", "?", "&", "=", "%", "#", "1", "7", "0", " ", ">", "+", "-") })
    ).map(([scheme, rest]) => scheme + rest),
    fc.tuple(
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.constantFrom("redis", "rediss")
    ).map(([url, scheme]) => url.replace(/^https?/, scheme))
  )

  it("fromUrl never throws: it succeeds (with a config that resolves) or fails with ConfigError", () => {
    fc.assert(
      fc.property(urlish, (url) => {
        const exit = Effect.runSyncExit(fromUrlThenResolve(url))
        if (Exit.isFailure(exit)) {
          // Effect 4's Cause is a flat list of reasons, not a tree
          expect(exit.cause.reasons.map((r) => r._tag)).toEqual(["Fail"])
          const [reason] = exit.cause.reasons
          if (reason !== undefined && Cause.isFailReason(reason)) {
            expect(reason.error).toBeInstanceOf(ConfigError)
            expect(reason.error.field.length).toBeGreaterThan(0)
          }
        }
      }),
      { numRuns: 3_000 }
    )
  })

  it("resolve never throws on arbitrary input", () => {
    fc.assert(
      fc.property(fc.anything(), fc.dictionary(fc.string(), fc.anything()), (anything, options) => {
        for (const input of [anything, { ...options, startupNodes: seeds }, { startupNodes: [anything] }]) {
          const exit = Effect.runSyncExit(ClusterConfig.resolve(input as RedisClusterConfig))
          if (Exit.isFailure(exit)) {
            // Effect 4's Cause is a flat list of reasons, not a tree
            expect(exit.cause.reasons.map((r) => r._tag)).toEqual(["Fail"])
          }
        }
      }),
      { numRuns: 1_000 }
    )
  })

  it("any valid seed list resolves, deduplicated, and describeConfig never shows the password", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ host: fc.domain(), port: fc.integer({ min: 1, max: 65535 }) }), { minLength: 1, maxLength: 8 }),
        fc.string({ minLength: 6 }).filter((s) => !/\s/.test(s)),
        (startupNodes, secret) => {
          const r = Effect.runSync(ClusterConfig.resolve({ startupNodes, password: Redacted.make(secret) }))
          const keys = new Set(startupNodes.map((n) => `${n.host.toLowerCase()}:${n.port}`))
          expect(r.startupNodes.length).toBe(keys.size)
          const text = ClusterConfig.describeConfig(r)
          expect(text.includes(secret) && !startupNodes.some((n) => n.host.includes(secret))).toBe(false)
        }
      ),
      { numRuns: 500 }
    )
  })
})

describe("duration options: one rule (issue #12, items 6-8)", () => {
  // Every duration option, the key its milliseconds land on, and whether it takes "no limit"
  // (0 and Infinity → 0 millis). minRefreshInterval cannot: an infinite least time between
  // refreshes would mean "never refresh again", the opposite of "no limit"; its 0 already means
  // "no rate limit", so it refuses Infinity, as its doc says.
  const durations: ReadonlyArray<readonly [keyof RedisClusterConfig, keyof ClusterConfig.ResolvedConfig, boolean]> = [
    ["topologyRefreshInterval", "topologyRefreshIntervalMillis", true],
    ["minRefreshInterval", "minRefreshIntervalMillis", false],
    ["connectTimeout", "connectTimeoutMillis", true],
    ["commandTimeout", "commandTimeoutMillis", true],
    ["blockingPoolTimeout", "blockingPoolTimeoutMillis", true]
  ]

  it("the table lists every duration option of RedisClusterConfig", () => {
    // A new duration option must join the table: its default is a number of millis ending in Millis.
    const millisKeys = Object.keys(ClusterConfig.defaults).filter((k) => k.endsWith("Millis")).sort()
    expect(durations.map(([, key]) => key).sort()).toEqual(millisKeys)
  })

  for (const [option, key, noLimit] of durations) {
    describe(option, () => {
      const zeroInputs: ReadonlyArray<unknown> = [0, "0", "0 millis", Duration.zero]
      const infiniteInputs: ReadonlyArray<unknown> = [Infinity, Duration.infinity, "Infinity", "infinity", " Infinity "]

      it.effect("0 means no limit: 0 millis", () =>
        Effect.gen(function*() {
          for (const input of zeroInputs) {
            expect((yield* ClusterConfig.resolve(untyped({ [option]: input })))[key]).toBe(0)
          }
        }))

      it.effect(noLimit ? "Infinity means no limit: 0 millis" : "Infinity is refused with a ConfigError naming it", () =>
        Effect.gen(function*() {
          for (const input of infiniteInputs) {
            if (noLimit) expect((yield* ClusterConfig.resolve(untyped({ [option]: input })))[key]).toBe(0)
            else expectConfigError(yield* rejectResolve(untyped({ [option]: input })), option, /finite/)
          }
        }))

      it.effect("from a URL: 0, Infinity and infinity", () =>
        Effect.gen(function*() {
          expect((yield* fromUrlThenResolve(`redis://h:7000?${option}=0`))[key]).toBe(0)
          for (const text of ["Infinity", "infinity", "INFINITY"]) {
            const url = `redis://h:7000?${option}=${text}`
            if (noLimit) expect((yield* fromUrlThenResolve(url))[key]).toBe(0)
            else expectConfigError(yield* Effect.flip(fromUrlThenResolve(url)), option, /finite/)
          }
        }))

      it.effect("negative values and NaN fail with a ConfigError naming the option", () =>
        Effect.gen(function*() {
          for (const input of [-1, -0.5, Number.NaN, -Infinity, "-1 seconds", "-Infinity", "NaN", Duration.negativeInfinity]) {
            expectConfigError(yield* rejectResolve(untyped({ [option]: input })), option)
          }
          for (const text of ["-1", "NaN", "-Infinity", "-1%20seconds"]) {
            expectConfigError(yield* Effect.flip(fromUrlThenResolve(`redis://h:7000?${option}=${text}`)), option)
          }
        }))
    })
  }

  it.effect("redis-py-cluster's seconds (socket_connect_timeout, socket_timeout) follow the rule too", () =>
    Effect.gen(function*() {
      for (const [name, key] of [["socket_connect_timeout", "connectTimeoutMillis"], ["socket_timeout", "commandTimeoutMillis"]] as const) {
        expect((yield* fromUrlThenResolve(`redis://h:7000?${name}=0`))[key]).toBe(0)
        expect((yield* fromUrlThenResolve(`redis://h:7000?${name}=Infinity`))[key]).toBe(0)
        expect((yield* fromUrlThenResolve(`redis://h:7000?${name}=infinity`))[key]).toBe(0)
        expect((yield* fromUrlThenResolve(`redis://h:7000?${name}=1.5`))[key]).toBe(1_500)
        for (const text of ["-1", "NaN", "-Infinity"]) {
          expectConfigError(yield* Effect.flip(fromUrlThenResolve(`redis://h:7000?${name}=${text}`)), name === "socket_timeout" ? "commandTimeout" : "connectTimeout")
        }
      }
    }))

  it.effect("describeConfig shows no limit as none / off", () =>
    Effect.gen(function*() {
      const text = ClusterConfig.describeConfig(
        yield* ClusterConfig.resolve({ ...base, connectTimeout: Infinity, blockingPoolTimeout: 0, topologyRefreshInterval: "Infinity" })
      )
      expect(text).toContain("connectTimeout=none")
      expect(text).toContain("blockingPoolTimeout=none")
      expect(text).toContain("topologyRefreshInterval=off")
    }))
})

describe("reply limits: maxReplyBulkBytes, maxReplyElements (issue #12, item 16)", () => {
  it.effect("default to 64 MiB and 2^24, are kept when given, and can be set from a URL", () =>
    Effect.gen(function*() {
      const defaults = yield* ClusterConfig.resolve(base)
      expect(defaults.maxReplyBulkBytes).toBe(64 * 1024 * 1024)
      expect(defaults.maxReplyElements).toBe(2 ** 24)
      const given = yield* ClusterConfig.resolve({ ...base, maxReplyBulkBytes: 1024, maxReplyElements: 2 ** 32 - 1 })
      expect(given.maxReplyBulkBytes).toBe(1024)
      expect(given.maxReplyElements).toBe(2 ** 32 - 1)
      const url = yield* fromUrlThenResolve("redis://h:7000?maxReplyBulkBytes=4096&maxReplyElements=1000")
      expect(url.maxReplyBulkBytes).toBe(4096)
      expect(url.maxReplyElements).toBe(1000)
      const text = ClusterConfig.describeConfig(url)
      expect(text).toContain("maxReplyBulkBytes=4096")
      expect(text).toContain("maxReplyElements=1000")
    }))

  it.effect("what they cannot take fails with a ConfigError naming them", () =>
    Effect.gen(function*() {
      for (const option of ["maxReplyBulkBytes", "maxReplyElements"] as const) {
        for (const bad of [0, -1, 1.5, Number.NaN, Infinity, "1024"]) {
          expectConfigError(yield* rejectResolve(untyped({ [option]: bad })), option)
        }
        expectConfigError(yield* Effect.flip(fromUrlThenResolve(`redis://h:7000?${option}=0`)), option)
        expectConfigError(yield* Effect.flip(fromUrlThenResolve(`redis://h:7000?${option}=lots`)), option, /number/)
      }
      expectConfigError(yield* rejectResolve(untyped({ maxReplyElements: 2 ** 32 })), "maxReplyElements", /4294967295/)
    }))
})

describe("maxPendingCommands", () => {
  it.effect("defaults to 100000, takes 0 for no cap, refuses negatives and fractions; fromUrl reads it", () =>
    Effect.gen(function*() {
      const base = { startupNodes: [{ host: "127.0.0.1", port: 7000 }] }
      expect((yield* ClusterConfig.resolve(base)).maxPendingCommands).toBe(100_000)
      expect((yield* ClusterConfig.resolve({ ...base, maxPendingCommands: 0 })).maxPendingCommands).toBe(0)
      for (const bad of [-1, 1.5, Number.NaN]) {
        const error = yield* Effect.flip(ClusterConfig.resolve({ ...base, maxPendingCommands: bad }))
        expect(error.message).toContain("maxPendingCommands")
      }
      const fromUrl = yield* ClusterConfig.fromUrl("redis://127.0.0.1:7000?maxPendingCommands=5")
      expect((yield* ClusterConfig.resolve(fromUrl)).maxPendingCommands).toBe(5)
    }))
})
