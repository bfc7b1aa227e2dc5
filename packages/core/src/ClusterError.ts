/**
 * The tagged error family of keyslot. Every failure a user can observe is one of these classes;
 * `_tag` equals the class name. Each carries the node address and command name where known.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Where an error happened: the node (when known) and the command (when known).
 *
 * @since 0.1.0
 * @category models
 */
export interface ErrorContext {
  readonly host?: string | undefined
  readonly port?: number | undefined
  readonly command?: string | undefined
  /** Position of the command in a pipeline or transaction. */
  readonly index?: number | undefined
}

const where = (ctx: ErrorContext): string => {
  const parts: Array<string> = []
  if (ctx.command !== undefined) parts.push(`command ${ctx.command}`)
  if (ctx.index !== undefined) parts.push(`at index ${ctx.index}`)
  if (ctx.host !== undefined || ctx.port !== undefined) parts.push(`node ${ctx.host ?? "?"}:${ctx.port ?? "?"}`)
  return parts.length === 0 ? "" : ` (${parts.join(", ")})`
}

/** The schema fields of `ErrorContext`. */
const ContextFields = {
  host: Schema.optional(Schema.String),
  port: Schema.optional(Schema.Number),
  command: Schema.optional(Schema.String),
  index: Schema.optional(Schema.Number)
}

/** The command and its position, for errors whose node is named otherwise (or not at all). */
const CommandFields = { command: ContextFields.command, index: ContextFields.index }

/**
 * `-MOVED slot host:port`: the slot is served by another node for good.
 *
 * @since 0.1.0
 * @category errors
 */
export class MovedError extends Schema.TaggedError<MovedError>()("MovedError", {
  slot: Schema.Number,
  host: Schema.String,
  port: Schema.Number,
  ...CommandFields
}) {
  override get message(): string {
    return `MOVED: slot ${this.slot} is served by ${this.host}:${this.port}${where({ command: this.command, index: this.index })}`
  }
}

/**
 * `-ASK slot host:port`: the slot is migrating; ask the target once, with ASKING.
 *
 * @since 0.1.0
 * @category errors
 */
export class AskError extends Schema.TaggedError<AskError>()("AskError", {
  slot: Schema.Number,
  host: Schema.String,
  port: Schema.Number,
  ...CommandFields
}) {
  override get message(): string {
    return `ASK: slot ${this.slot} is being imported by ${this.host}:${this.port}${where({ command: this.command, index: this.index })}`
  }
}

/**
 * `-TRYAGAIN`: a multi-key command hit a slot whose keys are split by a migration.
 *
 * @since 0.1.0
 * @category errors
 */
export class TryAgainError extends Schema.TaggedError<TryAgainError>()("TryAgainError", {
  ...ContextFields,
  reply: Schema.String
}) {
  override get message(): string {
    return `TRYAGAIN: ${this.reply}${where(this)}`
  }
}

/**
 * `-CLUSTERDOWN`: the cluster cannot serve the request (slots uncovered, no quorum).
 *
 * @since 0.1.0
 * @category errors
 */
export class ClusterDownError extends Schema.TaggedError<ClusterDownError>()("ClusterDownError", {
  ...ContextFields,
  reply: Schema.String
}) {
  override get message(): string {
    return `CLUSTERDOWN: ${this.reply}${where(this)}`
  }
}

/**
 * `-MASTERDOWN`: the master of a replica is unreachable and the replica refuses stale reads.
 *
 * @since 0.1.0
 * @category errors
 */
export class MasterDownError extends Schema.TaggedError<MasterDownError>()("MasterDownError", {
  ...ContextFields,
  reply: Schema.String
}) {
  override get message(): string {
    return `MASTERDOWN: ${this.reply}${where(this)}`
  }
}

/**
 * `-LOADING`: the node is loading its dataset into memory.
 *
 * @since 0.1.0
 * @category errors
 */
export class LoadingError extends Schema.TaggedError<LoadingError>()("LoadingError", {
  ...ContextFields,
  reply: Schema.String
}) {
  override get message(): string {
    return `LOADING: ${this.reply}${where(this)}`
  }
}

/**
 * `-READONLY`: a write reached a replica (typically a just-demoted master).
 *
 * @since 0.1.0
 * @category errors
 */
export class ReadOnlyError extends Schema.TaggedError<ReadOnlyError>()("ReadOnlyError", {
  ...ContextFields,
  reply: Schema.String
}) {
  override get message(): string {
    return `READONLY: ${this.reply}${where(this)}`
  }
}

/**
 * The keys of one atomic command (or transaction) hash to different slots; nothing was sent.
 *
 * @since 0.1.0
 * @category errors
 */
export class CrossSlotError extends Schema.TaggedError<CrossSlotError>()("CrossSlotError", {
  ...CommandFields,
  slots: Schema.Array(Schema.Number)
}) {
  override get message(): string {
    return `CROSSSLOT: keys hash to different slots (${this.slots.join(", ")})${where({ command: this.command, index: this.index })}`
  }
}

/**
 * No node serves the slot, even after a topology refresh.
 *
 * @since 0.1.0
 * @category errors
 */
export class SlotNotCoveredError extends Schema.TaggedError<SlotNotCoveredError>()("SlotNotCoveredError", {
  slot: Schema.Number,
  ...CommandFields
}) {
  override get message(): string {
    return `slot ${this.slot} is not served by any node${where({ command: this.command, index: this.index })}`
  }
}

/**
 * A socket could not be opened, failed, or was lost.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConnectionError extends Schema.TaggedError<ConnectionError>()("ConnectionError", {
  host: Schema.String,
  port: Schema.Number,
  ...CommandFields,
  /** `true` when the command had been written before the connection dropped: it may have run. */
  written: Schema.optional(Schema.Boolean),
  reason: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  override get message(): string {
    return `connection to ${this.host}:${this.port} failed: ${this.reason}${where({ command: this.command, index: this.index })}`
  }
}

/**
 * A command's deadline (`commandTimeout` or `connectTimeout`) passed.
 *
 * @since 0.1.0
 * @category errors
 */
export class TimeoutError extends Schema.TaggedError<TimeoutError>()("TimeoutError", {
  ...ContextFields,
  timeoutMillis: Schema.Number
}) {
  override get message(): string {
    return `timed out after ${this.timeoutMillis} ms${where(this)}`
  }
}

/**
 * Any other error reply (`-ERR`, `-WRONGTYPE`, `-NOSCRIPT`, ...). The connection stays open.
 *
 * @since 0.1.0
 * @category errors
 */
export class ReplyError extends Schema.TaggedError<ReplyError>()("ReplyError", {
  ...ContextFields,
  /** The full error line, e.g. `WRONGTYPE Operation against a key holding the wrong kind of value`. */
  reply: Schema.String
}) {
  /** The error code: the first word of the reply (`ERR`, `WRONGTYPE`, `NOSCRIPT`, ...). */
  get code(): string {
    const space = this.reply.indexOf(" ")
    return space === -1 ? this.reply : this.reply.slice(0, space)
  }
  override get message(): string {
    return `${this.reply}${where(this)}`
  }
}

/**
 * The server sent bytes that are not valid RESP, or a reply of an unexpected shape.
 *
 * @since 0.1.0
 * @category errors
 */
export class ProtocolError extends Schema.TaggedError<ProtocolError>()("ProtocolError", {
  ...ContextFields,
  reason: Schema.String
}) {
  override get message(): string {
    return `protocol error: ${this.reason}${where(this)}`
  }
}

/**
 * More than `maxRedirects` MOVED/ASK hops for one command.
 *
 * @since 0.1.0
 * @category errors
 */
export class RedirectLimitError extends Schema.TaggedError<RedirectLimitError>()("RedirectLimitError", {
  ...CommandFields,
  redirects: Schema.Number,
  last: Schema.optional(Schema.Union([MovedError, AskError]))
}) {
  override get message(): string {
    return `gave up after ${this.redirects} redirects${where({ command: this.command, index: this.index })}`
  }
}

/**
 * An invalid option or URL; `field` names the offending option.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  field: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `invalid configuration: ${this.field}: ${this.reason}`
  }
}

/**
 * The command cannot run on a cluster client (`MOVE`, `SWAPDB`, `SELECT 1`, ...).
 *
 * @since 0.1.0
 * @category errors
 */
export class UnsupportedCommandError extends Schema.TaggedError<UnsupportedCommandError>()("UnsupportedCommandError", {
  command: Schema.String,
  index: Schema.optional(Schema.Number),
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.command} is not supported by a cluster client: ${this.reason}${where({ index: this.index })}`
  }
}

/**
 * Optimistic locking gave up: a watched key kept changing (`reason: "conflict"`, after the retry
 * schedule), or the keys' slot moved to another node while watching (`"slot-moved"`).
 *
 * @since 0.1.0
 * @category errors
 */
export class WatchError extends Schema.TaggedError<WatchError>()("WatchError", {
  keys: Schema.Array(Schema.String),
  reason: Schema.Literals(["conflict", "slot-moved"]),
  attempts: Schema.Number
}) {
  override get message(): string {
    return this.reason === "conflict"
      ? `watched keys changed ${this.attempts} time(s) in a row: ${this.keys.join(", ")}`
      : `the slot of the watched keys moved while watching: ${this.keys.join(", ")}`
  }
}

/**
 * The client was closed (its scope ended): commands issued after that, and commands that were
 * waiting to be retried when it happened, fail at once with this.
 *
 * @since 0.1.0
 * @category errors
 */
export class ClientClosedError extends Schema.TaggedError<ClientClosedError>()("ClientClosedError", {
  ...CommandFields
}) {
  override get message(): string {
    return `the cluster client is closed${where({ command: this.command, index: this.index })}`
  }
}

/**
 * Too many commands are waiting on one node's connection (`maxPendingCommands`): the node is not
 * keeping up, or has stopped answering. The command was not sent.
 *
 * @since 0.1.0
 * @category errors
 */
export class QueueFullError extends Schema.TaggedError<QueueFullError>()("QueueFullError", {
  ...ContextFields,
  limit: Schema.Number
}) {
  override get message(): string {
    return `more than ${this.limit} commands pending on one connection; not sent${where(this)}`
  }
}

/**
 * A MOVED or ASK named a node that is not a member of the cluster, even after a refresh of the
 * map: it was not followed (`validateRedirects`), and no connection was opened to it.
 *
 * @since 0.1.0
 * @category errors
 */
export class UntrustedRedirectError extends Schema.TaggedError<UntrustedRedirectError>()("UntrustedRedirectError", {
  ...CommandFields,
  slot: Schema.Number,
  host: Schema.String,
  port: Schema.Number
}) {
  override get message(): string {
    return `a redirect for slot ${this.slot} named ${this.host}:${this.port}, which is not a node of the cluster: not followed${where({ command: this.command, index: this.index })}`
  }
}

/**
 * Every error keyslot can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type RedisClusterError =
  | MovedError
  | AskError
  | TryAgainError
  | ClusterDownError
  | MasterDownError
  | LoadingError
  | ReadOnlyError
  | CrossSlotError
  | SlotNotCoveredError
  | ConnectionError
  | TimeoutError
  | ReplyError
  | ProtocolError
  | RedirectLimitError
  | ConfigError
  | UnsupportedCommandError
  | WatchError
  | SubscriptionOverflowError
  | ClientClosedError
  | QueueFullError
  | UntrustedRedirectError

/**
 * The same error, naming the command's position in a pipeline or transaction.
 *
 * @since 0.1.0
 * @category utils
 */
export const atIndex = <E extends RedisClusterError>(error: E, index: number): E => {
  if (error._tag === "ConfigError" || error._tag === "WatchError") return error
  // Every other class takes its own fields plus `index`; rebuild it so it stays that class.
  // `cause` is not an own enumerable field of a Schema error: carried over by hand.
  const Ctor = error.constructor as new(fields: object) => E
  return new Ctor({ ...error, ..."cause" in error && error.cause !== undefined ? { cause: error.cause } : {}, index })
}

/**
 * Errors a single node reply can turn into.
 *
 * @since 0.1.0
 * @category errors
 */
export type ReplyFailure =
  | MovedError
  | AskError
  | TryAgainError
  | ClusterDownError
  | MasterDownError
  | LoadingError
  | ReadOnlyError
  | ReplyError

const parseRedirect = (rest: string): { slot: number; host: string; port: number } | undefined => {
  // "3999 127.0.0.1:6381", "3999 :6381" (host = the node that replied), "3999 my-host:6381"
  const space = rest.indexOf(" ")
  if (space === -1) return undefined
  const slot = Number(rest.slice(0, space))
  const addr = rest.slice(space + 1).trim()
  const colon = addr.lastIndexOf(":")
  if (colon === -1) return undefined
  const port = Number(addr.slice(colon + 1))
  let host = addr.slice(0, colon)
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1)
  if (!Number.isInteger(slot) || slot < 0 || slot > 16383 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    return undefined
  }
  return { slot, host, port }
}

/**
 * Turns an error reply line into its typed error. An empty host in MOVED/ASK (`MOVED 3 :7001`) is
 * replaced by `ctx.host`, the node that replied, as the cluster spec says.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromReply = (line: string, ctx: ErrorContext): ReplyFailure => {
  const space = line.indexOf(" ")
  const code = space === -1 ? line : line.slice(0, space)
  switch (code) {
    case "MOVED":
    case "ASK": {
      const r = parseRedirect(line.slice(space + 1))
      if (r === undefined) return new ReplyError({ ...ctx, reply: line })
      const host = r.host === "" ? ctx.host ?? "" : r.host
      return code === "MOVED"
        ? new MovedError({ slot: r.slot, host, port: r.port, command: ctx.command })
        : new AskError({ slot: r.slot, host, port: r.port, command: ctx.command })
    }
    case "TRYAGAIN":
      return new TryAgainError({ ...ctx, reply: line })
    case "CLUSTERDOWN":
      return new ClusterDownError({ ...ctx, reply: line })
    case "MASTERDOWN":
      return new MasterDownError({ ...ctx, reply: line })
    case "LOADING":
      return new LoadingError({ ...ctx, reply: line })
    case "READONLY":
      return new ReadOnlyError({ ...ctx, reply: line })
    default:
      return new ReplyError({ ...ctx, reply: line })
  }
}

/**
 * A pub/sub stream with the `"fail"` overflow strategy received a message while its buffer held
 * `bufferSize` undelivered ones: the consumer is slower than the publishers.
 *
 * @since 0.1.0
 * @category errors
 */
export class SubscriptionOverflowError extends Schema.TaggedError<SubscriptionOverflowError>()("SubscriptionOverflowError", {
  /** `channel` (SUBSCRIBE), `pattern` (PSUBSCRIBE) or `shard` (SSUBSCRIBE). */
  kind: Schema.Literals(["channel", "pattern", "shard"]),
  /** The channels or patterns of the stream. */
  names: Schema.Array(Schema.String),
  bufferSize: Schema.Number
}) {
  override get message(): string {
    return `the ${this.kind} subscription to ${this.names.join(", ")} overflowed its buffer of ${this.bufferSize} messages (strategy "fail"): the consumer is slower than the publishers`
  }
}
