/**
 * What `resolve` does with options: decode them with the schema, turn the decode's issues into one
 * `ConfigError` naming the first offending field (with a "did you mean" for unknown keys), and
 * normalise the decoded options into a `ResolvedConfig`.
 *
 * @internal
 */
import { Result, SchemaIssue } from "effect"
import type { Schema } from "effect"
import type { HostPortRemapRule, RedisClusterConfig, ResolvedConfig } from "../../ClusterConfig.js"
import { ConfigError } from "../../ClusterError.js"
import type { Endpoint, TlsOptions } from "../../Connector.js"
import { decodeConfig, isRemapFunction, knownKeys, show, UNQUOTED_MESSAGE, withoutUndefined } from "./schema.js"

// -----------------------------------------------------------------------------------------------
// SchemaIssue → ConfigError
// -----------------------------------------------------------------------------------------------

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

/**
 * The reason for an unknown key, with the nearest known key as a hint; shared with the URL parser
 * so that a misspelt query option gets the same help as a misspelt option.
 *
 * @since 0.1.0
 * @category errors
 */
export const unknownKeyReason = (key: string, candidates: ReadonlyArray<string>): string => {
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
  /** The reason without the offending value, when the reason names it. */
  readonly unquoted?: string | undefined
}

const messageOf = (annotations: Schema.Annotations.Annotations | undefined): string | undefined =>
  typeof annotations?.message === "string" ? annotations.message : undefined

const unquotedOf = (annotations: Schema.Annotations.Annotations | undefined): string | undefined => {
  const unquoted = annotations?.[UNQUOTED_MESSAGE]
  return typeof unquoted === "string" ? unquoted : undefined
}

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
        const reason = messageOf(issue.ast.annotations) ?? "is invalid"
        out.push({ path, reason, unquoted: reason })
      }
      for (const inner of issue.issues) collectProblems(inner, path, out)
      return
    }
    case "Filter": {
      const message = messageOf(issue.filter.annotations)
      if (message === undefined) return collectProblems(issue.issue, path, out)
      // our filter messages are fixed sentences, never the value
      out.push({ path, reason: message, unquoted: message })
      return
    }
    case "MissingKey":
      out.push({ path, reason: "is required", unquoted: "is required" })
      return
    case "UnexpectedKey": {
      const key = path[path.length - 1]
      const parent = path.slice(0, -1).filter((s): s is string => typeof s === "string")
      const candidates = knownKeys[parent[parent.length - 1] ?? ""] ?? []
      out.push({ path, reason: unknownKeyReason(String(key), candidates) })
      return
    }
    case "InvalidType": {
      const message = messageOf(issue.ast.annotations)
      out.push({ path, reason: message ?? SchemaIssue.defaultLeafHook(issue), unquoted: message })
      return
    }
    case "InvalidValue":
    case "Forbidden":
      out.push({
        path,
        reason: messageOf(issue.annotations) ?? SchemaIssue.defaultLeafHook(issue),
        unquoted: unquotedOf(issue.annotations)
      })
      return
    case "OneOf":
      out.push({ path, reason: SchemaIssue.defaultLeafHook(issue) })
      return
  }
}

/**
 * The problems as one error. A problem under one of the `hidden` top-level options is told without
 * its value (the value came from URL text that may hold part of a password).
 */
const toConfigError = (issue: SchemaIssue.Issue, hidden: ReadonlySet<string>): ConfigError => {
  const problems: Array<Problem> = []
  collectProblems(issue, [], problems)
  const reasonOf = (p: Problem): string => {
    const root = p.path[0]
    if (typeof root !== "string" || !hidden.has(root)) return p.reason
    return `${p.unquoted ?? "is invalid"} (the value from the URL is not quoted: it may hold part of the password)`
  }
  const [first, ...rest] = problems
  if (first === undefined) return new ConfigError({ field: "config", reason: "is invalid" })
  const more = rest.slice(0, 3).map((p) => `${formatPath(p.path)}: ${reasonOf(p)}`)
  const suffix = rest.length === 0
    ? ""
    : ` (also ${more.join("; ")}${rest.length > more.length ? `; and ${rest.length - more.length} more` : ""})`
  return new ConfigError({ field: formatPath(first.path), reason: reasonOf(first) + suffix })
}

const noneHidden: ReadonlySet<string> = new Set()

// -----------------------------------------------------------------------------------------------
// resolve
// -----------------------------------------------------------------------------------------------

const stripBrackets = (host: string): string =>
  host.length > 2 && host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host

/**
 * The remap used when none is given; one shared function, so that `describeConfig` can tell "no
 * remap" from a user's function by identity.
 *
 * @since 0.1.0
 * @category constants
 */
export const identityRemap = (endpoint: Endpoint): Endpoint => endpoint

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

/**
 * Synchronous core of `resolve`, a `Result` so that `fromUrl` and `urlConfig` can validate what they
 * build without running an Effect. Errors about the top-level options in `hidden` do not quote the
 * offending value (`fromUrl` hides the options it read from text that may hold part of a password).
 *
 * @since 0.1.0
 * @category validation
 */
export const resolveResult = (
  config: RedisClusterConfig,
  hidden: ReadonlySet<string> = noneHidden
): Result.Result<ResolvedConfig, ConfigError> =>
  Result.gen(function*() {
    const input: unknown = config
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      return yield* Result.fail(new ConfigError({ field: "config", reason: `must be an object of options, got ${show(input)}` }))
    }
    const c = yield* Result.mapError(decodeConfig(withoutUndefined(input)), (issue) => toConfigError(issue, hidden))
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
      validateRedirects: c.validateRedirects,
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
      maxReplyBulkBytes: c.maxReplyBulkBytes,
      maxReplyElements: c.maxReplyElements,
      maxPendingCommands: c.maxPendingCommands,
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
