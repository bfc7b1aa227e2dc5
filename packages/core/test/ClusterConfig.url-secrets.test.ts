import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Redacted } from "effect"
import * as fc from "fast-check"
import * as ClusterConfig from "../src/ClusterConfig.js"
import { ConfigError } from "../src/ClusterError.js"
import * as RedisCluster from "../src/RedisCluster.js"

// Issue #12, item 15: no error about a URL may carry any part of its user info. A marker is put in
// the user name or password, among the characters that break URLs (`@ / : ? # %`), the URL is
// built in many shapes, valid and broken, and every error's message, JSON and String are searched
// for the marker and for every 3-character piece of it.

/**
 * The marker's letters: none of them appear three in a row in any English word, option name or
 * host the generators build, so a 3-character piece of the marker in an error can only come from
 * the user info. Compared case-insensitively (the scheme, for one, is lower-cased in messages).
 */
const MARKER_LETTERS = ["Q", "X", "Z", "J", "K", "V", "W", "Y"] as const

const marker = fc.string({ unit: fc.constantFrom(...MARKER_LETTERS), minLength: 6, maxLength: 12 })

/** Characters that end or split parts of a URL, and a few harmless ones. */
const special = fc.string({ unit: fc.constantFrom("@", "/", ":", "?", "#", "%", "&", "=", ",", "[", "]", "a", "1", "%40", "%2F", " "), maxLength: 6 })

/** A secret with the marker inside, maybe cut in two by special characters. */
const secret = (mark: fc.Arbitrary<string>) =>
  fc.oneof(
    fc.tuple(special, mark, special).map(([a, m, b]) => ({ text: a + m + b, marks: [m] })),
    fc.tuple(special, mark, special, mark, special).map(([a, m1, b, m2, c]) => ({ text: a + m1 + b + m2 + c, marks: [m1, m2] }))
  )

/** `user:password`, `:password`, `user` alone, or both carrying the marker. */
const userInfo = fc.oneof(
  fc.tuple(fc.constantFrom("ada", "app", ""), secret(marker)).map(([user, pw]) => ({ text: `${user}:${pw.text}`, marks: pw.marks })),
  secret(marker).map((user) => ({ text: user.text, marks: user.marks })),
  fc.tuple(secret(marker), secret(marker)).map(([user, pw]) => ({ text: `${user.text}:${pw.text}`, marks: [...user.marks, ...pw.marks] }))
)

const host = fc.constantFrom("h", "node-1", "10.0.0.1", "[::1]", "cache.example")

/** What comes after the user info: a host list, a path and a query, valid or broken. */
const rest = fc.tuple(
  fc.oneof(
    host.map((h) => `${h}:7000`),
    host,
    fc.tuple(host, host).map(([a, b]) => `${a}:7000,${b}:7001`),
    // broken host lists
    fc.constantFrom("h:port", "h:70000", "h:0", "", ":7000", "h:7000,", "a:1,,b:2", "::1:7000", "[::1", "[::1]x", "h b:7000", "h:7000@")
  ),
  fc.constantFrom("", "/", "/0", "/1", "/abc", "/0/1", "/%zz"),
  fc.constantFrom(
    "",
    "?readFrom=replica",
    "?banana=1",
    "?readFrom=slave",
    "?connectTimeout=-1",
    "?commandTimeout=soon",
    "?clientName=a%20b",
    "?maxRedirects=1&maxRedirects=2",
    "?hostPortRemap=a>b>c",
    "?tlsServername=x",
    "?db=3",
    "?password=",
    "?clientName=a@b",
    "#fragment"
  )
).map(([hosts, path, query]) => hosts + path + query)

const scheme = fc.constantFrom("redis://", "rediss://", "REDIS://", "http://", "redis:", "redis:/", "", "unix://")

/** A URL and the markers hidden in it. */
const url = fc.oneof(
  fc.tuple(scheme, userInfo, rest).map(([s, info, r]) => ({ url: `${s}${info.text}@${r}`, marks: info.marks })),
  // an '@' more after the host list: what follows the last '@' is read as the host list (and may
  // be quoted), so the marker goes only before it
  fc.tuple(scheme, userInfo, rest, rest).map(([s, info, r, last]) => ({ url: `${s}${info.text}@${r}@${last}`, marks: info.marks })),
  // several '@' in a row before the host list
  fc.tuple(scheme, userInfo, userInfo, rest).map(([s, a, b, r]) => ({ url: `${s}${a.text}@${b.text}@${r}`, marks: [...a.marks, ...b.marks] }))
)

/** Every 3-character piece of each marker (the markers whole included), lower-cased. */
const pieces = (marks: ReadonlyArray<string>): ReadonlyArray<string> => {
  const out = new Set<string>()
  for (const mark of marks) {
    const lower = mark.toLowerCase()
    for (let i = 0; i + 3 <= lower.length; i++) out.add(lower.slice(i, i + 3))
  }
  return Array.from(out)
}

/** The texts of an error a user or a log can see. */
const renderings = (error: unknown): ReadonlyArray<string> => {
  const out = [String(error), JSON.stringify(error)]
  if (error instanceof Error) out.push(error.message, error.stack ?? "")
  if (error instanceof ConfigError) out.push(error.field, error.reason)
  return out
}

const leaks = (error: unknown, marks: ReadonlyArray<string>): ReadonlyArray<string> => {
  const found: Array<string> = []
  for (const text of renderings(error)) {
    const lower = text.toLowerCase()
    for (const piece of pieces(marks)) if (lower.includes(piece)) found.push(`${JSON.stringify(piece)} in ${JSON.stringify(text.slice(0, 300))}`)
  }
  return found
}

const withEnv = (value: string) =>
  Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromUnknown({ REDIS_CLUSTER_URL: value }))

/** Every error the URL gives, through each way of reading one. */
const errorsOf = (text: string): ReadonlyArray<unknown> => {
  const errors: Array<unknown> = []
  const collect = <A, E>(exit: Exit.Exit<A, E>) => {
    if (Exit.isFailure(exit)) {
      for (const reason of exit.cause.reasons) errors.push(reason._tag === "Fail" ? reason.error : reason)
    }
  }
  collect(Effect.runSyncExit(ClusterConfig.fromUrl(text)))
  collect(Effect.runSyncExit(RedisCluster.fromUrl(text)))
  collect(Effect.runSyncExit(ClusterConfig.fromUrl(text).pipe(Effect.flatMap(ClusterConfig.resolve))))
  collect(Effect.runSyncExit(ClusterConfig.urlConfig().pipe(withEnv(text))))
  return errors
}

describe("URL errors never carry the user info (issue #12, item 15)", () => {
  it("the issue's example: an unencoded '/' in the password", () => {
    const config = Effect.runSync(ClusterConfig.fromUrl("redis://user:p@ss/word@host:7000"))
    expect(config.startupNodes).toEqual([{ host: "host", port: 7000 }])
    expect(config.password === undefined ? undefined : Redacted.value(config.password)).toBe("p@ss/word")
    for (const broken of ["redis://user:p@ss/word@host:port", "redis://user:p@ss/word@host:7000/abc", "redis://user:p@ss/word@host:7000?banana=1"]) {
      const errors = errorsOf(broken)
      expect(errors.length).toBeGreaterThan(0)
      for (const error of errors) {
        for (const text of renderings(error)) expect(text).not.toMatch(/word|p@ss|ss\//)
      }
    }
  })

  it("errors quote what comes after the last '@' (they stay useful)", () => {
    const reasons = (text: string) => errorsOf(text).map((e) => (e instanceof ConfigError ? e.reason : String(e)))
    expect(reasons("redis://ada:pw@h:port")[0]).toMatch(/port "port"/)
    expect(reasons("redis://ada:pw@h:7000?banana=1")[0]).toMatch(/"banana"/)
    expect(reasons("redis://ada:pw@h:7000/abc")[0]).toMatch(/"\/abc"/)
    // an '@' later on (here in the query): the host list comes before it and is described instead
    expect(reasons("redis://ada:pw@h:port?clientName=a@b")[0]).toMatch(/port is not a number.*percent-encode/)
  })

  it("a value from before the last '@' is not quoted by resolve's errors either", () => {
    // the user name comes from the user info: refused without being quoted
    const [error] = errorsOf("redis://QXZ%20JKV:pw@h:7000")
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).field).toBe("username")
    expect(leaks(error, ["QXZ JKV"])).toEqual([])
    // a port from a host list before the last '@'
    const [port] = errorsOf("redis://u:p@QXZJKV@h:70000?clientName=a@b")
    expect((port as ConfigError).field).toBe("startupNodes[0].port")
    expect((port as ConfigError).reason).not.toContain("70000")
  })

  it("fuzz: no message, JSON or String of any error holds a 3-character piece of the marker", () => {
    fc.assert(
      fc.property(url, ({ marks, url }) => {
        for (const error of errorsOf(url)) {
          expect(leaks(error, marks), url).toEqual([])
        }
      }),
      { numRuns: 3_000 }
    )
  })
})
