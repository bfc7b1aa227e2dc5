/**
 * `redis://` / `rediss://` URLs to options: the authority (credentials, seed nodes), the database
 * path, and the query, where every option but `startupNodes` and `retry` has a camelCase name and
 * redis-py-cluster's names are accepted as aliases. Query values are text, coerced here; the
 * options built are then checked by `resolveResult`, so URL and object options share one validation.
 *
 * @internal
 */
import { Duration, Equal, Redacted, Result } from "effect"
import type { HostPortRemapRule, RedisClusterConfig } from "../../ClusterConfig.js"
import { ConfigError } from "../../ClusterError.js"
import type { Endpoint, TlsOptions } from "../../Connector.js"
import { DURATION_HINT, isReadFrom, parseDurationText, readFromPolicies, show } from "./schema.js"
import { resolveResult, unknownKeyReason } from "./validate.js"

type MutableConfig = { -readonly [K in keyof RedisClusterConfig]: RedisClusterConfig[K] }
type Settable = Exclude<keyof RedisClusterConfig, "startupNodes" | "tls" | "retry">

/**
 * What the query (and the rest of the URL) has set so far, with the option that set each field, and
 * the options whose value came from text that errors must not quote (see `parseUrl`).
 */
class UrlOptions {
  readonly values: Partial<Pick<MutableConfig, Settable>> = {}
  readonly sources = new Map<string, string>()
  readonly tls: { tls?: boolean; tlsRejectUnauthorized?: boolean; tlsServername?: string } = {}
  /** Top-level options whose value must not be quoted when `resolve` refuses it. */
  readonly hidden = new Set<string>()

  /**
   * Records `field = value`; setting a field twice to different values is an error. `source` names
   * who set it (an option name of ours, never text of the URL); `quote` is whether errors may quote
   * the value.
   */
  set<K extends Settable>(field: K, value: NonNullable<RedisClusterConfig[K]>, source: string, quote: boolean): Result.Result<void, ConfigError> {
    const previous = this.values[field]
    if (previous !== undefined && !Equal.equals(previous, value)) {
      return Result.fail(new ConfigError({ field, reason: `is set twice in the URL, differently (by ${this.sources.get(field)} and by ${source})` }))
    }
    this.values[field] = value
    this.sources.set(field, source)
    if (!quote) this.hidden.add(field)
    return Result.succeed(undefined)
  }

  /** Records a TLS setting, with the same rule. */
  setTls<K extends keyof UrlOptions["tls"]>(
    key: K,
    value: NonNullable<UrlOptions["tls"][K]>,
    field: string,
    source: string,
    quote: boolean
  ): Result.Result<void, ConfigError> {
    const previous = this.tls[key]
    if (previous !== undefined && previous !== value) {
      return Result.fail(new ConfigError({ field, reason: `is set twice in the URL, differently (by ${this.sources.get(key)} and by ${source})` }))
    }
    this.tls[key] = value
    this.sources.set(key, source)
    if (!quote) this.hidden.add("tls")
    return Result.succeed(undefined)
  }
}

/**
 * Said instead of quoting text that comes before the URL's last '@': with an unencoded '@', '/',
 * '?' or '#' in a password, any such text may be part of it.
 */
const NOT_QUOTED = "not quoted: it comes before an '@' of the URL, so it may hold part of the password"

/** `, got "value"`, or a note that the value is not quoted. */
const got = (value: string, quote: boolean): string => quote ? `, got ${show(value)}` : ` (the value is ${NOT_QUOTED})`

const urlError = (reason: string) => Result.fail(new ConfigError({ field: "url", reason }))

const BOOLEANS: Record<string, boolean> = { true: true, false: false, "1": true, "0": false, yes: true, no: false }

const parseBoolean = (value: string, option: string, field: string, quote: boolean): Result.Result<boolean, ConfigError> => {
  const b = BOOLEANS[value.toLowerCase()]
  return b === undefined
    ? Result.fail(new ConfigError({ field, reason: `query option ${option} must be true/false/1/0/yes/no${got(value, quote)}` }))
    : Result.succeed(b)
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i

const parseNumber = (value: string, option: string, field: string, quote: boolean): Result.Result<number, ConfigError> =>
  NUMBER.test(value.trim())
    ? Result.succeed(Number(value))
    : Result.fail(new ConfigError({ field, reason: `query option ${option} must be a number${got(value, quote)}` }))

const parseDuration = (value: string, option: string, field: string, quote: boolean): Result.Result<Duration.Input, ConfigError> => {
  const duration = parseDurationText(value)
  if (duration === undefined) {
    return Result.fail(new ConfigError({ field, reason: `query option ${option} must be ${DURATION_HINT}${got(value, quote)}` }))
  }
  // milliseconds stay a plain number in the options fromUrl returns
  const text = value.trim()
  return Result.succeed(NUMBER.test(text) ? Number(text) : duration)
}

/** redis-py-cluster's seconds, under the rule of every duration: 0 and Infinity mean no limit. */
const parseSeconds = (value: string, option: string, field: string, quote: boolean): Result.Result<Duration.Input, ConfigError> => {
  const text = value.trim()
  if (NUMBER.test(text) && !text.startsWith("-")) return Result.succeed(Number(text) * 1000)
  // a Duration rather than the number Infinity, which JSON would turn into null
  if (text.replace(/^\+/, "").toLowerCase() === "infinity") return Result.succeed(Duration.infinity)
  return Result.fail(
    new ConfigError({ field, reason: `query option ${option} must be a non-negative number of seconds (0 or Infinity: no limit)${got(value, quote)}` })
  )
}

/** One `host[:port]` (or `[v6][:port]`, or for remap rules `:port`) of the URL. */
interface HostPort {
  readonly host: string | undefined
  readonly port: number | undefined
}

/**
 * Parses `host`, `host:port`, `[v6]`, `[v6]:port`, and when `allowEmptyHost`, `:port`. The reason
 * it gives for a bad one quotes `text` only when `quote`.
 */
const parseHostPort = (text: string, allowEmptyHost: boolean, quote: boolean): HostPort | string => {
  const it = quote ? show(text) : "it"
  const inIt = quote ? ` in ${show(text)}` : ""
  let host: string
  let portText: string | undefined
  if (text.startsWith("[")) {
    const close = text.indexOf("]")
    if (close === -1) return `unclosed "["${inIt}`
    host = text.slice(1, close).replace("%25", "%")
    const after = text.slice(close + 1)
    if (after !== "" && !after.startsWith(":")) return `unexpected ${quote ? show(after) : "text"} after "]"${inIt}`
    portText = after === "" ? undefined : after.slice(1)
    if (host === "" || !/^[0-9A-Fa-f:.]+(?:%[\w.-]+)?$/.test(host)) return `${it} is not a bracketed IPv6 address`
  } else {
    const colons = text.split(":").length - 1
    if (colons > 1) return `${it}: write IPv6 addresses in brackets, e.g. [::1]:7000`
    const colon = text.indexOf(":")
    host = colon === -1 ? text : text.slice(0, colon)
    portText = colon === -1 ? undefined : text.slice(colon + 1)
    if (/[\s@[\]/?#%\\]/.test(host)) return `${it} is not a valid host`
  }
  if (host === "" && !allowEmptyHost) return portText === undefined ? "empty host" : `empty host${inIt}`
  if (portText !== undefined && !/^\d+$/.test(portText)) {
    return quote ? `port ${show(portText)} of ${show(text)} is not a number` : "its port is not a number"
  }
  return { host: host === "" ? undefined : host, port: portText === undefined ? undefined : Number(portText) }
}

/** Parses a comma-separated host list into seed nodes (port 6379 by default), or says why not. */
const parseHostList = (text: string, quote: boolean): Array<Endpoint> | string => {
  if (text.trim() === "") return "names no host"
  const nodes: Array<Endpoint> = []
  const entries = text.split(",")
  for (let i = 0; i < entries.length; i++) {
    const parsed = parseHostPort(entries[i]!.trim(), false, quote)
    if (typeof parsed === "string" || parsed.host === undefined) {
      return `host ${i + 1} of the host list: ${typeof parsed === "string" ? parsed : "empty host"}`
    }
    nodes.push({ host: parsed.host, port: parsed.port ?? 6379 })
  }
  return nodes
}

/** `from>to,from>to`: each side `host`, `host:port`, `:port` or `[v6]:port`. */
const parseRemapRules = (value: string, option: string, quote: boolean): Result.Result<ReadonlyArray<HostPortRemapRule>, ConfigError> => {
  const rules: Array<HostPortRemapRule> = []
  const entries = value.split(",").map((e) => e.trim()).filter((e) => e !== "")
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!
    const parts = entry.split(">")
    const rule = quote ? `rule ${show(entry)}` : `rule ${i + 1} (${NOT_QUOTED})`
    const fail = (why: string) =>
      Result.fail(new ConfigError({ field: "hostPortRemap", reason: `query option ${option}: ${rule} ${why} (expected from>to, e.g. 10.0.0.1:7000>127.0.0.1:17000)` }))
    if (parts.length !== 2) return fail("is not of the form from>to")
    const from = parseHostPort(parts[0]!.trim(), true, quote)
    const to = parseHostPort(parts[1]!.trim(), true, quote)
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

/** Applies one query option; `quote`: whether its errors may quote the value (see `parseUrl`). */
type Apply = (options: UrlOptions, value: string, option: string, quote: boolean) => Result.Result<void, ConfigError>

const str = (field: "username" | "clientName"): Apply => (o, v, option, quote) => o.set(field, v, option, quote)
const bool = (field: "skipFullCoverageCheck" | "followCluster" | "validateRedirects" | "tracing" | "metrics"): Apply => (o, v, option, quote) =>
  Result.flatMap(parseBoolean(v, option, field, quote), (b) => o.set(field, b, option, quote))
const num = (
  field:
    | "maxRedirects"
    | "refreshAfterMoved"
    | "maxBlockingConnectionsPerNode"
    | "clusterDownRetryAttempts"
    | "maxReplyBulkBytes"
    | "maxReplyElements"
    | "maxPendingCommands"
    | "db"
): Apply =>
(o, v, option, quote) => Result.flatMap(parseNumber(v, option, field, quote), (n) => o.set(field, n, option, quote))
const dur = (
  field: "topologyRefreshInterval" | "minRefreshInterval" | "connectTimeout" | "commandTimeout" | "blockingPoolTimeout"
): Apply =>
(o, v, option, quote) => Result.flatMap(parseDuration(v, option, field, quote), (d) => o.set(field, d, option, quote))
const seconds = (field: "connectTimeout" | "commandTimeout"): Apply => (o, v, option, quote) =>
  Result.flatMap(parseSeconds(v, option, field, quote), (ms) => o.set(field, ms, option, quote))
const replicaReads: Apply = (o, v, option, quote) =>
  Result.flatMap(parseBoolean(v, option, "readFrom", quote), (b) => o.set("readFrom", b ? "replica" : "master", option, quote))

/** Every query option: the camelCase names of `RedisClusterConfig`, then redis-py-cluster's names. */
const queryOptions: Record<string, Apply> = {
  username: str("username"),
  password: (o, v, option, quote) =>
    v === ""
      ? Result.fail(new ConfigError({ field: "password", reason: `query option ${option} is empty` }))
      : o.set("password", Redacted.make(v), option, quote),
  clientName: str("clientName"),
  protocol: (o, v, option, quote) =>
    v === "2" || v === "3"
      ? o.set("protocol", v === "2" ? 2 : 3, option, quote)
      : Result.fail(new ConfigError({ field: "protocol", reason: `query option ${option} must be 2 or 3${got(v, quote)}` })),
  readFrom: (o, v, option, quote) =>
    isReadFrom(v)
      ? o.set("readFrom", v, option, quote)
      : Result.fail(
        new ConfigError({ field: "readFrom", reason: `query option ${option} must be one of ${readFromPolicies.join(", ")}${got(v, quote)}` })
      ),
  skipFullCoverageCheck: bool("skipFullCoverageCheck"),
  followCluster: bool("followCluster"),
  validateRedirects: bool("validateRedirects"),
  hostPortRemap: (o, v, option, quote) =>
    Result.flatMap(parseRemapRules(v, option, quote), (rules) => o.set("hostPortRemap", rules, option, quote)),
  maxRedirects: num("maxRedirects"),
  refreshAfterMoved: num("refreshAfterMoved"),
  topologyRefreshInterval: dur("topologyRefreshInterval"),
  minRefreshInterval: dur("minRefreshInterval"),
  connectTimeout: dur("connectTimeout"),
  commandTimeout: dur("commandTimeout"),
  maxBlockingConnectionsPerNode: num("maxBlockingConnectionsPerNode"),
  blockingPoolTimeout: dur("blockingPoolTimeout"),
  clusterDownRetryAttempts: num("clusterDownRetryAttempts"),
  maxReplyBulkBytes: num("maxReplyBulkBytes"),
  maxReplyElements: num("maxReplyElements"),
  maxPendingCommands: num("maxPendingCommands"),
  db: num("db"),
  tls: (o, v, option, quote) => Result.flatMap(parseBoolean(v, option, "tls", quote), (b) => o.setTls("tls", b, "tls", option, quote)),
  tlsRejectUnauthorized: (o, v, option, quote) =>
    Result.flatMap(
      parseBoolean(v, option, "tls.rejectUnauthorized", quote),
      (b) => o.setTls("tlsRejectUnauthorized", b, "tls.rejectUnauthorized", option, quote)
    ),
  tlsServername: (o, v, option, quote) => o.setTls("tlsServername", v, "tls.servername", option, quote),
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
  max_connections_per_node: (o, v, option, quote) =>
    BOOLEANS[v.toLowerCase()] !== undefined ? Result.succeed(undefined) : num("maxBlockingConnectionsPerNode")(o, v, option, quote),
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
  "if the user name or password contains '/', '?', '#', '@' or '%', percent-encode it (%2F, %3F, %23, %40, %25)"

/** Index of the first match of `pattern` in `text`, or `text.length`. */
const firstIndex = (text: string, pattern: RegExp): number => {
  const i = text.search(pattern)
  return i === -1 ? text.length : i
}

/**
 * Index in `rest` (the URL after `scheme://`) of the '@' that ends the user info, or -1 for none.
 *
 * A well-formed URL is read as RFC 3986 says: the authority ends at the first '/', '?' or '#', and
 * its last '@' ends the user info (so an '@' in the query, `?clientName=a@b`, stays there). When
 * that reading cannot be right (an '@' in what would be the path, a '#', or no valid host list),
 * the password must hold an unencoded '/', '?' or '#': the user info then ends at the last '@'
 * before the host list, which is the first '@' with no other '@' between it and the next '?'.
 */
const userInfoEnd = (rest: string): number => {
  if (!rest.includes("@")) return -1
  const authorityEnd = firstIndex(rest, /[/?#]/)
  const strictAt = rest.slice(0, authorityEnd).lastIndexOf("@")
  const after = rest.slice(authorityEnd)
  const path = after.slice(0, firstIndex(after, /[?#]/))
  if (!path.includes("@") && !after.includes("#") && typeof parseHostList(rest.slice(strictAt + 1, authorityEnd), false) !== "string") {
    return strictAt
  }
  for (let i = rest.indexOf("@"); i !== -1; i = rest.indexOf("@", i + 1)) {
    const query = rest.indexOf("?", i + 1)
    if (!rest.slice(i + 1, query === -1 ? rest.length : query).includes("@")) return i
  }
  // unreachable: the last '@' always qualifies
  return rest.lastIndexOf("@")
}

/** What `parseUrl` gives `fromUrlResult`: the options, and those whose values errors must not quote. */
interface Parsed {
  readonly config: RedisClusterConfig
  readonly hidden: ReadonlySet<string>
}

/**
 * Parses a URL into options (not yet validated by `resolve`). Never throws.
 *
 * Quoting: no error quotes text that comes before the URL's last '@'. The user info ends at an '@'
 * (`userInfoEnd`), so text after the last one is never part of it; text before it may be, if the
 * user info holds an unencoded '@', '/', '?' or '#' and was cut in the wrong place. Such text is
 * described instead ("host 2 of the host list: its port is not a number"), and the options set from
 * it are `hidden`, so that `resolve` does not quote their values either.
 */
const parseUrl = (url: string): Result.Result<Parsed, ConfigError> =>
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
      // `user:password@host` without a scheme reads as the scheme "user": quoted only with no '@'
      const named = text.includes("@") ? "" : ` "${protocol}:"`
      return yield* urlError(`unsupported scheme${named} (expected redis:// or rediss://)`)
    }
    const afterScheme = text.slice(scheme[0].length)
    if (!afterScheme.startsWith("//")) return yield* urlError(`expected "//" after "${protocol}:"`)
    const rest = afterScheme.slice(2)

    const lastAt = rest.lastIndexOf("@")
    /** Whether text of `rest` starting at `index` may be quoted: only after the last '@'. */
    const quotable = (index: number) => index > lastAt
    const hint = lastAt === -1 ? "" : `; ${CREDENTIALS_HINT}`

    const options = new UrlOptions()
    const at = userInfoEnd(rest)
    if (at !== -1) {
      const userInfo = rest.slice(0, at)
      const colon = userInfo.indexOf(":")
      const rawUser = colon === -1 ? userInfo : userInfo.slice(0, colon)
      const rawPassword = colon === -1 ? "" : userInfo.slice(colon + 1)
      const user = safeDecode(rawUser)
      if (user === undefined) return yield* urlError(`malformed percent-encoding in the user name${hint}`)
      const password = safeDecode(rawPassword)
      if (password === undefined) return yield* urlError(`malformed percent-encoding in the password${hint}`)
      if (user !== "") yield* options.set("username", user, "the user info", false)
      if (password !== "") yield* options.set("password", Redacted.make(password), "the user info", false)
    }

    const hostStart = at + 1
    const afterUserInfo = rest.slice(hostStart)
    if (afterUserInfo.includes("#")) return yield* urlError(`has a "#" (fragments are not allowed)${hint}`)
    const authorityEnd = firstIndex(afterUserInfo, /[/?]/)
    const nodes = parseHostList(afterUserInfo.slice(0, authorityEnd), quotable(hostStart))
    if (typeof nodes === "string") return yield* urlError(`${nodes}${quotable(hostStart) ? "" : hint}`)
    const [head, ...more] = nodes
    if (head === undefined) return yield* urlError("names no host")
    if (!quotable(hostStart)) options.hidden.add("startupNodes")

    const tailStart = hostStart + authorityEnd
    const tail = afterUserInfo.slice(authorityEnd)
    const question = tail.indexOf("?")
    const path = question === -1 ? tail : tail.slice(0, question)
    if (path !== "" && path !== "/") {
      const db = /^\/(\d+)\/?$/.exec(path)
      if (db === null) {
        return yield* urlError(
          quotable(tailStart)
            ? `path ${show(path)} must be empty or a database number (/0)`
            : `has a path that is not a database number (/0)${hint}`
        )
      }
      yield* options.set("db", Number(db[1]), "the path", quotable(tailStart))
    }
    if (protocol === "rediss") yield* options.setTls("tls", true, "tls", "rediss://", true)

    if (question !== -1) {
      // Pair by pair, to know where each one starts; URLSearchParams decodes each as it would the
      // whole query (a '?' leading the query is dropped, one leading a later pair is kept).
      let offset = tailStart + question + 1
      const pairs = tail.slice(question + 1).split("&")
      for (let i = 0; i < pairs.length; i++) {
        const pair = pairs[i]!
        const quote = quotable(offset)
        offset += pair.length + 1
        for (const [name, value] of new URLSearchParams(i === 0 ? pair : `&${pair}`)) {
          const apply = Object.hasOwn(queryOptions, name) ? queryOptions[name] : undefined
          if (apply === undefined) {
            return yield* urlError(
              quote
                ? unknownKeyReason(name, Object.keys(queryOptions)).replace("unknown option", "unknown query option")
                : `unknown query option (its name is ${NOT_QUOTED})${hint}`
            )
          }
          yield* apply(options, value, name, quote)
        }
      }
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
    return { config, hidden: options.hidden }
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
    const config = overrides === undefined ? parsed.config : mergeOverrides(parsed.config, overrides)
    // an override's value is the caller's own, not text of the URL: it may be quoted
    const hidden = new Set(Array.from(parsed.hidden).filter((field) => overrides?.[field as keyof RedisClusterConfig] === undefined))
    yield* resolveResult(config, hidden)
    return config
  })
