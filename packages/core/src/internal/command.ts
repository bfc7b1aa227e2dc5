/**
 * The `Command<A>` model, shared by every command constructor.
 *
 * @internal
 */
import type * as Resp from "../Resp.js"
import * as R from "./reply.js"
import { ReplyShape } from "./reply.js"

/** A key or value argument: text, or bytes for binary data. */
export type Arg = string | Uint8Array

/**
 * How a command is routed in a cluster.
 * - `key`: to the owner of its keys' slot (keys must share a slot unless the command can be split)
 * - `any`: keyless; any master will do
 */
export type Route = "key" | "any"

/** Flag: the command only reads, so it may go to a replica under `readFrom`. */
export const READONLY = 1
/** Flag: the command may block the connection (BLPOP, XREAD BLOCK, WAIT...). */
export const BLOCKING = 2
/** Flag: decode the reply's strings as bytes. */
export const BYTES = 4

/** A command's reply decoder; `ReplyShape` signals a reply of the wrong shape. */
export type Decoder<A> = (reply: Resp.RespValue) => A | ReplyShape

/**
 * How a multi-key command whose keys hash to several slots is split into one command per slot and
 * its results merged back (MGET, MSET, DEL, EXISTS...). Non-atomic by nature: only for commands
 * whose Redis semantics allow it (`multi_shard`).
 */
export interface Split<A> {
  /** The command for the keys at `indices` of the original key list (one call per slot). */
  readonly part: (indices: ReadonlyArray<number>) => Command<unknown>
  /** Merges the parts' results; `groups[i]` are the key indices of `results[i]`. */
  readonly merge: (results: ReadonlyArray<unknown>, groups: ReadonlyArray<ReadonlyArray<number>>, keyCount: number) => A
}

/** One Redis command whose reply decodes to `A`. */
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
    readonly split?: Split<A> | undefined
  ) {}

  /** `true` when the command may be served by a replica. */
  get readOnly(): boolean {
    return (this.flags & READONLY) !== 0
  }

  /** The same command with its reply decoded by `f`. */
  map<B>(f: (a: A) => B): Command<B> {
    const decode = this.decode
    return new Command(this.name, this.args, this.keys, this.flags, (r) => {
      const a = decode(r)
      return a instanceof ReplyShape ? a : f(a)
    }, this.route)
  }
}

/** The result type of a command. */
export type CommandResult<C> = C extends Command<infer A> ? A : never

/** A keyed command. */
export const key = <A>(name: string, args: ReadonlyArray<Resp.RespArg>, keys: ReadonlyArray<Arg>, flags: number, decode: Decoder<A>) =>
  new Command(name, args, keys, flags, decode)

/** A keyless command (any master). */
export const keyless = <A>(name: string, args: ReadonlyArray<Resp.RespArg>, flags: number, decode: Decoder<A>) =>
  new Command(name, args, [], flags, decode, "any")

/** The items at `indices`. */
export const pick = <A>(values: ReadonlyArray<A>, indices: ReadonlyArray<number>): Array<A> => indices.map((i) => values[i]!)

/** Split for commands whose per-slot integer replies add up (DEL, EXISTS, UNLINK, TOUCH). */
export const sumSplit = (name: string, keys: ReadonlyArray<Arg>, flags: number): Split<number> => ({
  part: (indices) => key(name, [name, ...pick(keys, indices)], pick(keys, indices), flags, R.integer),
  merge: (results) => (results as ReadonlyArray<number>).reduce((a, b) => a + b, 0)
})

