/**
 * The schema of the user-facing options: one leaf schema per option, each failing with a sentence
 * about the offending value, the defaults the decode fills in, and the duration coercion shared with
 * the URL parser. `validate.ts` runs it and turns its issues into `ConfigError`s.
 *
 * @internal
 */
import { Duration, Effect, Option, Schedule, Schema, SchemaGetter, SchemaIssue, SchemaParser } from "effect"
import type { HostPortRemap, ResolvedConfig } from "../../ClusterConfig.js"
import type { Endpoint, TlsOptions } from "../../Connector.js"
import { readFromValues } from "../../Router.js"
import type { ReadFrom } from "../../Router.js"

// -----------------------------------------------------------------------------------------------
// Defaults
// -----------------------------------------------------------------------------------------------

/**
 * The default of every optional setting (durations in milliseconds). It lives here, not in
 * ClusterConfig.ts (which re-exports it), because the schema fills these in while decoding and
 * ClusterConfig.ts imports this module: importing them back would be a cycle.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults = {
  protocol: 3,
  readFrom: "master",
  skipFullCoverageCheck: false,
  followCluster: false,
  validateRedirects: true,
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
  maxReplyElements: 2 ** 24,
  maxPendingCommands: 100_000,
  db: 0,
  tracing: false,
  metrics: false
} as const satisfies Partial<ResolvedConfig>

// -----------------------------------------------------------------------------------------------
// Schema of the options
// -----------------------------------------------------------------------------------------------

/**
 * Every `ReadFrom` policy, in documentation order, for the messages that list them (routing owns
 * the list).
 *
 * @since 0.1.0
 * @category constants
 */
export const readFromPolicies: ReadonlyArray<ReadFrom> = readFromValues

/**
 * Whether a string names a `ReadFrom` policy (the URL parser receives them as text).
 *
 * @since 0.1.0
 * @category guards
 */
export const isReadFrom = (value: string): value is ReadFrom => readFromPolicies.some((v) => v === value)

/**
 * A short rendering of a wrong value for error messages, so that a message names what was given
 * without quoting a whole object (never used for secrets).
 *
 * @since 0.1.0
 * @category utils
 */
export const show = (u: unknown): string => {
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
 * The annotation of an issue holding its message without the offending value, for values that must
 * not be quoted (those `fromUrl` read from text that may hold part of a password).
 *
 * @since 0.1.0
 * @category constants
 */
export const UNQUOTED_MESSAGE = "keyslot/unquotedMessage"

/** An issue whose message names the value, and whose `UNQUOTED_MESSAGE` does not. */
const invalid = (message: string, unquoted: string) =>
  new SchemaIssue.InvalidValue({ message, [UNQUOTED_MESSAGE]: unquoted })

/**
 * A schema accepting what `is` accepts and failing with `reason(value)` otherwise. Every leaf of
 * the options is one, so that each failure reads as one sentence about the offending value (Schema
 * v4's message annotations are static strings, and could not name the value). `unquoted` says the
 * same without the value.
 */
const guarded = <A>(is: (u: unknown) => u is A, reason: (u: unknown) => string, unquoted: string) =>
  Schema.declareConstructor<A>()(
    [],
    () => (u) => is(u) ? Effect.succeed(u) : Effect.fail(invalid(reason(u), unquoted))
  )

/** A leaf schema whose every failure reads `must be <expected>, got <value>`. */
const leaf = <A>(is: (u: unknown) => u is A, expected: string, echo = true) =>
  guarded(is, (u) => echo ? `must be ${expected}, got ${show(u)}` : `must be ${expected}`, `must be ${expected}`)

const hasNoSpace = (s: string) => s.length > 0 && !/\s/.test(s)
const isNoSpaceString = Schema.is(Schema.String.check(Schema.makeFilter(hasNoSpace)))

const Host = leaf(isNoSpaceString, "a non-empty host name or IP address")
const Port = leaf(Schema.is(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 65535 }))), "an integer port in 1..65535")
const NonNegativeInt = leaf(Schema.is(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))), "a non-negative integer")
const PositiveInt = leaf(Schema.is(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))), "an integer of at least 1")
const BulkBytes = leaf(
  Schema.is(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }))),
  "a whole number of bytes of at least 1"
)
// 2^32 - 1 is the longest a JavaScript array can be: an aggregate past it could not be held anyway
const MAX_ELEMENTS = 2 ** 32 - 1
const ReplyElements = leaf(
  Schema.is(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: MAX_ELEMENTS }))),
  `an integer in 1..${MAX_ELEMENTS}`
)
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
  Schema.is(Schema.Literals(readFromPolicies)),
  `one of ${readFromPolicies.map((v) => `"${v}"`).join(", ")}`
)
const Db = guarded(
  Schema.is(Schema.Literal(0)),
  (u) => `must be 0, got ${show(u)}: selecting a database is not possible in cluster mode (a cluster has only database 0)`,
  "must be 0: selecting a database is not possible in cluster mode (a cluster has only database 0)"
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

/**
 * Whether a `hostPortRemap` is a function rather than a table: functions are used as given, tables
 * are checked rule by rule and compiled.
 *
 * @since 0.1.0
 * @category guards
 */
export const isRemapFunction = (u: unknown): u is (endpoint: Endpoint) => Endpoint => typeof u === "function"

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

/**
 * What a duration option accepts, worded once for the schema's messages and the URL parser's.
 *
 * @since 0.1.0
 * @category constants
 */
export const DURATION_HINT = "a non-negative duration (milliseconds, a Duration, or a string such as \"5 seconds\")"

/**
 * Decodes a Duration string (`"5 seconds"`), shared with the URL parser so that both accept the
 * same spellings.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeDurationString = Schema.decodeUnknownOption(Schema.DurationFromString)

const NUMBER_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i

/**
 * A duration written as text, as a URL or an environment variable gives it: a number of
 * milliseconds (`"0"`, `"250"`), `"Infinity"` in any case (no limit, like the number), or a
 * Duration string (`"5 seconds"`). `undefined` for anything else, negative values and `NaN`
 * included, so that every text source refuses what the object options refuse.
 *
 * @since 0.1.0
 * @category decoding
 */
export const parseDurationText = (value: string): Duration.Duration | undefined => {
  const text = value.trim()
  // Effect reads "-5 seconds" as a negative duration and "NaN" as zero: both are refused here
  if (text.startsWith("-")) return undefined
  if (NUMBER_TEXT.test(text)) return Duration.millis(Number(text))
  // Effect's own spelling is "Infinity" only; text written by hand says "infinity" just as often
  if (text.replace(/^\+/, "").toLowerCase() === "infinity") return Duration.infinity
  const decoded = decodeDurationString(text)
  return Option.isSome(decoded) ? decoded.value : undefined
}

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
 *
 * The one rule of every duration option: `0` and an infinite duration both mean "no limit" and
 * resolve to `0` millis, which every consumer reads as none / off (`noLimit`); an option for which
 * "no limit" would be the opposite of what an infinite value says refuses infinity instead.
 */
const durationMillis = (u: unknown, noLimit: boolean): number | string => {
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
    const parsed = parseDurationText(u)
    if (parsed === undefined) return bad
    duration = parsed
  } else if (Duration.isDuration(u)) {
    duration = u
  } else if (isDurationObject(u)) {
    duration = Duration.fromInputUnsafe(u)
  } else {
    return bad
  }
  const millis = Duration.toMillis(duration)
  if (Number.isNaN(millis) || millis < 0) return bad
  if (!Number.isFinite(millis)) {
    return noLimit ? 0 : `must be finite (0 is the no-limit value of this option), got ${show(u)}`
  }
  return millis
}

/** A duration option decoded to milliseconds; an infinite duration becomes `0` ("none") or is refused. */
const DurationMillis = (noLimit: boolean) =>
  Schema.Unknown.pipe(Schema.decodeTo(Schema.Number, {
    decode: SchemaGetter.transformEffect((u: unknown) => {
      const result = durationMillis(u, noLimit)
      if (typeof result === "number") return Effect.succeed(result)
      return Effect.fail(invalid(result, result.startsWith("must be finite") ? "must be finite" : `must be ${DURATION_HINT}`))
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
  validateRedirects: withDefault(Bool, defaults.validateRedirects),
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
  maxReplyBulkBytes: withDefault(BulkBytes, defaults.maxReplyBulkBytes),
  maxReplyElements: withDefault(ReplyElements, defaults.maxReplyElements),
  maxPendingCommands: withDefault(NonNegativeInt, defaults.maxPendingCommands),
  db: withDefault(Db, defaults.db),
  retry: Schema.optionalKey(RetrySchema),
  tracing: withDefault(Bool, defaults.tracing),
  metrics: withDefault(Bool, defaults.metrics)
}).annotate({ message: "must be an object of options with at least startupNodes" })

/**
 * Decodes options, collecting every issue (so that the error can list further problems) and
 * refusing unknown keys (so that a misspelt option is not silently ignored).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeConfig = SchemaParser.decodeUnknownResult(ConfigSchema, { errors: "all", onExcessProperty: "error" })

const isPlainObject = (u: unknown): u is Record<string, unknown> => {
  if (typeof u !== "object" || u === null) return false
  const proto: unknown = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

/**
 * A copy of the options without keys whose value is `undefined` (in plain objects and arrays, at
 * any depth), so that `{ connectTimeout: undefined }` means the default, as the types promise.
 *
 * @since 0.1.0
 * @category decoding
 */
export const withoutUndefined = (u: unknown): unknown => {
  if (Array.isArray(u)) return u.map(withoutUndefined)
  if (!isPlainObject(u)) return u
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(u)) {
    if (value !== undefined) out[key] = withoutUndefined(value)
  }
  return out
}

/**
 * The keys each object of the options accepts, by the name of the key holding that object, so that
 * an unknown key can be answered with the nearest known one.
 *
 * @since 0.1.0
 * @category constants
 */
export const knownKeys: Record<string, ReadonlyArray<string>> = {
  "": Object.keys(ConfigSchema.fields),
  tls: Object.keys(TlsObject.fields),
  retry: Object.keys(RetrySchema.fields),
  hostPortRemap: ["from", "to"],
  from: ["host", "port"],
  to: ["host", "port"]
}
