/**
 * Command constructors: the generic keyspace (SCAN is the `scan` stream of the service).
 *
 * @since 0.1.0
 */
import type { Option } from "effect"
import type { Arg } from "../internal/command/command.js"
import { BYTES, Command, expireFlags, fanout, key, keyless, merge, READONLY, sumSplit, unsupported } from "../internal/command/command.js"
import * as R from "../internal/command/reply.js"
import type * as Resp from "../Resp.js"

// ---------------------------------------------------------------------------------------------
// Options and reply types

/**
 * What `TYPE` answers: a Redis data type, `none` for a missing key, or a module type's name.
 *
 * @since 0.1.0
 * @category models
 */
export type KeyType = "none" | "string" | "list" | "set" | "zset" | "hash" | "stream" | (string & {})

/**
 * Options of `EXPIRE`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExpireOptions {
  readonly nx?: boolean
  readonly xx?: boolean
  readonly gt?: boolean
  readonly lt?: boolean
}

/**
 * Options of `COPY`.
 *
 * @since 0.1.0
 * @category models
 */
export interface CopyOptions {
  /** Overwrite the destination when it exists. */
  readonly replace?: boolean
}

/**
 * Options of `RESTORE`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RestoreOptions {
  /** Overwrite the key when it exists. */
  readonly replace?: boolean
  /** `ttl` is an absolute Unix time in milliseconds, not a duration. */
  readonly absttl?: boolean
  /** The restored key's idle time, seconds (LRU policies). */
  readonly idletime?: number
  /** The restored key's access frequency (LFU policies). */
  readonly freq?: number
}

/**
 * Options of `SORT` and `SORT_RO`.
 *
 * `by` and `get` patterns name other keys, which a cluster client cannot route (they are not listed
 * as keys, so the client does not check their slots). Redis Cluster itself checks: 7.0 refuses
 * every `get` and every `by` pattern containing `*` ("denied in Cluster mode"); from 7.4 it accepts
 * a pattern whose hash tag puts it in the sorted key's slot (`{tag}weight_*` for key `{tag}list`).
 * A `by` without `*` (`"nosort"`) skips sorting and works everywhere.
 *
 * @since 0.1.0
 * @category models
 */
export interface SortOptions {
  /** Sort by the values of the keys this pattern names (`*` is the element), or `"nosort"`. */
  readonly by?: Arg
  /** Skip `offset` elements, return at most `count`. */
  readonly limit?: { readonly offset: number; readonly count: number }
  /** Return these patterns' values instead of the elements (`"#"` is the element itself). */
  readonly get?: ReadonlyArray<Arg>
  readonly order?: "ASC" | "DESC"
  /** Compare as strings rather than numbers. */
  readonly alpha?: boolean
}

// ---------------------------------------------------------------------------------------------
// Helpers (module-private)

const sortArgs = (name: string, k: Arg, o: SortOptions | undefined): Array<Resp.RespArg> => {
  const args: Array<Resp.RespArg> = [name, k]
  if (o === undefined) return args
  if (o.by !== undefined) args.push("BY", o.by)
  if (o.limit !== undefined) args.push("LIMIT", o.limit.offset, o.limit.count)
  if (o.get !== undefined) for (const pattern of o.get) args.push("GET", pattern)
  if (o.order !== undefined) args.push(o.order)
  if (o.alpha) args.push("ALPHA")
  return args
}

// ---------------------------------------------------------------------------------------------
// Constructors

/**
 * `COPY source destination [REPLACE]`: `true` when copied. Both keys must share a slot.
 *
 * @since 0.1.0
 * @category keys
 */
export const copy = (source: Arg, destination: Arg, options?: CopyOptions): Command<boolean> =>
  key("COPY", options?.replace ? ["COPY", source, destination, "REPLACE"] : ["COPY", source, destination], [source, destination], 0, R.boolean)

/**
 * `DEL key...`: how many keys were removed. Keys in several slots are deleted per slot.
 *
 * @since 0.1.0
 * @category keys
 */
export const del = (...keys: ReadonlyArray<Arg>): Command<number> =>
  new Command("DEL", ["DEL", ...keys], keys, 0, R.integer, "key", sumSplit("DEL", keys, 0))

/**
 * `DUMP key`: the value serialized (bytes, for `restore`), or none when the key does not exist.
 *
 * @since 0.1.0
 * @category keys
 */
export const dump = (k: Arg): Command<Option.Option<Uint8Array>> => key("DUMP", ["DUMP", k], [k], READONLY | BYTES, R.optionalBytes)

/**
 * `EXISTS key...`: how many of the keys exist (a key named twice counts twice). Split per slot.
 *
 * @since 0.1.0
 * @category keys
 */
export const exists = (...keys: ReadonlyArray<Arg>): Command<number> =>
  new Command("EXISTS", ["EXISTS", ...keys], keys, READONLY, R.integer, "key", sumSplit("EXISTS", keys, READONLY))

/**
 * `EXPIRE key seconds [NX|XX|GT|LT]`: `true` when the timeout was set.
 *
 * @since 0.1.0
 * @category keys
 */
export const expire = (k: Arg, seconds: number, options?: ExpireOptions): Command<boolean> =>
  key("EXPIRE", ["EXPIRE", k, seconds, ...expireFlags(options)], [k], 0, R.boolean)

/**
 * `EXPIREAT key unix-time-seconds [NX|XX|GT|LT]`: `true` when the expiry was set.
 *
 * @since 0.1.0
 * @category keys
 */
export const expireat = (k: Arg, unixTimeSeconds: number, options?: ExpireOptions): Command<boolean> =>
  key("EXPIREAT", ["EXPIREAT", k, unixTimeSeconds, ...expireFlags(options)], [k], 0, R.boolean)

/**
 * `EXPIRETIME key`: the expiry as Unix time in seconds; -1 without expiry, -2 when the key does not exist.
 *
 * @since 0.1.0
 * @category keys
 */
export const expiretime = (k: Arg): Command<number> => key("EXPIRETIME", ["EXPIRETIME", k], [k], READONLY, R.integer)

/**
 * `KEYS pattern`: every matching key of every master, concatenated (each key lives on exactly one
 * master). Scans whole keyspaces: prefer the `scan` stream outside tests.
 *
 * @since 0.1.0
 * @category keys
 */
export const keys = (pattern: Arg) =>
  fanout("KEYS", ["KEYS", pattern], READONLY, "masters", R.strings, (replies) => merge.concat(replies))

/**
 * `MOVE key db`: unsupported, Redis Cluster has only database 0.
 *
 * @since 0.1.0
 * @category keys
 */
export const move = (k: Arg, db: number): Command<never> =>
  unsupported("MOVE", ["MOVE", k, db], "Redis Cluster has only database 0: MOVE cannot work through a cluster client")

/**
 * `OBJECT ENCODING key`: the internal encoding (`listpack`, `embstr`, `int`...), or none.
 *
 * @since 0.1.0
 * @category keys
 */
export const objectEncoding = (k: Arg): Command<Option.Option<string>> =>
  key("OBJECT ENCODING", ["OBJECT", "ENCODING", k], [k], READONLY, R.optionalString)

/**
 * `OBJECT FREQ key`: the LFU access frequency, or none (fails unless an LFU maxmemory policy is set).
 *
 * @since 0.1.0
 * @category keys
 */
export const objectFreq = (k: Arg): Command<Option.Option<number>> =>
  key("OBJECT FREQ", ["OBJECT", "FREQ", k], [k], READONLY, R.optionalInteger)

/**
 * `OBJECT IDLETIME key`: seconds since the last access, or none (fails under an LFU policy).
 *
 * @since 0.1.0
 * @category keys
 */
export const objectIdletime = (k: Arg): Command<Option.Option<number>> =>
  key("OBJECT IDLETIME", ["OBJECT", "IDLETIME", k], [k], READONLY, R.optionalInteger)

/**
 * `OBJECT REFCOUNT key`: the value's reference count, or none.
 *
 * @since 0.1.0
 * @category keys
 */
export const objectRefcount = (k: Arg): Command<Option.Option<number>> =>
  key("OBJECT REFCOUNT", ["OBJECT", "REFCOUNT", k], [k], READONLY, R.optionalInteger)

/**
 * `OBJECT HELP`: the help text, one line per element.
 *
 * @since 0.1.0
 * @category keys
 */
export const objectHelp = (): Command<ReadonlyArray<string>> => keyless("OBJECT HELP", ["OBJECT", "HELP"], 0, R.strings)

/**
 * `PERSIST key`: `true` when a time to live was removed.
 *
 * @since 0.1.0
 * @category keys
 */
export const persist = (k: Arg): Command<boolean> => key("PERSIST", ["PERSIST", k], [k], 0, R.boolean)

/**
 * `PEXPIRE key milliseconds [NX|XX|GT|LT]`: `true` when the timeout was set.
 *
 * @since 0.1.0
 * @category keys
 */
export const pexpire = (k: Arg, milliseconds: number, options?: ExpireOptions): Command<boolean> =>
  key("PEXPIRE", ["PEXPIRE", k, milliseconds, ...expireFlags(options)], [k], 0, R.boolean)

/**
 * `PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT]`: `true` when the expiry was set.
 *
 * @since 0.1.0
 * @category keys
 */
export const pexpireat = (k: Arg, unixTimeMilliseconds: number, options?: ExpireOptions): Command<boolean> =>
  key("PEXPIREAT", ["PEXPIREAT", k, unixTimeMilliseconds, ...expireFlags(options)], [k], 0, R.boolean)

/**
 * `PEXPIRETIME key`: the expiry as Unix time in ms; -1 without expiry, -2 when the key does not exist.
 *
 * @since 0.1.0
 * @category keys
 */
export const pexpiretime = (k: Arg): Command<number> => key("PEXPIRETIME", ["PEXPIRETIME", k], [k], READONLY, R.integer)

/**
 * `PTTL key`: milliseconds to live; -1 without expiry, -2 when the key does not exist.
 *
 * @since 0.1.0
 * @category keys
 */
export const pttl = (k: Arg): Command<number> => key("PTTL", ["PTTL", k], [k], READONLY, R.integer)

/**
 * `RANDOMKEY`: a random key of one master (any), or none when that master holds no keys — so none
 * does not prove the whole cluster empty.
 *
 * @since 0.1.0
 * @category keys
 */
export const randomkey = (): Command<Option.Option<string>> => keyless("RANDOMKEY", ["RANDOMKEY"], READONLY, R.optionalString)

/**
 * `RENAME key newkey`: renames (overwriting `newkey`). Both keys must share a slot.
 *
 * @since 0.1.0
 * @category keys
 */
export const rename = (k: Arg, newKey: Arg): Command<void> => key("RENAME", ["RENAME", k, newKey], [k, newKey], 0, R.ok)

/**
 * `RENAMENX key newkey`: `true` when renamed, `false` when `newkey` exists. Both keys must share a slot.
 *
 * @since 0.1.0
 * @category keys
 */
export const renamenx = (k: Arg, newKey: Arg): Command<boolean> =>
  key("RENAMENX", ["RENAMENX", k, newKey], [k, newKey], 0, R.boolean)

/**
 * `RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f]`: recreates a key from
 * `dump`'s bytes; `ttl` in ms (0 = no expiry; a Unix time with `absttl`).
 *
 * @since 0.1.0
 * @category keys
 */
export const restore = (k: Arg, ttl: number, serializedValue: Arg, options?: RestoreOptions): Command<void> => {
  const args: Array<Resp.RespArg> = ["RESTORE", k, ttl, serializedValue]
  if (options !== undefined) {
    if (options.replace) args.push("REPLACE")
    if (options.absttl) args.push("ABSTTL")
    if (options.idletime !== undefined) args.push("IDLETIME", options.idletime)
    if (options.freq !== undefined) args.push("FREQ", options.freq)
  }
  return key("RESTORE", args, [k], 0, R.ok)
}

/**
 * `SORT key [BY] [LIMIT] [GET...] [ASC|DESC] [ALPHA]`: the sorted elements (or `get` values; none
 * for a `get` pattern naming a missing key). Flagged a write by Redis (STORE), so always sent to the
 * master: use `sortRo` for replicas. See `SortOptions` on patterns in a cluster.
 *
 * @since 0.1.0
 * @category keys
 */
export const sort = (k: Arg, options?: SortOptions): Command<ReadonlyArray<Option.Option<string>>> =>
  key("SORT", sortArgs("SORT", k, options), [k], 0, R.optionalStrings)

/**
 * `SORT key ... STORE destination`: stores the result as a list; its length. Both keys must share a slot.
 *
 * @since 0.1.0
 * @category keys
 */
export const sortStore = (k: Arg, destination: Arg, options?: SortOptions): Command<number> =>
  key("SORT", [...sortArgs("SORT", k, options), "STORE", destination], [k, destination], 0, R.integer)

/**
 * `SORT_RO key ...`: read-only `sort` (may be served by a replica).
 *
 * @since 0.1.0
 * @category keys
 */
export const sortRo = (k: Arg, options?: SortOptions): Command<ReadonlyArray<Option.Option<string>>> =>
  key("SORT_RO", sortArgs("SORT_RO", k, options), [k], READONLY, R.optionalStrings)

/**
 * `TOUCH key...`: how many of the keys exist (their access time is updated). Split per slot.
 *
 * @since 0.1.0
 * @category keys
 */
export const touch = (...keys: ReadonlyArray<Arg>): Command<number> =>
  new Command("TOUCH", ["TOUCH", ...keys], keys, READONLY, R.integer, "key", sumSplit("TOUCH", keys, READONLY))

/**
 * `TTL key`: seconds to live; -1 without expiry, -2 when the key does not exist.
 *
 * @since 0.1.0
 * @category keys
 */
export const ttl = (k: Arg): Command<number> => key("TTL", ["TTL", k], [k], READONLY, R.integer)

/**
 * `TYPE key`: the value's type, `none` when the key does not exist.
 *
 * @since 0.1.0
 * @category keys
 */
export const type = (k: Arg): Command<KeyType> => key("TYPE", ["TYPE", k], [k], READONLY, R.string)

/**
 * `UNLINK key...`: how many keys were removed (memory reclaimed in the background). Split per slot.
 *
 * @since 0.1.0
 * @category keys
 */
export const unlink = (...keys: ReadonlyArray<Arg>): Command<number> =>
  new Command("UNLINK", ["UNLINK", ...keys], keys, 0, R.integer, "key", sumSplit("UNLINK", keys, 0))

/**
 * Options of `MIGRATE`.
 *
 * @since 0.1.0
 * @category models
 */
export interface MigrateOptions {
  /** Keep the key on the source. */
  readonly copy?: boolean
  /** Overwrite the key on the target. */
  readonly replace?: boolean
  /** Credentials on the target: a password (`AUTH`) or a user and password (`AUTH2`). */
  readonly auth?: string | { readonly username: string; readonly password: string }
}

/**
 * `MIGRATE host port key|"" 0 timeout [COPY] [REPLACE] [AUTH…] [KEYS key…]`: moves keys to another
 * Redis instance (database 0: a cluster has no other), from the node that owns them. `keys` are
 * one key or several of one slot (sent with `KEYS`). "OK", or "NOKEY" when none existed.
 *
 * @since 0.1.0
 * @category keys
 */
export const migrate = (
  host: string,
  port: number,
  keys: Arg | ReadonlyArray<Arg>,
  timeoutMillis: number,
  options?: MigrateOptions
): Command<string> => {
  const list: ReadonlyArray<Arg> = typeof keys === "string" || keys instanceof Uint8Array ? [keys] : keys
  const args: Array<Resp.RespArg> = ["MIGRATE", host, port, list.length === 1 ? list[0]! : "", 0, timeoutMillis]
  if (options?.copy) args.push("COPY")
  if (options?.replace) args.push("REPLACE")
  const auth = options?.auth
  if (typeof auth === "string") args.push("AUTH", auth)
  else if (auth !== undefined) args.push("AUTH2", auth.username, auth.password)
  if (list.length !== 1) args.push("KEYS", ...list)
  return key("MIGRATE", args, list, 0, R.string)
}
