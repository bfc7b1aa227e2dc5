/**
 * The `Command<A>` model, shared by every command constructor.
 *
 * @internal
 */
import type * as Resp from "../../Resp.js"
import * as R from "./reply.js"
import { ReplyShape } from "./reply.js"

/**
 * A key or value argument: text, or bytes for binary data.
 *
 * @since 0.1.0
 * @category models
 */
export type Arg = string | Uint8Array

/**
 * How a command is routed in a cluster.
 * - `key`: to the owner of its keys' slot (keys must share a slot unless the command can be split)
 * - `any`: keyless; any master will do
 * - `masters`: to every master that serves slots, replies merged (`FLUSHALL`, `DBSIZE`, `KEYS`...)
 * - `nodes`: to every node, replicas included, replies merged (`CONFIG SET`, `CLIENT SETNAME`...)
 * - `node`: about one particular node (cluster management, DEBUG, WAIT): only `executeOn` runs it;
 *   `execute` fails with `UnsupportedCommandError` rather than pick a node at random
 * - `unsupported`: cannot work through a cluster client; fails with `UnsupportedCommandError`
 *
 * @since 0.1.0
 * @category models
 */
export type Route = "key" | "any" | "masters" | "nodes" | "node" | "unsupported"

/**
 * One node's reply to a fanned-out command.
 *
 * @since 0.1.0
 * @category models
 */
export interface NodeReply<B> {
  /** `host:port` of the node. */
  readonly address: string
  readonly value: B
}

/**
 * How the replies of a fanned-out command (route `masters` or `nodes`) become one result. The
 * per-node decoder's type is erased here; `fanout` keeps it typed for constructors.
 *
 * @since 0.1.0
 * @category models
 */
export interface FanOut<A> {
  readonly decode: Decoder<unknown>
  readonly merge: (replies: ReadonlyArray<NodeReply<unknown>>) => A | ReplyShape
}

/**
 * Flag: the command only reads, so it may go to a replica under `readFrom`.
 *
 * @since 0.1.0
 * @category constants
 */
export const READONLY = 1
/**
 * Flag: the command may block the connection (BLPOP, XREAD BLOCK, WAIT...).
 *
 * @since 0.1.0
 * @category constants
 */
export const BLOCKING = 2
/**
 * Flag: decode the reply's strings as bytes.
 *
 * @since 0.1.0
 * @category constants
 */
export const BYTES = 4
/**
 * Flag: a keyless command routed by the slot of its first argument, a pub/sub channel (PUBLISH).
 * The channel is not a key: it binds no transaction to a slot and is never CROSSSLOT.
 *
 * @since 0.1.0
 * @category constants
 */
export const CHANNEL = 8

/**
 * A command's reply decoder; `ReplyShape` signals a reply of the wrong shape.
 *
 * @since 0.1.0
 * @category models
 */
export type Decoder<A> = (reply: Resp.RespValue) => A | ReplyShape

/**
 * How a multi-key command whose keys hash to several slots is split into one command per slot and
 * its results merged back (MGET, MSET, DEL, EXISTS...). Non-atomic by nature: only for commands
 * whose Redis semantics allow it (`multi_shard`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Split<A> {
  /** The command for the keys at `indices` of the original key list (one call per slot). */
  readonly part: (indices: ReadonlyArray<number>) => Command<unknown>
  /** Merges the parts' results; `groups[i]` are the key indices of `results[i]`. */
  readonly merge: (results: ReadonlyArray<unknown>, groups: ReadonlyArray<ReadonlyArray<number>>, keyCount: number) => A
}

/**
 * One Redis command whose reply decodes to `A`.
 *
 * @since 0.1.0
 * @category models
 */
export class Command<out A> {
  constructor(
    /** Upper-case name, with the subcommand for container commands (`CLUSTER INFO`). */
    readonly name: string,
    /** Every argument, the name tokens first: what goes on the wire. */
    readonly args: ReadonlyArray<Resp.RespArg>,
    /** The key arguments, for routing. Empty for keyless commands. */
    readonly keys: ReadonlyArray<Arg>,
    /** `READONLY | BLOCKING | BYTES`. */
    readonly flags: number,
    readonly decode: Decoder<A>,
    readonly route: Route = "key",
    readonly split?: Split<A> | undefined,
    /** For routes `masters` and `nodes`. */
    readonly fanout?: FanOut<A> | undefined,
    /** For route `unsupported`: why. */
    readonly unsupportedReason?: string | undefined,
    /** For `BLOCKING` commands: how long the server may block, in ms (0 = indefinitely). */
    readonly blockMillis: number = 0
  ) {}

  /** `true` when the command may be served by a replica. */
  get readOnly(): boolean {
    return (this.flags & READONLY) !== 0
  }

  /** The same command with its result transformed by `f` (per-slot splitting is kept). */
  map<B>(f: (a: A) => B): Command<B> {
    const lift = <X>(g: (x: X) => A | ReplyShape) => (x: X): B | ReplyShape => {
      const a = g(x)
      return a instanceof ReplyShape ? a : f(a)
    }
    const split = this.split
    const fanout = this.fanout
    return new Command(
      this.name,
      this.args,
      this.keys,
      this.flags,
      lift(this.decode),
      this.route,
      split === undefined ? undefined : { part: split.part, merge: (rs, gs, n) => f(split.merge(rs, gs, n)) },
      fanout === undefined ? undefined : { decode: fanout.decode, merge: lift(fanout.merge) },
      this.unsupportedReason,
      this.blockMillis
    )
  }

  /**
   * The same command with its reply as it came, strings as bytes (`Uint8Array`): for binary values
   * behind any command. Commands sent to several nodes give each node's raw reply by address;
   * per-slot splitting is not kept (keys in several slots then fail with `CrossSlotError`).
   */
  asBytes(): Command<Resp.RespValue> {
    const fanout: FanOut<Resp.RespValue> | undefined = this.fanout === undefined ? undefined : {
      decode: R.raw,
      merge: (replies) => new Map(replies.map((r) => [r.address, r.value as Resp.RespValue]))
    }
    return new Command<Resp.RespValue>(this.name, this.args, this.keys, this.flags | BYTES, R.raw, this.route, undefined, fanout, this.unsupportedReason, this.blockMillis)
  }

  /** The same fanned-out command with other per-node decoding and merging. */
  withFanOut<B>(fanout: FanOut<B>): Command<B> {
    // Its replies only ever go through `fanout`; a direct decode is a routing bug, reported as such.
    const direct: Decoder<B> = (reply) => new ReplyShape("replies decoded per node (a command sent to several nodes)", reply)
    return new Command<B>(this.name, this.args, this.keys, this.flags, direct, this.route, undefined, fanout, this.unsupportedReason, this.blockMillis)
  }

  /** `true` when the reply's strings are decoded as bytes. */
  get bytes(): boolean {
    return (this.flags & BYTES) !== 0
  }
}

declare const PerNode: unique symbol

/**
 * A command sent to every master or every node (`DBSIZE`, `INFO`, `KEYS`...): `A` is the merged
 * result `execute` gives, `P` one node's reply, which `executeOn` gives.
 *
 * @since 0.1.0
 * @category models
 */
export interface FanOutCommand<out A, out P> extends Command<A> {
  /** Type-level only: the per-node reply type. */
  readonly [PerNode]: P
}

/**
 * The result type of a command.
 *
 * @since 0.1.0
 * @category models
 */
export type CommandResult<C> = C extends Command<infer A> ? A : never

/**
 * A keyed command.
 *
 * @since 0.1.0
 * @category utils
 */
export const key = <A>(name: string, args: ReadonlyArray<Resp.RespArg>, keys: ReadonlyArray<Arg>, flags: number, decode: Decoder<A>) =>
  new Command(name, args, keys, flags, decode)

/**
 * A keyless command (any master).
 *
 * @since 0.1.0
 * @category utils
 */
export const keyless = <A>(name: string, args: ReadonlyArray<Resp.RespArg>, flags: number, decode: Decoder<A>) =>
  new Command(name, args, [], flags, decode, "any")

/**
 * The items at `indices`.
 *
 * @since 0.1.0
 * @category utils
 */
export const pick = <A>(values: ReadonlyArray<A>, indices: ReadonlyArray<number>): Array<A> => indices.map((i) => values[i]!)

// ---------------------------------------------------------------------------------------------
// Argument helpers shared by the command groups

/** One key or several, as a list. */
const keysOf = (keys: Arg | ReadonlyArray<Arg>): ReadonlyArray<Arg> =>
  typeof keys === "string" || keys instanceof Uint8Array ? [keys] : keys

/**
 * Entries given as a record or as pairs (which keep order and allow binary names), as pairs.
 *
 * @since 0.1.0
 * @category utils
 */
export const entriesOf = <V>(entries: Readonly<Record<string, V>> | ReadonlyArray<readonly [Arg, V]>): ReadonlyArray<readonly [Arg, V]> =>
  Array.isArray(entries) ? entries as ReadonlyArray<readonly [Arg, V]> : Object.entries(entries as Readonly<Record<string, V>>)

/**
 * A blocking timeout in seconds (fractions allowed) as the blocking pool's ms; a positive timeout never rounds to 0 (= forever).
 *
 * @since 0.1.0
 * @category utils
 */
export const blockMillisOf = (seconds: number): number => (seconds <= 0 ? 0 : Math.max(1, Math.ceil(seconds * 1000)))

/**
 * The `NX|XX|GT|LT` conditions of `EXPIRE`-like commands and `ZADD`.
 *
 * @since 0.1.0
 * @category models
 */
export interface UpdateConditions {
  readonly nx?: boolean
  readonly xx?: boolean
  readonly gt?: boolean
  readonly lt?: boolean
}

/**
 * The `NX`, `XX`, `GT`, `LT` flags set in `o`, in that order.
 *
 * @since 0.1.0
 * @category utils
 */
export const expireFlags = (o: UpdateConditions | undefined): Array<string> => {
  if (o === undefined) return []
  const out: Array<string> = []
  if (o.nx) out.push("NX")
  if (o.xx) out.push("XX")
  if (o.gt) out.push("GT")
  if (o.lt) out.push("LT")
  return out
}

/**
 * `EX|PX|EXAT|PXAT` of `SET` and `GETEX`, in that order.
 *
 * @since 0.1.0
 * @category utils
 */
export const expiryArgs = (
  o: { readonly ex?: number; readonly px?: number; readonly exat?: number; readonly pxat?: number } | undefined
): Array<Resp.RespArg> => {
  const args: Array<Resp.RespArg> = []
  if (o === undefined) return args
  if (o.ex !== undefined) args.push("EX", o.ex)
  if (o.px !== undefined) args.push("PX", o.px)
  if (o.exat !== undefined) args.push("EXAT", o.exat)
  if (o.pxat !== undefined) args.push("PXAT", o.pxat)
  return args
}

/**
 * `numkeys key... where [COUNT count]` of `LMPOP`, `ZMPOP` and their blocking forms.
 *
 * @since 0.1.0
 * @category utils
 */
export const mpopArgs = (keys: ReadonlyArray<Arg>, where: string, o: { readonly count?: number } | undefined): Array<Resp.RespArg> => {
  const args: Array<Resp.RespArg> = [keys.length, ...keys, where]
  if (o?.count !== undefined) args.push("COUNT", o.count)
  return args
}

/**
 * `head... cursor [MATCH pattern] [COUNT count]` of the `SCAN` family.
 *
 * @since 0.1.0
 * @category utils
 */
export const scanArgs = (
  head: ReadonlyArray<Resp.RespArg>,
  cursor: string | number,
  o: { readonly match?: Arg | undefined; readonly count?: number | undefined } | undefined
): Array<Resp.RespArg> => {
  const args: Array<Resp.RespArg> = [...head, cursor]
  if (o?.match !== undefined) args.push("MATCH", o.match)
  if (o?.count !== undefined) args.push("COUNT", o.count)
  return args
}

/**
 * Split for commands whose per-slot integer replies add up (DEL, EXISTS, UNLINK, TOUCH).
 *
 * @since 0.1.0
 * @category utils
 */
export const sumSplit = (name: string, keys: ReadonlyArray<Arg>, flags: number): Split<number> => ({
  part: (indices) => key(name, [name, ...pick(keys, indices)], pick(keys, indices), flags, R.integer),
  merge: (results) => (results as ReadonlyArray<number>).reduce((a, b) => a + b, 0)
})


/**
 * A blocking command (BLPOP, BZPOPMIN, XREAD BLOCK, WAIT...): it runs on a dedicated connection from
 * the per-node blocking pool, and its deadline is `blockMillis` plus `commandTimeout`.
 * `blockMillis` 0 means the server may block indefinitely (then no deadline applies).
 *
 * @since 0.1.0
 * @category utils
 */
export const blocking = <A>(
  name: string,
  args: ReadonlyArray<Resp.RespArg>,
  keys: ReadonlyArray<Arg>,
  flags: number,
  decode: Decoder<A>,
  blockMillis: number
): Command<A> => new Command(name, args, keys, flags | BLOCKING, decode, keys.length === 0 ? "any" : "key", undefined, undefined, undefined, blockMillis)

/**
 * `NAME key... timeout` (BLPOP, BRPOP, BZPOPMIN, BZPOPMAX): one key or several, `timeout` in seconds.
 *
 * @since 0.1.0
 * @category utils
 */
export const blockingPop = <A>(name: string, keys: Arg | ReadonlyArray<Arg>, timeout: number, decode: Decoder<A>): Command<A> => {
  const ks = keysOf(keys)
  return blocking(name, [name, ...ks, timeout], ks, 0, decode, blockMillisOf(timeout))
}

const noDirectReply: Decoder<never> = (reply) => new ReplyShape("a fanned-out command's replies to be merged", reply)

/**
 * A command sent to every master (`masters`) or every node (`nodes`), its replies merged.
 *
 * @since 0.1.0
 * @category utils
 */
export const fanout = <B, A>(
  name: string,
  args: ReadonlyArray<Resp.RespArg>,
  flags: number,
  target: "masters" | "nodes",
  decode: Decoder<B>,
  merge: (replies: ReadonlyArray<NodeReply<B>>) => A | ReplyShape
): FanOutCommand<A, B> =>
  new Command<A>(name, args, [], flags, noDirectReply, target, undefined, {
    decode,
    merge: merge as (replies: ReadonlyArray<NodeReply<unknown>>) => A | ReplyShape
  }) as FanOutCommand<A, B>

/**
 * A command meant for one chosen node: `executeOn` runs it, `execute` refuses it.
 *
 * @since 0.1.0
 * @category utils
 */
export const onNode = <A>(name: string, args: ReadonlyArray<Resp.RespArg>, flags: number, decode: Decoder<A>): Command<A> =>
  new Command(name, args, [], flags, decode, "node")

/**
 * A command a cluster client refuses, saying why (redis-py-cluster's blocked list).
 *
 * @since 0.1.0
 * @category utils
 */
export const unsupported = (name: string, args: ReadonlyArray<Resp.RespArg>, reason: string): Command<never> =>
  new Command<never>(name, args, [], 0, noDirectReply, "unsupported", undefined, undefined, reason)

/**
 * Merge policies for fanned-out replies (Redis' `response_policy` tips).
 *
 * @since 0.1.0
 * @category utils
 */
export const merge = {
  /** `agg_sum`: add the numbers. */
  sum: (replies: ReadonlyArray<NodeReply<number>>): number => replies.reduce((a, r) => a + r.value, 0),
  /** `agg_logical_and`. */
  and: (replies: ReadonlyArray<NodeReply<boolean>>): boolean => replies.every((r) => r.value),
  /** `agg_logical_or`. */
  or: (replies: ReadonlyArray<NodeReply<boolean>>): boolean => replies.some((r) => r.value),
  /** `agg_min`. */
  min: (replies: ReadonlyArray<NodeReply<number>>): number => Math.min(...replies.map((r) => r.value)),
  /** `agg_max`. */
  max: (replies: ReadonlyArray<NodeReply<number>>): number => Math.max(...replies.map((r) => r.value)),
  /** Arrays concatenated (`KEYS`, `PUBSUB CHANNELS`), duplicates removed when `unique`. */
  concat: <E>(replies: ReadonlyArray<NodeReply<ReadonlyArray<E>>>, unique = false): ReadonlyArray<E> => {
    const all = replies.flatMap((r) => r.value)
    return unique ? Array.from(new Set(all)) : all
  },
  /** `all_succeeded`: every node answered (errors already failed the command); the first reply. */
  first: <B>(replies: ReadonlyArray<NodeReply<B>>): B | ReplyShape =>
    replies.length === 0 ? new ReplyShape("at least one node", null) : replies[0]!.value,
  /** Every node's reply by address. */
  byNode: <B>(replies: ReadonlyArray<NodeReply<B>>): Readonly<Record<string, B>> =>
    Object.fromEntries(replies.map((r) => [r.address, r.value]))
}
