/**
 * `redis://` / `rediss://` URLs to options: the authority (credentials, seed nodes), the database
 * path, and the query, where every option but `startupNodes` and `retry` has a camelCase name and
 * redis-py-cluster's names are accepted as aliases. Query values are text, coerced here; the
 * options built are then checked by `resolveResult`, so URL and object options share one validation.
 *
 * @internal
 */
import { Equal, Option, Redacted, Result } from "effect"
import type { Duration } from "effect"
import type { HostPortRemapRule, RedisClusterConfig } from "../../ClusterConfig.js"
import { ConfigError } from "../../ClusterError.js"
import type { Endpoint, TlsOptions } from "../../Connector.js"
import { decodeDurationString, DURATION_HINT, isReadFrom, readFromPolicies, show } from "./schema.js"
import { resolveResult, unknownKeyReason } from "./validate.js"

type MutableConfig = { -readonly [K in keyof RedisClusterConfig]: RedisClusterConfig[K] }
type Settable = Exclude<keyof RedisClusterConfig, "startupNodes" | "tls" | "retry">

/** What the query (and the rest of the URL) has set so far, with the option that set each field. */
class UrlOptions {
  readonly values: Partial<Pick<MutableConfig, Settable>> = {}
  readonly sources = new Map<string, string>()
  readonly tls: { tls?: boolean; tlsRejectUnauthorized?: boolean; tlsServername?: string } = {}

  /** Records `field = value`; setting a field twice to different values is an error. */
  set<K extends Settable>(field: K, value: NonNullable<RedisClusterConfig[K]>, source: string): Result.Result<void, ConfigError> {
    const previous = this.values[field]
    if (previous !== undefined && !Equal.equals(previous, value)) {
      return Result.fail(new ConfigError({ field, reason: `is set twice in the URL, differently (by ${this.sources.get(field)} and by ${source})` }))
    }
    this.values[field] = value
    this.sources.set(field, source)
    return Result.succeed(undefined)
  }

  /** Records a TLS setting, with the same rule. */
  setTls<K extends keyof UrlOptions["tls"]>(
    key: K,
    value: NonNullable<UrlOptions["tls"][K]>,
    field: string,
    source: string
  ): Result.Result<void, ConfigError> {
    const previous = this.tls[key]
    if (previous !== undefined && previous !== value) {
      return Result.fail(new ConfigError({ field, reason: `is set twice in the URL, differently (by ${this.sources.get(key)} and by ${source})` }))
    }
    this.tls[key] = value
    this.sources.set(key, source)
    return Result.succeed(undefined)
  }
}

const urlError = (reason: string) => Result.fail(new ConfigError({ field: "url", reason }))

const BOOLEANS: Record<string, boolean> = { true: true, false: false, "1": true, "0": false, yes: true, no: false }

const parseBoolean = (value: string, option: string, field: string): Result.Result<boolean, ConfigError> => {
  const b = BOOLEANS[value.toLowerCase()]
  return b === undefined
    ? Result.fail(new ConfigError({ field, reason: `query option ${option} must be true/false/1/0/yes/no, got ${show(value)}` }))
    : Result.succeed(b)
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i

const parseNumber = (value: string, option: string, field: string): Result.Result<number, ConfigError> =>
  NUMBER.test(value.trim())
    ? Result.succeed(Number(value))
    : Result.fail(new ConfigError({ field, reason: `query option ${option} must be a number, got ${show(value)}` }))

const parseDuration = (value: string, option: string, field: string): Result.Result<Duration.Input, ConfigError> => {
  const text = value.trim()
  if (NUMBER.test(text) && !text.startsWith("-")) return Result.succeed(Number(text))
  const decoded = text.startsWith("-") ? Option.none() : decodeDurationString(text)
  return Option.isSome(decoded)
    ? Result.succeed(decoded.value)
    : Result.fail(new ConfigError({ field, reason: `query option ${option} must be ${DURATION_HINT}, got ${show(value)}` }))
}

const parseSeconds = (value: string, option: string, field: string): Result.Result<number, ConfigError> => {
  const text = value.trim()
  return NUMBER.test(text) && !text.startsWith("-")
    ? Result.succeed(Number(text) * 1000)
    : Result.fail(new ConfigError({ field, reason: `query option ${option} must be a non-negative number of seconds, got ${show(value)}` }))
}

/** One `host[:port]` (or `[v6][:port]`, or for remap rules `:port`) of the URL. */
interface HostPort {
  readonly host: string | undefined
  readonly port: number | undefined
}

/** Parses `host`, `host:port`, `[v6]`, `[v6]:port`, and when `allowEmptyHost`, `:port`. */
const parseHostPort = (text: string, allowEmptyHost: boolean): HostPort | string => {
  let host: string
  let portText: string | undefined
  if (text.startsWith("[")) {
    const close = text.indexOf("]")
    if (close === -1) return `unclosed "[" in ${show(text)}`
    host = text.slice(1, close).replace("%25", "%")
    const after = text.slice(close + 1)
    if (after !== "" && !after.startsWith(":")) return `unexpected ${show(after)} after "]" in ${show(text)}`
    portText = after === "" ? undefined : after.slice(1)
    if (host === "" || !/^[0-9A-Fa-f:.]+(?:%[\w.-]+)?$/.test(host)) return `${show(text)} is not a bracketed IPv6 address`
  } else {
    const colons = text.split(":").length - 1
    if (colons > 1) return `${show(text)}: write IPv6 addresses in brackets, e.g. [::1]:7000`
    const colon = text.indexOf(":")
    host = colon === -1 ? text : text.slice(0, colon)
    portText = colon === -1 ? undefined : text.slice(colon + 1)
    if (/[\s@[\]/?#%\\]/.test(host)) return `${show(text)} is not a valid host`
  }
  if (host === "" && !allowEmptyHost) return portText === undefined ? "empty host" : `empty host in ${show(text)}`
  if (portText !== undefined && !/^\d+$/.test(portText)) return `port ${show(portText)} of ${show(text)} is not a number`
  return { host: host === "" ? undefined : host, port: portText === undefined ? undefined : Number(portText) }
}

/** `from>to,from>to`: each side `host`, `host:port`, `:port` or `[v6]:port`. */
const parseRemapRules = (value: string, option: string): Result.Result<ReadonlyArray<HostPortRemapRule>, ConfigError> => {
  const rules: Array<HostPortRemapRule> = []
  const entries = value.split(",").map((e) => e.trim()).filter((e) => e !== "")
  for (const entry of entries) {
    const parts = entry.split(">")
    const fail = (why: string) =>
      Result.fail(new ConfigError({ field: "hostPortRemap", reason: `query option ${option}: rule ${show(entry)} ${why} (expected from>to, e.g. 10.0.0.1:7000>127.0.0.1:17000)` }))
    if (parts.length !== 2) return fail("is not of the form from>to")
    const from = parseHostPort(parts[0]!.trim(), true)
    const to = parseHostPort(parts[1]!.trim(), true)
    if (typeof from === "string") return fail(`has a bad source: ${from}`)
    if (typeof to === "string") return fail(`has a bad target: ${to}`)
    const side = (hp: HostPort) => ({
      ...(hp.host === undefined ? {} : { host: hp.host }),
      ...(hp.port === undefined ? {} : { port: hp.port })
    })
    rules.push({ from: side(from), to: side(to) })
  }
  if (rules.length === 0) {
    return Result.fail(new ConfigError({ field: "hostPortRemap", reason: `query option ${option} names no rule` }))
  }
  return Result.succeed(rules)
}

type Apply = (options: UrlOptions, value: string, option: string) => Result.Result<void, ConfigError>

const str = (field: "username" | "clientName"): Apply => (o, v, option) => o.set(field, v, option)
const bool = (field: "skipFullCoverageCheck" | "followCluster" | "tracing" | "metrics"): Apply => (o, v, option) =>
  Result.flatMap(parseBoolean(v, option, field), (b) => o.set(field, b, option))
const num = (
  field: "maxRedirects" | "refreshAfterMoved" | "maxBlockingConnectionsPerNode" | "clusterDownRetryAttempts" | "db"
): Apply =>
(o, v, option) => Result.flatMap(parseNumber(v, option, field), (n) => o.set(field, n, option))
const dur = (
  field: "topologyRefreshInterval" | "minRefreshInterval" | "connectTimeout" | "commandTimeout" | "blockingPoolTimeout"
): Apply =>
(o, v, option) => Result.flatMap(parseDuration(v, option, field), (d) => o.set(field, d, option))
const seconds = (field: "connectTimeout" | "commandTimeout"): Apply => (o, v, option) =>
  Result.flatMap(parseSeconds(v, option, field), (ms) => o.set(field, ms, option))
const replicaReads: Apply = (o, v, option) =>
  Result.flatMap(parseBoolean(v, option, "readFrom"), (b) => o.set("readFrom", b ? "replica" : "master", option))

/** Every query option: the camelCase names of `RedisClusterConfig`, then redis-py-cluster's names. */
const queryOptions: Record<string, Apply> = {
  username: str("username"),
  password: (o, v, option) =>
    v === ""
      ? Result.fail(new ConfigError({ field: "password", reason: `query option ${option} is empty` }))
      : o.set("password", Redacted.make(v), option),
  clientName: str("clientName"),
  protocol: (o, v, option) =>
    v === "2" || v === "3"
      ? o.set("protocol", v === "2" ? 2 : 3, option)
      : Result.fail(new ConfigError({ field: "protocol", reason: `query option ${option} must be 2 or 3, got ${show(v)}` })),
  readFrom: (o, v, option) =>
    isReadFrom(v)
      ? o.set("readFrom", v, option)
      : Result.fail(new ConfigError({ field: "readFrom", reason: `query option ${option} must be one of ${readFromPolicies.join(", ")}, got ${show(v)}` })),
  skipFullCoverageCheck: bool("skipFullCoverageCheck"),
  followCluster: bool("followCluster"),
  hostPortRemap: (o, v, option) => Result.flatMap(parseRemapRules(v, option), (rules) => o.set("hostPortRemap", rules, option)),
  maxRedirects: num("maxRedirects"),
  refreshAfterMoved: num("refreshAfterMoved"),
  topologyRefreshInterval: dur("topologyRefreshInterval"),
  minRefreshInterval: dur("minRefreshInterval"),
  connectTimeout: dur("connectTimeout"),
  commandTimeout: dur("commandTimeout"),
  maxBlockingConnectionsPerNode: num("maxBlockingConnectionsPerNode"),
  blockingPoolTimeout: dur("blockingPoolTimeout"),
  clusterDownRetryAttempts: num("clusterDownRetryAttempts"),
  db: num("db"),
  tls: (o, v, option) => Result.flatMap(parseBoolean(v, option, "tls"), (b) => o.setTls("tls", b, "tls", option)),
  tlsRejectUnauthorized: (o, v, option) =>
    Result.flatMap(
      parseBoolean(v, option, "tls.rejectUnauthorized"),
      (b) => o.setTls("tlsRejectUnauthorized", b, "tls.rejectUnauthorized", option)
    ),
  tlsServername: (o, v, option) => o.setTls("tlsServername", v, "tls.servername", option),
  tracing: bool("tracing"),
  metrics: bool("metrics"),
  // redis-py-cluster's names
  read_from_replicas: replicaReads,
  readonly_mode: replicaReads,
  skip_full_coverage_check: bool("skipFullCoverageCheck"),
  nodemanager_follow_cluster: bool("followCluster"),
  reinitialize_steps: num("refreshAfterMoved"),
  cluster_down_retry_attempts: num("clusterDownRetryAttempts"),
  max_connections: num("maxBlockingConnectionsPerNode"),
  // a flag there (count max_connections per node); keyslot's bound is always per node, so a flag is
  // accepted and changes nothing, and a number sets the bound
  max_connections_per_node: (o, v, option) =>
    BOOLEANS[v.toLowerCase()] !== undefined ? Result.succeed(undefined) : num("maxBlockingConnectionsPerNode")(o, v, option),
  socket_connect_timeout: seconds("connectTimeout"),
  socket_timeout: seconds("commandTimeout"),
  client_name: str("clientName")
}

const safeDecode = (text: string): string | undefined => {
  try {
    return decodeURIComponent(text)
  } catch {
    return undefined
  }
}

const CREDENTIALS_HINT =
  "if the user name or password contains '/', '?', '#' or '@', percent-encode it (%2F, %3F, %23, %40)"

/** Parses a URL into options (not yet validated by `resolve`). Never throws. */
const parseUrl = (url: string): Result.Result<RedisClusterConfig, ConfigError> =>
  Result.gen(function*() {
    if (typeof url !== "string") return yield* urlError(`must be a string, got ${show(url)}`)
    const text = url.trim()
    if (text === "") return yield* urlError("is empty")
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text)
    if (scheme === null) return yield* urlError("has no scheme: expected redis://host:port or rediss://host:port")
    const protocol = scheme[1]!.toLowerCase()
    if (protocol === "unix" || protocol === "redis+unix" || protocol === "redis+socket") {
      return yield* urlError(
        `${protocol}:// names a unix socket, and unix sockets cannot reach a cluster: a Redis Cluster is reached over TCP (use redis:// or rediss:// with host:port seed nodes)`
      )
    }
    if (protocol !== "redis" && protocol !== "rediss") {
      return yield* urlError(`unsupported scheme "${protocol}:" (expected redis:// or rediss://)`)
    }
    const afterScheme = text.slice(scheme[0].length)
    if (!afterScheme.startsWith("//")) return yield* urlError(`expected "//" after "${protocol}:"`)
    const rest = afterScheme.slice(2)
    if (rest.includes("#")) {
      return yield* urlError(`has a "#" (fragments are not allowed); ${CREDENTIALS_HINT}`)
    }
    const authorityEnd = rest.search(/[/?]/)
    const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd)
    const tail = authorityEnd === -1 ? "" : rest.slice(authorityEnd)
    // an unencoded '/' or '?' in the password ends the authority early; never echo such text
    const mayHoldCredentials = !authority.includes("@") && tail.includes("@")

    const options = new UrlOptions()
    const at = authority.lastIndexOf("@")
    const hostList = at === -1 ? authority : authority.slice(at + 1)
    if (at !== -1) {
      const userInfo = authority.slice(0, at)
      const colon = userInfo.indexOf(":")
      const rawUser = colon === -1 ? userInfo : userInfo.slice(0, colon)
      const rawPassword = colon === -1 ? "" : userInfo.slice(colon + 1)
      const user = safeDecode(rawUser)
      if (user === undefined) return yield* urlError("malformed percent-encoding in the user name")
      const password = safeDecode(rawPassword)
      if (password === undefined) return yield* urlError("malformed percent-encoding in the password")
      if (user !== "") yield* options.set("username", user, "the user info")
      if (password !== "") yield* options.set("password", Redacted.make(password), "the user info")
    }

    const nodes: Array<Endpoint> = []
    if (hostList.trim() === "") {
      return yield* urlError(mayHoldCredentials ? `names no host; ${CREDENTIALS_HINT}` : "names no host")
    }
    const entries = hostList.split(",")
    for (let i = 0; i < entries.length; i++) {
      const parsed = parseHostPort(entries[i]!.trim(), false)
      if (typeof parsed === "string" || parsed.host === undefined) {
        return yield* urlError(
          mayHoldCredentials
            ? `cannot parse the host list; ${CREDENTIALS_HINT}`
            : `host ${i + 1} of the host list: ${typeof parsed === "string" ? parsed : "empty host"}`
        )
      }
      nodes.push({ host: parsed.host, port: parsed.port ?? 6379 })
    }
    const [head, ...more] = nodes
    if (head === undefined) return yield* urlError("names no host")

    const question = tail.indexOf("?")
    const path = question === -1 ? tail : tail.slice(0, question)
    const query = question === -1 ? "" : tail.slice(question + 1)
    if (path !== "" && path !== "/") {
      const db = /^\/(\d+)\/?$/.exec(path)
      if (db === null) {
        return yield* urlError(
          mayHoldCredentials ? `has a path that is not a database number; ${CREDENTIALS_HINT}` : `path ${show(path)} must be empty or a database number (/0)`
        )
      }
      yield* options.set("db", Number(db[1]), "the path")
    }
    if (protocol === "rediss") yield* options.setTls("tls", true, "tls", "rediss://")

    for (const [name, value] of new URLSearchParams(query)) {
      const apply = Object.hasOwn(queryOptions, name) ? queryOptions[name] : undefined
      if (apply === undefined) {
        return yield* urlError(unknownKeyReason(name, Object.keys(queryOptions)).replace("unknown option", "unknown query option"))
      }
      yield* apply(options, value, name)
    }

    const { tlsRejectUnauthorized, tlsServername } = options.tls
    const refined = tlsRejectUnauthorized !== undefined || tlsServername !== undefined
    if (refined && options.tls.tls !== true) {
      return yield* Result.fail(
        new ConfigError({
          field: tlsServername !== undefined ? "tls.servername" : "tls.rejectUnauthorized",
          reason: "TLS settings need TLS: use rediss:// or tls=true"
        })
      )
    }
    const tls: boolean | TlsOptions | undefined = refined
      ? {
        ...(tlsRejectUnauthorized === undefined ? {} : { rejectUnauthorized: tlsRejectUnauthorized }),
        ...(tlsServername === undefined ? {} : { servername: tlsServername })
      }
      : options.tls.tls

    const config: RedisClusterConfig = {
      startupNodes: [head, ...more],
      ...options.values,
      ...(tls === undefined ? {} : { tls })
    }
    return config
  })

const assign = <K extends keyof MutableConfig>(target: MutableConfig, key: K, value: MutableConfig[K]): void => {
  target[key] = value
}

/** `base` with every key of `overrides` whose value is not `undefined` replaced. */
const mergeOverrides = (base: RedisClusterConfig, overrides: Partial<RedisClusterConfig>): RedisClusterConfig => {
  const merged: MutableConfig = { ...base }
  for (const key of Object.keys(overrides) as Array<keyof RedisClusterConfig>) {
    const value = overrides[key]
    if (value !== undefined) assign(merged, key, value)
  }
  return merged
}

/**
 * Parses a URL, applies `overrides` and validates the result, as a `Result` so that `urlConfig` can
 * map its error into a `Config.ConfigError` without running an Effect.
 *
 * @since 0.1.0
 * @category parsing
 */
export const fromUrlResult = (
  url: string,
  overrides: Partial<RedisClusterConfig> | undefined
): Result.Result<RedisClusterConfig, ConfigError> =>
  Result.gen(function*() {
    const parsed = yield* parseUrl(url)
    const config = overrides === undefined ? parsed : mergeOverrides(parsed, overrides)
    yield* resolveResult(config)
    return config
  })
