/**
 * The configuration of a keyslot client: the user-facing options (`RedisClusterConfig`), their
 * validation into a fully defaulted `ResolvedConfig`, `redis://` / `rediss://` URLs (`fromUrl`),
 * a `Config` reading such a URL from the environment (`urlConfig`) and a log-safe rendering
 * (`describeConfig`).
 *
 * Every invalid option fails with `ConfigError`, whose `field` names the offending option
 * (`startupNodes[1].port`, `readFrom`, `url`, ...). Nothing here throws, and no error or rendering
 * ever contains the password.
 *
 * @since 0.1.0
 */
import {
  Config,
  Duration,
  Effect,
  Equal,
  Option,
  Redacted,
  Result,
  Schedule,
  Schema,
  SchemaGetter,
  SchemaIssue,
  SchemaParser
} from "effect"
import type { Array as Arr } from "effect"
import { ConfigError } from "./ClusterError.js"
import type { Endpoint, TlsOptions } from "./Connector.js"

// -----------------------------------------------------------------------------------------------
// Types
// -----------------------------------------------------------------------------------------------

/**
 * Where read-only commands go:
 * - `"master"`: always the slot's master (default; never stale).
 * - `"replica"`: a replica of the slot's master; the master when it has none.
 * - `"replicaPreferred"`: a healthy replica, falling back to the master while none is reachable.
 * - `"any"`: any member of the slot's shard, master included, spread evenly.
 * - `"nearest"`: the member with the lowest measured latency.
 *
 * Covers redis-py-cluster's `readonly_mode` and `read_from_replicas`.
 *
 * @since 0.1.0
 * @category models
 */
export type ReadFrom = "master" | "replica" | "replicaPreferred" | "any" | "nearest"

/**
 * Every `ReadFrom` policy, in documentation order.
 *
 * @since 0.1.0
 * @category constants
 */
export const readFromValues: ReadonlyArray<ReadFrom> = ["master", "replica", "replicaPreferred", "any", "nearest"]

/**
 * One `hostPortRemap` rule. It matches an endpoint when `from.host` (if given) equals the
 * endpoint's host (case-insensitively) and `from.port` (if given) equals its port; the fields `to`
 * gives then replace the endpoint's. Each side must give a host, a port, or both.
 *
 * @since 0.1.0
 * @category models
 */
export interface HostPortRemapRule {
  readonly from: { readonly host?: string | undefined; readonly port?: number | undefined }
  readonly to: { readonly host?: string | undefined; readonly port?: number | undefined }
}

/**
 * How advertised node addresses are rewritten before connecting (NAT, Docker, SSH tunnels): a
 * table of rules (the first matching rule wins; unmatched endpoints are kept) or a function.
 *
 * @since 0.1.0
 * @category models
 */
export type HostPortRemap = ReadonlyArray<HostPortRemapRule> | ((endpoint: Endpoint) => Endpoint)

/**
 * Retry schedules overriding keyslot's defaults (see `RetryPolicy`). Each is used as given; only
 * its being a `Schedule` is checked.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetrySchedules {
  /** Between retries of a command answered `-TRYAGAIN` (multi-key command during a migration). */
  readonly tryAgain?: Schedule.Schedule<unknown, unknown> | undefined
  /** Between retries after `-CLUSTERDOWN` / `-MASTERDOWN` (each preceded by a topology refresh). */
  readonly clusterDown?: Schedule.Schedule<unknown, unknown> | undefined
  /** Between retries of a command answered `-LOADING`. */
  readonly loading?: Schedule.Schedule<unknown, unknown> | undefined
  /** Between reconnection attempts to a node. */
  readonly reconnect?: Schedule.Schedule<unknown, unknown> | undefined
}

/**
 * The options of a cluster client, as users write them. Everything but `startupNodes` is optional;
 * an option set to `undefined` counts as absent. Durations are `Duration.Input`s (a
 * `Duration`, a number of milliseconds, a string such as `"5 seconds"`, or units such as
 * `{ seconds: 5 }`); negative or `NaN` durations are refused.
 *
 * @since 0.1.0
 * @category models
 */
export interface RedisClusterConfig {
  /**
   * Seed nodes to discover the cluster from. Must list at least one node; duplicates are dropped.
   * IPv6 hosts may be written bare (`"::1"`) or bracketed (`"[::1]"`).
   */
  readonly startupNodes: ReadonlyArray<{ readonly host: string; readonly port: number }>
  /** ACL user name sent with `HELLO`/`AUTH`. Default: none (the `default` user). */
  readonly username?: string | undefined
  /** Password sent with `HELLO`/`AUTH`, kept `Redacted` so it never shows up in logs. Default: none. */
  readonly password?: Redacted.Redacted<string> | undefined
  /**
   * `true` (or TLS settings) to connect with TLS, the same settings for seed nodes and for every
   * node discovered later. Default: `false` (plain TCP).
   */
  readonly tls?: boolean | TlsOptions | undefined
  /** Connection name set with `CLIENT SETNAME` (printable characters, no spaces). Default: none. */
  readonly clientName?: string | undefined
  /** RESP version: `3` (default; falls back to 2 when the server refuses `HELLO 3`) or `2`. */
  readonly protocol?: 2 | 3 | undefined
  /** Where read-only commands go (see `ReadFrom`). Default: `"master"`. */
  readonly readFrom?: ReadFrom | undefined
  /**
   * Accept a cluster whose slots are not all covered (for managed services that hide part of the
   * cluster or disable `CONFIG`); commands to uncovered slots then fail with
   * `SlotNotCoveredError`. Default: `false`.
   */
  readonly skipFullCoverageCheck?: boolean | undefined
  /**
   * Refresh the topology from the last known nodes rather than from `startupNodes`
   * (redis-py-cluster's `nodemanager_follow_cluster`). Default: `false`.
   */
  readonly followCluster?: boolean | undefined
  /**
   * Rewrites advertised node addresses, for discovery and for `MOVED`/`ASK` targets alike.
   * Default: none (addresses used as advertised).
   */
  readonly hostPortRemap?: HostPortRemap | undefined
  /** Most `MOVED`/`ASK` hops one command may take before failing with `RedirectLimitError`. Default: `16`. */
  readonly maxRedirects?: number | undefined
  /**
   * redis-py-cluster's `reinitialize_steps`: after this many `MOVED` replies since the last full
   * refresh, a full topology refresh is forced even while `minRefreshInterval` would hold it back.
   * keyslot also starts a (deduplicated, rate-limited) refresh on every `MOVED` anyway, so this is a
   * backstop, not the main mechanism. `0` disables the counter. Default: `25`.
   */
  readonly refreshAfterMoved?: number | undefined
  /** Period of the background topology refresh; `0` (or an infinite duration) turns it off. Default: 30 seconds. */
  readonly topologyRefreshInterval?: Duration.Input | undefined
  /** Least time between two topology refreshes (rate limit of adaptive refreshes); `0` disables the limit. Default: 100 ms. */
  readonly minRefreshInterval?: Duration.Input | undefined
  /** Deadline for opening a connection (TCP, TLS and handshake); `0` means none. Default: 10 seconds. */
  readonly connectTimeout?: Duration.Input | undefined
  /** Deadline of each command, counted from the moment it is issued; `0` means none. Default: 10 seconds. */
  readonly commandTimeout?: Duration.Input | undefined
  /**
   * Bound on dedicated connections per node for blocking commands (`BLPOP`, `XREAD BLOCK`, `WAIT`...),
   * redis-py-cluster's blocking pool `max_connections`. At least 1. Default: `50`.
   */
  readonly maxBlockingConnectionsPerNode?: number | undefined
  /**
   * How long a blocking command waits for a free dedicated connection before failing; `0` means
   * wait without limit. Default: 20 seconds.
   */
  readonly blockingPoolTimeout?: Duration.Input | undefined
  /** Retries of a command after `-CLUSTERDOWN`/`-MASTERDOWN`, each after a refresh. Default: `3`. */
  readonly clusterDownRetryAttempts?: number | undefined
  /** Database number. A cluster only has database 0; any other value is refused. Default: `0`. */
  readonly db?: number | undefined
  /** Retry schedules overriding the defaults. Default: none (keyslot's `RetryPolicy` defaults). */
  readonly retry?: RetrySchedules | undefined
  /** One span per user command, with database attributes. Default: `false`. */
  readonly tracing?: boolean | undefined
  /** Command, redirect and refresh metrics. Default: `false`. */
  readonly metrics?: boolean | undefined
}

/**
 * A validated configuration with every default filled in. Durations are milliseconds; for
 * timeouts and intervals `0` means "none" / "off".
 *
 * @since 0.1.0
 * @category models
 */
export interface ResolvedConfig {
  /** The seed nodes, deduplicated (host case-insensitively), IPv6 brackets removed. Never empty. */
  readonly startupNodes: Arr.NonEmptyReadonlyArray<Endpoint>
  /** ACL user name, or `undefined` for the default user. */
  readonly username: string | undefined
  /** Password, or `undefined`. */
  readonly password: Redacted.Redacted<string> | undefined
  /** TLS settings (`{}` for TLS with defaults), or `undefined` for plain TCP. */
  readonly tls: TlsOptions | undefined
  /** `CLIENT SETNAME` name, or `undefined`. */
  readonly clientName: string | undefined
  /** RESP version asked for. */
  readonly protocol: 2 | 3
  /** Read policy. */
  readonly readFrom: ReadFrom
  /** Accept partial slot coverage. */
  readonly skipFullCoverageCheck: boolean
  /** Refresh from the last known nodes rather than the seeds. */
  readonly followCluster: boolean
  /** Address rewriting, compiled to a function; the identity when no remap was given. */
  readonly hostPortRemap: (endpoint: Endpoint) => Endpoint
  /** The remap table as given (for logs), or `undefined` when none or a function was given. */
  readonly hostPortRemapRules: ReadonlyArray<HostPortRemapRule> | undefined
  /** Most redirect hops per command. */
  readonly maxRedirects: number
  /** MOVED replies after which a full refresh is forced; `0`: never. */
  readonly refreshAfterMoved: number
  /** Period of the background refresh in ms; `0`: off. */
  readonly topologyRefreshIntervalMillis: number
  /** Least time between refreshes in ms; `0`: no limit. */
  readonly minRefreshIntervalMillis: number
  /** Connect deadline in ms; `0`: none. */
  readonly connectTimeoutMillis: number
  /** Command deadline in ms; `0`: none. */
  readonly commandTimeoutMillis: number
  /** Bound on dedicated (blocking) connections per node. */
  readonly maxBlockingConnectionsPerNode: number
  /** Wait for a free dedicated connection in ms; `0`: no limit. */
  readonly blockingPoolTimeoutMillis: number
  /** Retries after CLUSTERDOWN/MASTERDOWN. */
  readonly clusterDownRetryAttempts: number
  /** Always `0`. */
  readonly db: 0
  /** Retry schedules as given; each `undefined` when not overridden. */
  readonly retry: {
    readonly tryAgain: Schedule.Schedule<unknown, unknown> | undefined
    readonly clusterDown: Schedule.Schedule<unknown, unknown> | undefined
    readonly loading: Schedule.Schedule<unknown, unknown> | undefined
    readonly reconnect: Schedule.Schedule<unknown, unknown> | undefined
  }
  /** Spans per command. */
  readonly tracing: boolean
  /** Metrics. */
  readonly metrics: boolean
}

/**
 * The default of every optional setting (durations in milliseconds).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults = {
  protocol: 3,
  readFrom: "master",
  skipFullCoverageCheck: false,
  followCluster: false,
  maxRedirects: 16,
  refreshAfterMoved: 25,
  topologyRefreshIntervalMillis: 30_000,
  minRefreshIntervalMillis: 100,
  connectTimeoutMillis: 10_000,
  commandTimeoutMillis: 10_000,
  maxBlockingConnectionsPerNode: 50,
  blockingPoolTimeoutMillis: 20_000,
  clusterDownRetryAttempts: 3,
  db: 0,
  tracing: false,
  metrics: false
} as const satisfies Partial<ResolvedConfig>

// -----------------------------------------------------------------------------------------------
// Schema of the options
// -----------------------------------------------------------------------------------------------

/** A short rendering of a wrong value for error messages (never used for secrets). */
const show = (u: unknown): string => {
  switch (typeof u) {
    case "string":
      return JSON.stringify(u.length > 60 ? `${u.slice(0, 57)}...` : u)
    case "bigint":
      return `${u}n`
    case "number":
    case "boolean":
    case "undefined":
    case "symbol":
      return String(u)
    case "function":
      return "a function"
    default:
      return u === null ? "null" : Array.isArray(u) ? "an array" : "an object"
  }
}

/**
 * A schema accepting what `is` accepts and failing with `reason(value)` otherwise. Every leaf of
 * the options is one, so that each failure reads as one sentence about the offending value (Schema
 * v4's message annotations are static strings, and could not name the value).
 */
const guarded = <A>(is: (u: unknown) => u is A, reason: (u: unknown) => string) =>
  Schema.declareConstructor<A>()(
    [],
    () => (u) => is(u) ? Effect.succeed(u) : Effect.fail(new SchemaIssue.InvalidValue({ message: reason(u) }))
  )

/** A leaf schema whose every failure reads `must be <expected>, got <value>`. */
const leaf = <A>(is: (u: unknown) => u is A, expected: string, echo = true) =>
  guarded(is, (u) => echo ? `must be ${expected}, got ${show(u)}` : `must be ${expected}`)

const hasNoSpace = (s: string) => s.length > 0 && !/\s/.test(s)
const isNoSpaceString = Schema.is(Schema.String.check(Schema.makeFilter(hasNoSpace)))

const Host = leaf(isNoSpaceString, "a non-empty host name or IP address")
const Port = leaf(Schema.is(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 65535 }))), "an integer port in 1..65535")
const NonNegativeInt = leaf(Schema.is(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))), "a non-negative integer")
const PositiveInt = leaf(Schema.is(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))), "an integer of at least 1")
const Bool = leaf(Schema.is(Schema.Boolean), "true or false")

// seeds often come from richer objects (fixtures, discovery results): extra keys are fine here, so
// a rest signature covers them (Schema v4 has no per-schema parse options)
const EndpointSchema = Schema.StructWithRest(
  Schema.Struct({ host: Host, port: Port }),
  [Schema.Record(Schema.String, Schema.Unknown)]
).annotate({ message: "must be an object { host, port }" })

const StartupNodes = Schema.Array(EndpointSchema).annotate({
  message: "must be an array of { host, port } seed nodes"
}).check(Schema.isMinLength(1, { message: "must list at least one seed node (an empty list cannot reach a cluster)" }))

const Username = leaf(isNoSpaceString, "a non-empty user name without spaces")

const Password = leaf(
  Schema.is(Schema.Redacted(Schema.NonEmptyString)),
  "a non-empty Redacted string (Redacted.make(\"...\")), so that the secret never reaches a log",
  false
)

const ClientName = leaf(
  Schema.is(Schema.String.check(Schema.isPattern(/^[!-~]+$/))),
  "a non-empty name of printable ASCII characters without spaces"
)

const Pem = Schema.Union([Schema.String, Schema.Uint8Array])
const TlsObject = Schema.Struct({
  ca: Schema.optionalKey(leaf(Schema.is(Schema.Union([Pem, Schema.Array(Pem)])), "PEM text, bytes, or a list of them", false)),
  cert: Schema.optionalKey(leaf(Schema.is(Pem), "PEM text or bytes", false)),
  key: Schema.optionalKey(leaf(Schema.is(Pem), "PEM text or bytes", false)),
  servername: Schema.optionalKey(Host),
  rejectUnauthorized: Schema.optionalKey(Bool)
}).annotate({ message: "must be true, false, or TLS options { ca, cert, key, servername, rejectUnauthorized }" })

const decodeTlsObject = SchemaParser.decodeUnknownEffect(TlsObject)
const TlsSetting = Schema.declareConstructor<boolean | TlsOptions>()(
  [],
  () => (u, _, options) => typeof u === "boolean" ? Effect.succeed(u) : decodeTlsObject(u, options)
)

const Protocol = leaf(Schema.is(Schema.Literals([2, 3])), "2 or 3")
const ReadFromSchema = leaf(
  Schema.is(Schema.Literals(["master", "replica", "replicaPreferred", "any", "nearest"])),
  `one of ${readFromValues.map((v) => `"${v}"`).join(", ")}`
)
const Db = guarded(
  Schema.is(Schema.Literal(0)),
  (u) => `must be 0, got ${show(u)}: selecting a database is not possible in cluster mode (a cluster has only database 0)`
)

const RemapSide = Schema.Struct({ host: Schema.optionalKey(Host), port: Schema.optionalKey(Port) }).annotate({
  message: "must be an object { host?, port? }"
}).check(
  Schema.makeFilter((side) => side.host !== undefined || side.port !== undefined || "must give a host, a port, or both")
)

const RemapRule = Schema.Struct({ from: RemapSide, to: RemapSide }).annotate({
  message: "must be a rule { from: { host?, port? }, to: { host?, port? } }"
})

const RemapTable = Schema.Array(RemapRule).annotate({
  message: "must be a list of { from, to } rules or a function (endpoint) => endpoint"
})

const isRemapFunction = (u: unknown): u is (endpoint: Endpoint) => Endpoint => typeof u === "function"

const decodeRemapTable = SchemaParser.decodeUnknownEffect(RemapTable)
const HostPortRemapSchema = Schema.declareConstructor<HostPortRemap>()(
  [],
  () => (u, _, options) => isRemapFunction(u) ? Effect.succeed(u) : decodeRemapTable(u, options)
)

const ScheduleSchema = leaf(
  (u): u is Schedule.Schedule<unknown, unknown> => Schedule.isSchedule(u),
  "a Schedule"
)
const RetrySchema = Schema.Struct({
  tryAgain: Schema.optionalKey(ScheduleSchema),
  clusterDown: Schema.optionalKey(ScheduleSchema),
  loading: Schema.optionalKey(ScheduleSchema),
  reconnect: Schema.optionalKey(ScheduleSchema)
}).annotate({ message: "must be an object of Schedules { tryAgain?, clusterDown?, loading?, reconnect? }" })

const DURATION_HINT = "a non-negative duration (milliseconds, a Duration, or a string such as \"5 seconds\")"

const decodeDurationString = Schema.decodeUnknownOption(Schema.DurationFromString)

const DURATION_OBJECT_KEYS: ReadonlySet<string> = new Set<keyof Duration.DurationObject>([
  "weeks",
  "days",
  "hours",
  "minutes",
  "seconds",
  "milliseconds",
  "microseconds",
  "nanoseconds"
])

/** A `Duration.DurationObject` with at least one unit, every key a unit and every value a non-negative number. */
const isDurationObject = (u: unknown): u is Duration.DurationObject => {
  if (!isPlainObject(u)) return false
  const entries = Object.entries(u)
  return entries.length > 0 &&
    entries.every(([k, v]) => DURATION_OBJECT_KEYS.has(k) && typeof v === "number" && !Number.isNaN(v) && v >= 0)
}

/**
 * A `Duration.Input` to milliseconds, or the reason it is not acceptable. Effect turns `NaN` inputs
 * into zero and keeps negative ones as negative durations; here both are refused.
 */
const durationMillis = (u: unknown, allowInfinite: boolean): number | string => {
  const bad = `must be ${DURATION_HINT}, got ${show(u)}`
  let duration: Duration.Duration
  if (typeof u === "number") {
    if (Number.isNaN(u) || u < 0) return bad
    duration = Duration.millis(u)
  } else if (typeof u === "bigint") {
    if (u < BigInt(0)) return bad
    duration = Duration.nanos(u)
  } else if (Array.isArray(u)) {
    if (u.length !== 2 || !u.every((n) => typeof n === "number" && !Number.isNaN(n) && n >= 0)) return bad
    duration = Duration.fromInputUnsafe([u[0], u[1]])
  } else if (typeof u === "string") {
    if (u.trim().startsWith("-")) return bad
    const decoded = decodeDurationString(u)
    if (Option.isNone(decoded)) return bad
    duration = decoded.value
  } else if (Duration.isDuration(u)) {
    duration = u
  } else if (isDurationObject(u)) {
    duration = Duration.fromInputUnsafe(u)
  } else {
    return bad
  }
  const millis = Duration.toMillis(duration)
  if (Number.isNaN(millis) || millis < 0) return bad
  if (!Number.isFinite(millis)) return allowInfinite ? 0 : `must be finite, got ${show(u)}`
  return millis
}

/** A duration option decoded to milliseconds; an infinite duration becomes `0` ("none") or is refused. */
const DurationMillis = (allowInfinite: boolean) =>
  Schema.Unknown.pipe(Schema.decodeTo(Schema.Number, {
    decode: SchemaGetter.transformEffect((u: unknown) => {
      const result = durationMillis(u, allowInfinite)
      return typeof result === "number" ? Effect.succeed(result) : Effect.fail(new SchemaIssue.InvalidValue({ message: result }))
    }),
    encode: SchemaGetter.passthroughSubtype()
  }))

// explicit `undefined`s are removed before decoding (see `withoutUndefined`), so optional keys are exact
const withDefault = <S extends Schema.Constraint>(schema: S, value: S["Type"]) =>
  Schema.withDecodingDefaultTypeKey<S>(Effect.succeed(value))(schema)

/** The schema of every option; unknown keys are refused by the decode options. */
const ConfigSchema = Schema.Struct({
  startupNodes: StartupNodes,
  username: Schema.optionalKey(Username),
  password: Schema.optionalKey(Password),
  tls: Schema.optionalKey(TlsSetting),
  clientName: Schema.optionalKey(ClientName),
  protocol: withDefault(Protocol, defaults.protocol),
  readFrom: withDefault(ReadFromSchema, defaults.readFrom),
  skipFullCoverageCheck: withDefault(Bool, defaults.skipFullCoverageCheck),
  followCluster: withDefault(Bool, defaults.followCluster),
  hostPortRemap: Schema.optionalKey(HostPortRemapSchema),
  maxRedirects: withDefault(NonNegativeInt, defaults.maxRedirects),
  refreshAfterMoved: withDefault(NonNegativeInt, defaults.refreshAfterMoved),
  topologyRefreshInterval: withDefault(DurationMillis(true), defaults.topologyRefreshIntervalMillis),
  minRefreshInterval: withDefault(DurationMillis(false), defaults.minRefreshIntervalMillis),
  connectTimeout: withDefault(DurationMillis(true), defaults.connectTimeoutMillis),
  commandTimeout: withDefault(DurationMillis(true), defaults.commandTimeoutMillis),
  maxBlockingConnectionsPerNode: withDefault(PositiveInt, defaults.maxBlockingConnectionsPerNode),
  blockingPoolTimeout: withDefault(DurationMillis(true), defaults.blockingPoolTimeoutMillis),
  clusterDownRetryAttempts: withDefault(NonNegativeInt, defaults.clusterDownRetryAttempts),
  db: withDefault(Db, defaults.db),
  retry: Schema.optionalKey(RetrySchema),
  tracing: withDefault(Bool, defaults.tracing),
  metrics: withDefault(Bool, defaults.metrics)
}).annotate({ message: "must be an object of options with at least startupNodes" })

const decodeConfig = SchemaParser.decodeUnknownResult(ConfigSchema, { errors: "all", onExcessProperty: "error" })

const isPlainObject = (u: unknown): u is Record<string, unknown> => {
  if (typeof u !== "object" || u === null) return false
  const proto: unknown = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

/**
 * A copy of the options without keys whose value is `undefined` (in plain objects and arrays, at
 * any depth), so that `{ connectTimeout: undefined }` means the default, as the types promise.
 */
const withoutUndefined = (u: unknown): unknown => {
  if (Array.isArray(u)) return u.map(withoutUndefined)
  if (!isPlainObject(u)) return u
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(u)) {
    if (value !== undefined) out[key] = withoutUndefined(value)
  }
  return out
}

// -----------------------------------------------------------------------------------------------
// SchemaIssue → ConfigError
// -----------------------------------------------------------------------------------------------

/** The keys each object of the options accepts, by the name of the key holding that object. */
const knownKeys: Record<string, ReadonlyArray<string>> = {
  "": Object.keys(ConfigSchema.fields),
  tls: Object.keys(TlsObject.fields),
  retry: Object.keys(RetrySchema.fields),
  hostPortRemap: ["from", "to"],
  from: ["host", "port"],
  to: ["host", "port"]
}

/** Edit distance counting a swap of two neighbours as one edit (`form` → `from`). */
const editDistance = (a: string, b: string): number => {
  const rows: Array<Array<number>> = []
  for (let i = 0; i <= a.length; i++) {
    const row: Array<number> = [i]
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j)
        continue
      }
      const above = rows[i - 1]!
      let best = Math.min(above[j]! + 1, row[j - 1]! + 1, above[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1)
      row.push(best)
    }
    rows.push(row)
  }
  return rows[a.length]![b.length]!
}

const normaliseKey = (key: string) => key.toLowerCase().replace(/[_-]/g, "")

/** The known key closest to `key`: equal ignoring case and `_`/`-`, or within a few edits (2 at most, fewer for short keys). */
const suggest = (key: string, candidates: ReadonlyArray<string>): string | undefined => {
  const wanted = normaliseKey(key)
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of candidates) {
    const distance = editDistance(wanted, normaliseKey(candidate))
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return bestDistance <= Math.min(2, Math.floor(wanted.length / 3)) || bestDistance === 0 ? best : undefined
}

const unknownKeyReason = (key: string, candidates: ReadonlyArray<string>): string => {
  const hint = suggest(key, candidates)
  return `unknown option "${key}"${hint === undefined ? "" : `; did you mean ${hint}?`}`
}

/** `["startupNodes", 1, "port"]` → `startupNodes[1].port`. */
const formatPath = (path: ReadonlyArray<PropertyKey>): string => {
  let out = ""
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`
    else out += out === "" ? String(segment) : `.${String(segment)}`
  }
  return out === "" ? "config" : out
}

interface Problem {
  readonly path: ReadonlyArray<PropertyKey>
  readonly reason: string
}

const messageOf = (annotations: Schema.Annotations.Annotations | undefined): string | undefined =>
  typeof annotations?.message === "string" ? annotations.message : undefined

/** Every problem an issue reports, in order, each at its path and in our words. */
const collectProblems = (issue: SchemaIssue.Issue, path: ReadonlyArray<PropertyKey>, out: Array<Problem>): void => {
  switch (issue._tag) {
    case "Pointer":
      return collectProblems(issue.issue, [...path, ...issue.path], out)
    case "Encoding":
      return collectProblems(issue.issue, path, out)
    case "Composite":
    case "AnyOf": {
      if (issue.issues.length === 0) {
        out.push({ path, reason: messageOf(issue.ast.annotations) ?? "is invalid" })
      }
      for (const inner of issue.issues) collectProblems(inner, path, out)
      return
    }
    case "Filter": {
      const message = messageOf(issue.filter.annotations)
      if (message === undefined) return collectProblems(issue.issue, path, out)
      out.push({ path, reason: message })
      return
    }
    case "MissingKey":
      out.push({ path, reason: "is required" })
      return
    case "UnexpectedKey": {
      const key = path[path.length - 1]
      const parent = path.slice(0, -1).filter((s): s is string => typeof s === "string")
      const candidates = knownKeys[parent[parent.length - 1] ?? ""] ?? []
      out.push({ path, reason: unknownKeyReason(String(key), candidates) })
      return
    }
    case "InvalidType":
      out.push({ path, reason: messageOf(issue.ast.annotations) ?? SchemaIssue.defaultLeafHook(issue) })
      return
    case "InvalidValue":
    case "Forbidden":
      out.push({ path, reason: messageOf(issue.annotations) ?? SchemaIssue.defaultLeafHook(issue) })
      return
    case "OneOf":
      out.push({ path, reason: SchemaIssue.defaultLeafHook(issue) })
      return
  }
}

const toConfigError = (issue: SchemaIssue.Issue): ConfigError => {
  const problems: Array<Problem> = []
  collectProblems(issue, [], problems)
  const [first, ...rest] = problems
  if (first === undefined) return new ConfigError({ field: "config", reason: "is invalid" })
  const more = rest.slice(0, 3).map((p) => `${formatPath(p.path)}: ${p.reason}`)
  const suffix = rest.length === 0
    ? ""
    : ` (also ${more.join("; ")}${rest.length > more.length ? `; and ${rest.length - more.length} more` : ""})`
  return new ConfigError({ field: formatPath(first.path), reason: first.reason + suffix })
}

// -----------------------------------------------------------------------------------------------
// resolve
// -----------------------------------------------------------------------------------------------

const stripBrackets = (host: string): string =>
  host.length > 2 && host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host

const identityRemap = (endpoint: Endpoint): Endpoint => endpoint

/** Compiles a remap table to a function: the first rule whose `from` matches rewrites the endpoint. */
const compileRemap = (rules: ReadonlyArray<HostPortRemapRule>): (endpoint: Endpoint) => Endpoint => {
  if (rules.length === 0) return identityRemap
  const compiled = rules.map((rule) => ({
    fromHost: rule.from.host === undefined ? undefined : stripBrackets(rule.from.host).toLowerCase(),
    fromPort: rule.from.port,
    toHost: rule.to.host === undefined ? undefined : stripBrackets(rule.to.host),
    toPort: rule.to.port
  }))
  return (endpoint) => {
    const host = stripBrackets(endpoint.host).toLowerCase()
    for (const rule of compiled) {
      if ((rule.fromHost === undefined || rule.fromHost === host) && (rule.fromPort === undefined || rule.fromPort === endpoint.port)) {
        return { host: rule.toHost ?? endpoint.host, port: rule.toPort ?? endpoint.port }
      }
    }
    return endpoint
  }
}

const normaliseTls = (tls: boolean | TlsOptions | undefined): TlsOptions | undefined => {
  if (tls === undefined || tls === false) return undefined
  if (tls === true) return {}
  const out: { -readonly [K in keyof TlsOptions]: TlsOptions[K] } = {}
  if (tls.ca !== undefined) out.ca = tls.ca
  if (tls.cert !== undefined) out.cert = tls.cert
  if (tls.key !== undefined) out.key = tls.key
  if (tls.servername !== undefined) out.servername = tls.servername
  if (tls.rejectUnauthorized !== undefined) out.rejectUnauthorized = tls.rejectUnauthorized
  return out
}

/** Synchronous core of `resolve` (also used by `fromUrl` and `urlConfig`). */
const resolveResult = (config: RedisClusterConfig): Result.Result<ResolvedConfig, ConfigError> =>
  Result.gen(function*() {
    const input: unknown = config
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      return yield* Result.fail(new ConfigError({ field: "config", reason: `must be an object of options, got ${show(input)}` }))
    }
    const c = yield* Result.mapError(decodeConfig(withoutUndefined(input)), toConfigError)
    const seen = new Set<string>()
    const nodes: Array<Endpoint> = []
    for (const node of c.startupNodes) {
      const host = stripBrackets(node.host)
      const key = `${host.toLowerCase()}:${node.port}`
      if (seen.has(key)) continue
      seen.add(key)
      nodes.push({ host, port: node.port })
    }
    const [head, ...tail] = nodes
    if (head === undefined) {
      return yield* Result.fail(new ConfigError({ field: "startupNodes", reason: "must list at least one seed node" }))
    }
    const remap = c.hostPortRemap
    return {
      startupNodes: [head, ...tail],
      username: c.username,
      password: c.password,
      tls: normaliseTls(c.tls),
      clientName: c.clientName,
      protocol: c.protocol,
      readFrom: c.readFrom,
      skipFullCoverageCheck: c.skipFullCoverageCheck,
      followCluster: c.followCluster,
      hostPortRemap: remap === undefined ? identityRemap : isRemapFunction(remap) ? remap : compileRemap(remap),
      hostPortRemapRules: remap === undefined || isRemapFunction(remap) ? undefined : remap,
      maxRedirects: c.maxRedirects,
      refreshAfterMoved: c.refreshAfterMoved,
      topologyRefreshIntervalMillis: c.topologyRefreshInterval,
      minRefreshIntervalMillis: c.minRefreshInterval,
      connectTimeoutMillis: c.connectTimeout,
      commandTimeoutMillis: c.commandTimeout,
      maxBlockingConnectionsPerNode: c.maxBlockingConnectionsPerNode,
      blockingPoolTimeoutMillis: c.blockingPoolTimeout,
      clusterDownRetryAttempts: c.clusterDownRetryAttempts,
      db: c.db,
      retry: {
        tryAgain: c.retry?.tryAgain,
        clusterDown: c.retry?.clusterDown,
        loading: c.retry?.loading,
        reconnect: c.retry?.reconnect
      },
      tracing: c.tracing,
      metrics: c.metrics
    }
  })

/**
 * Validates options and fills in every default. Fails with `ConfigError` naming the first offending
 * field (`startupNodes[1].port`, `readFrom`, `tls.rejectUnauthorized`, ...; further problems are
 * listed in the reason). Unknown keys are refused, with a hint when they look like a known option
 * (`readfrom` → "did you mean readFrom?"); extra keys on seed node objects are ignored.
 *
 * @since 0.1.0
 * @category validation
 */
export const resolve = (config: RedisClusterConfig): Effect.Effect<ResolvedConfig, ConfigError> =>
  Effect.suspend(() => Effect.fromResult(resolveResult(config)))

// -----------------------------------------------------------------------------------------------
// fromUrl
// -----------------------------------------------------------------------------------------------

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

const isReadFrom = (value: string): value is ReadFrom => readFromValues.some((v) => v === value)

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
      : Result.fail(new ConfigError({ field: "readFrom", reason: `query option ${option} must be one of ${readFromValues.join(", ")}, got ${show(v)}` })),
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

const fromUrlResult = (
  url: string,
  overrides: Partial<RedisClusterConfig> | undefined
): Result.Result<RedisClusterConfig, ConfigError> =>
  Result.gen(function*() {
    const parsed = yield* parseUrl(url)
    const config = overrides === undefined ? parsed : mergeOverrides(parsed, overrides)
    yield* resolveResult(config)
    return config
  })

/**
 * Builds options from a URL:
 *
 * `redis://[user[:password]@]host[:port][,host[:port]...][/0][?option=value&...]`
 *
 * - `rediss://` turns TLS on; `tlsRejectUnauthorized=false` and `tlsServername=name` refine it.
 * - User name and password are percent-decoded; the password becomes `Redacted`.
 * - Several seed nodes are separated by commas; IPv6 hosts are bracketed (`[::1]:7000`); the port
 *   defaults to 6379.
 * - `/N` or `db=N` sets the database; anything but 0 is refused (a cluster has only database 0).
 * - Every option of `RedisClusterConfig` but `startupNodes` and `retry` can be set by its camelCase
 *   name. Booleans: `true/false/1/0/yes/no`; durations: milliseconds or a Duration string
 *   (`connectTimeout=5%20seconds`); `hostPortRemap=from>to,...` with sides `host`, `host:port`,
 *   `:port` or `[v6]:port`.
 * - redis-py-cluster's names are accepted too: `read_from_replicas`/`readonly_mode` (`true` →
 *   `readFrom=replica`, `false` → `master`), `skip_full_coverage_check`,
 *   `nodemanager_follow_cluster`, `reinitialize_steps`, `cluster_down_retry_attempts`,
 *   `max_connections` (and a numeric `max_connections_per_node`) → `maxBlockingConnectionsPerNode`,
 *   `socket_connect_timeout`/`socket_timeout` (seconds) → `connectTimeout`/`commandTimeout`,
 *   `client_name`, `username`, `password`, `db`.
 *
 * `overrides` win over the URL (an override of `undefined` counts as absent). The result is
 * validated with `resolve`, so a config that `fromUrl` returns resolves. Fails with `ConfigError`
 * (field `url` for a malformed URL, an unknown query option or a `unix://` URL; otherwise the
 * option's field); never throws, and never echoes the password.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromUrl = (url: string, overrides?: Partial<RedisClusterConfig>): Effect.Effect<RedisClusterConfig, ConfigError> =>
  Effect.suspend(() => Effect.fromResult(fromUrlResult(url, overrides)))

// -----------------------------------------------------------------------------------------------
// Config
// -----------------------------------------------------------------------------------------------

/**
 * A `Config` of the options read from one (redacted) URL setting, `REDIS_CLUSTER_URL` by default,
 * parsed with `fromUrl` (with `overrides` applied). An invalid URL fails with a `Config.ConfigError`
 * whose `SchemaError` points at the setting and names the offending field, for `layerConfig`; a
 * missing setting is absence, which `Config.withDefault` / `Config.option` recover from.
 *
 * @example
 * ```ts
 * NodeRedisCluster.layerConfig(ClusterConfig.urlConfig())              // REDIS_CLUSTER_URL
 * NodeRedisCluster.layerConfig(ClusterConfig.urlConfig("CACHE_URL", { tracing: true }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const urlConfig = (
  name = "REDIS_CLUSTER_URL",
  overrides?: Partial<RedisClusterConfig>
): Config.Config<RedisClusterConfig> =>
  Config.Redacted(name).pipe(
    Config.mapEffect((url) =>
      Effect.fromResult(Result.mapError(
        fromUrlResult(Redacted.value(url), overrides),
        // no input on the issue: the URL may hold the password
        (error) =>
          new Config.ConfigError(
            new Schema.SchemaError(
              new SchemaIssue.Pointer([name], new SchemaIssue.InvalidValue({ message: `${error.field}: ${error.reason}` }))
            )
          )
      ))
    )
  )

// -----------------------------------------------------------------------------------------------
// describeConfig
// -----------------------------------------------------------------------------------------------

const formatEndpoint = (endpoint: { readonly host?: string | undefined; readonly port?: number | undefined }): string => {
  const host = endpoint.host === undefined ? "*" : endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host
  return `${host}:${endpoint.port === undefined ? "*" : endpoint.port}`
}

const formatMillis = (millis: number, zero: string): string => millis === 0 ? zero : Duration.format(Duration.millis(millis))

/**
 * Renders a resolved configuration on one line for logs. The password shows as `<redacted>`, TLS
 * material (`ca`, `cert`, `key`) as `<given>`; nothing secret is printed.
 *
 * @since 0.1.0
 * @category utils
 */
export const describeConfig = (config: ResolvedConfig): string => {
  const tls = config.tls === undefined
    ? "off"
    : `on(${
      [
        config.tls.ca === undefined ? undefined : "ca=<given>",
        config.tls.cert === undefined ? undefined : "cert=<given>",
        config.tls.key === undefined ? undefined : "key=<given>",
        config.tls.servername === undefined ? undefined : `servername=${config.tls.servername}`,
        config.tls.rejectUnauthorized === undefined ? undefined : `rejectUnauthorized=${config.tls.rejectUnauthorized}`
      ].filter((s) => s !== undefined).join(", ")
    })`
  const remap = config.hostPortRemapRules !== undefined
    ? `[${config.hostPortRemapRules.map((r) => `${formatEndpoint(r.from)}>${formatEndpoint(r.to)}`).join(", ")}]`
    : config.hostPortRemap === identityRemap
    ? "none"
    : "<function>"
  const retries = (Object.keys(config.retry) as Array<keyof ResolvedConfig["retry"]>)
    .filter((k) => config.retry[k] !== undefined)
  const parts = [
    `startupNodes=[${config.startupNodes.map(formatEndpoint).join(", ")}]`,
    `username=${config.username ?? "<default>"}`,
    `password=${config.password === undefined ? "<none>" : "<redacted>"}`,
    `tls=${tls}`,
    `clientName=${config.clientName ?? "<none>"}`,
    `protocol=${config.protocol}`,
    `readFrom=${config.readFrom}`,
    `skipFullCoverageCheck=${config.skipFullCoverageCheck}`,
    `followCluster=${config.followCluster}`,
    `hostPortRemap=${remap}`,
    `maxRedirects=${config.maxRedirects}`,
    `refreshAfterMoved=${config.refreshAfterMoved === 0 ? "off" : config.refreshAfterMoved}`,
    `topologyRefreshInterval=${formatMillis(config.topologyRefreshIntervalMillis, "off")}`,
    `minRefreshInterval=${formatMillis(config.minRefreshIntervalMillis, "none")}`,
    `connectTimeout=${formatMillis(config.connectTimeoutMillis, "none")}`,
    `commandTimeout=${formatMillis(config.commandTimeoutMillis, "none")}`,
    `maxBlockingConnectionsPerNode=${config.maxBlockingConnectionsPerNode}`,
    `blockingPoolTimeout=${formatMillis(config.blockingPoolTimeoutMillis, "none")}`,
    `clusterDownRetryAttempts=${config.clusterDownRetryAttempts}`,
    `retry=${retries.length === 0 ? "default" : `custom(${retries.join(", ")})`}`,
    `tracing=${config.tracing}`,
    `metrics=${config.metrics}`
  ]
  return `RedisClusterConfig{${parts.join(" ")}}`
}
