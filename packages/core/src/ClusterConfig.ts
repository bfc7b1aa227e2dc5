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
import { Config, Duration, Effect, Redacted, Result, Schema, SchemaIssue } from "effect"
import type { Array as Arr, Schedule } from "effect"
import type { ConfigError } from "./ClusterError.js"
import type { Endpoint, TlsOptions } from "./Connector.js"
import { fromUrlResult } from "./internal/config/url.js"
import { identityRemap, resolveResult } from "./internal/config/validate.js"
import type { ReadFrom } from "./Router.js"

// -----------------------------------------------------------------------------------------------
// Types
// -----------------------------------------------------------------------------------------------

/**
 * Where read-only commands go (`"master"`, `"replica"`, `"replicaPreferred"`, `"any"`,
 * `"nearest"`). Defined in `Router`, which applies it; re-exported here because it is an option.
 *
 * @since 0.1.0
 * @category models
 */
export type { ReadFrom } from "./Router.js"

/**
 * Every `ReadFrom` policy, in documentation order. Defined in `Router`; re-exported here next to
 * the option it lists.
 *
 * @since 0.1.0
 * @category constants
 */
export { readFromValues } from "./Router.js"

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
 * an option set to `undefined` counts as absent.
 *
 * Durations are `Duration.Input`s (a `Duration`, a number of milliseconds, a string such as
 * `"5 seconds"` or `"250"`, or units such as `{ seconds: 5 }`), under one rule: `0` and `Infinity`
 * (`Duration.infinity`, or the text `"Infinity"` / `"infinity"`, as in `fromUrl`) mean "no limit"
 * and resolve to `0` milliseconds; negative durations and `NaN` fail with a `ConfigError` naming
 * the option. The one option for which an infinite value would mean the opposite of "no limit",
 * `minRefreshInterval`, refuses it, as its doc says.
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
   * Follow a `MOVED`/`ASK` only to a node of the cluster's map; a target the map does not name is
   * looked up by refreshing the map at once, and one still unknown fails the command with
   * `UntrustedRedirectError` (no connection is opened to it, so it never sees the credentials).
   * `false` follows any target, as redis-py-cluster does. Default: `true`.
   */
  readonly validateRedirects?: boolean | undefined
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
  /**
   * Period of the background topology refresh. `0` or `Infinity`: no periodic refresh (refreshes
   * still follow `MOVED` replies and failures). Default: 30 seconds.
   */
  readonly topologyRefreshInterval?: Duration.Input | undefined
  /**
   * Least time between two topology refreshes (rate limit of adaptive refreshes). `0`: no rate
   * limit. `Infinity` is refused with a `ConfigError`: an infinite least time would mean "never
   * refresh again", the opposite of "no limit". Default: 100 ms.
   */
  readonly minRefreshInterval?: Duration.Input | undefined
  /** Deadline for opening a connection (TCP, TLS and handshake). `0` or `Infinity`: no deadline. Default: 10 seconds. */
  readonly connectTimeout?: Duration.Input | undefined
  /**
   * Deadline of each command, counted from the moment it is issued. `0` or `Infinity`: no deadline.
   * Default: 10 seconds.
   */
  readonly commandTimeout?: Duration.Input | undefined
  /**
   * Bound on dedicated connections per node for blocking commands (`BLPOP`, `XREAD BLOCK`, `WAIT`...),
   * redis-py-cluster's blocking pool `max_connections`. At least 1. Default: `50`.
   */
  readonly maxBlockingConnectionsPerNode?: number | undefined
  /**
   * How long a blocking command waits for a free dedicated connection before failing. `0` or
   * `Infinity`: wait without limit. Default: 20 seconds.
   */
  readonly blockingPoolTimeout?: Duration.Input | undefined
  /** Retries of a command after `-CLUSTERDOWN`/`-MASTERDOWN`, each after a refresh. Default: `3`. */
  readonly clusterDownRetryAttempts?: number | undefined
  /**
   * Longest bulk string (and verbatim string, bulk error, simple-string line) a reply may carry, in
   * bytes. A reply that declares a longer one fails its command with a `ProtocolError` naming this
   * option, and the connection, whose byte stream can no longer be trusted, is replaced. It bounds
   * what one hostile or broken node can make each connection buffer. A whole number of at least 1;
   * the handshake and discovery replies must fit too. Default: 64 MiB (67108864), an eighth of
   * Redis's own 512 MB cap on a string value: raise it if you store bigger values.
   */
  readonly maxReplyBulkBytes?: number | undefined
  /**
   * Most elements one aggregate of a reply may declare (array, set and push: elements; map: pairs).
   * A reply that declares more fails its command with a `ProtocolError` naming this option, and the
   * connection is replaced. An integer in 1..2^32-1 (2^32-1 is the longest JavaScript array).
   * Default: 16777216 (2^24). Why: the decoder keeps an aggregate's elements until the last one
   * arrives, so this bounds what one header can make a connection hold: 2^24 elements of 3 bytes
   * each on the wire (`_\r\n`) already fill a 128 MiB array of references. It is far above what
   * collections read whole return in practice; bigger ones are read page by page with the SCAN
   * family (`scan`, `hscan`, `sscan`, `zscan`), which any client should do for them anyway.
   */
  readonly maxReplyElements?: number | undefined
  /**
   * Most commands waiting on one node's connection (queued or written, not yet answered). Past
   * it a command fails at once with `QueueFullError` instead of growing memory behind a node that
   * stopped answering. `0`: no cap. Default: 100000 (a healthy node clears that in well under a
   * second; about 10 MB per stuck connection, since a written command's arguments are dropped).
   */
  readonly maxPendingCommands?: number | undefined
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
 * timeouts and intervals `0` means "none" / "off" (what `0` and `Infinity` resolve to).
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
  /** Follow redirects only to nodes of the map. */
  readonly validateRedirects: boolean
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
  /** Longest bulk string of a reply, in bytes (every connection's decoder). */
  readonly maxReplyBulkBytes: number
  /** Most elements (map: pairs) one aggregate of a reply may declare (every connection's decoder). */
  readonly maxReplyElements: number
  /** Commands waiting per connection before `QueueFullError`; 0: no cap. */
  readonly maxPendingCommands: number
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
 * The default of every optional setting (durations in milliseconds). Defined with the schema that
 * fills them in (the internal config modules cannot import from this one without a cycle).
 *
 * @since 0.1.0
 * @category constants
 */
export { defaults } from "./internal/config/schema.js"

// -----------------------------------------------------------------------------------------------
// resolve
// -----------------------------------------------------------------------------------------------

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

/**
 * Builds options from a URL:
 *
 * `redis://[user[:password]@]host[:port][,host[:port]...][/0][?option=value&...]`
 *
 * - `rediss://` turns TLS on; `tlsRejectUnauthorized=false` and `tlsServername=name` refine it.
 * - User name and password are percent-decoded; the password becomes `Redacted`. Percent-encode
 *   `@ / ? # %` in them; an unencoded `@`, `/` or `?` is tolerated where the URL stays unambiguous
 *   (the user info then ends at the last `@` before the host list).
 * - Several seed nodes are separated by commas; IPv6 hosts are bracketed (`[::1]:7000`); the port
 *   defaults to 6379.
 * - `/N` or `db=N` sets the database; anything but 0 is refused (a cluster has only database 0).
 * - Every option of `RedisClusterConfig` but `startupNodes` and `retry` can be set by its camelCase
 *   name. Booleans: `true/false/1/0/yes/no`; durations: milliseconds, `Infinity` / `infinity`, or a
 *   Duration string (`connectTimeout=5%20seconds`), under the rule of every duration (`0` and
 *   `Infinity`: no limit); `hostPortRemap=from>to,...` with sides `host`, `host:port`, `:port` or
 *   `[v6]:port`.
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
 * option's field); never throws, and never echoes the password: no error quotes any text that
 * comes before the URL's last `@` (where a password with unencoded special characters may be).
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
    `validateRedirects=${config.validateRedirects}`,
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
    `maxReplyBulkBytes=${config.maxReplyBulkBytes}`,
    `maxReplyElements=${config.maxReplyElements}`,
    `maxPendingCommands=${config.maxPendingCommands}`,
    `retry=${retries.length === 0 ? "default" : `custom(${retries.join(", ")})`}`,
    `tracing=${config.tracing}`,
    `metrics=${config.metrics}`
  ]
  return `RedisClusterConfig{${parts.join(" ")}}`
}
