/**
 * Command constructors: HyperLogLog.
 *
 * @since 0.1.0
 */
import type { Arg } from "../internal/command/command.js"
import { Command, key, keyless, READONLY } from "../internal/command/command.js"
import * as R from "../internal/command/reply.js"
import type * as Resp from "../Resp.js"

/**
 * The subcommands of `PFDEBUG`.
 *
 * @since 0.1.0
 * @category models
 */
export type PfdebugSubcommand = "GETREG" | "DECODE" | "ENCODING" | "TODENSE"

/**
 * What each `PFDEBUG` subcommand answers: GETREG the registers (the key becomes dense first),
 * DECODE the sparse representation as text, ENCODING `"sparse"` or `"dense"`, TODENSE `true` when
 * the key was converted.
 *
 * @since 0.1.0
 * @category models
 */
export interface PfdebugReply {
  readonly GETREG: ReadonlyArray<number>
  readonly DECODE: string
  readonly ENCODING: "sparse" | "dense"
  readonly TODENSE: boolean
}

const pfdebugDecoders: { readonly [S in PfdebugSubcommand]: (v: Resp.RespValue) => PfdebugReply[S] | R.ReplyShape } = {
  GETREG: R.integers,
  DECODE: R.string,
  ENCODING: (v) => {
    const s = R.string(v)
    return s === "sparse" || s === "dense" || s instanceof R.ReplyShape ? s : new R.ReplyShape("sparse or dense", v)
  },
  TODENSE: R.boolean
}

/**
 * `PFADD key [element...]`: `true` when the estimate changed (or the key was created).
 *
 * @since 0.1.0
 * @category hyperloglog
 */
export const pfadd = (k: Arg, ...elements: ReadonlyArray<Arg>): Command<boolean> =>
  key("PFADD", ["PFADD", k, ...elements], [k], 0, R.boolean)

/**
 * `PFCOUNT key...`: the estimated cardinality of the union of the keys. Every key must share a
 * slot (a union cannot be added up per slot).
 *
 * @since 0.1.0
 * @category hyperloglog
 */
export const pfcount = (...keys: ReadonlyArray<Arg>): Command<number> =>
  new Command("PFCOUNT", ["PFCOUNT", ...keys], keys, READONLY, R.integer)

/**
 * `PFMERGE destkey [sourcekey...]`: stores the union in `destkey`. Every key must share a slot.
 *
 * @since 0.1.0
 * @category hyperloglog
 */
export const pfmerge = (destination: Arg, ...sources: ReadonlyArray<Arg>): Command<void> =>
  key("PFMERGE", ["PFMERGE", destination, ...sources], [destination, ...sources], 0, R.ok)

/**
 * `PFDEBUG subcommand key`: HyperLogLog internals (see `PfdebugReply`). The `RedisCluster` method
 * answers the union over subcommands; `execute(Command.pfdebug(...))` keeps the precise type.
 *
 * @since 0.1.0
 * @category hyperloglog
 */
export const pfdebug = <S extends PfdebugSubcommand>(subcommand: S, k: Arg): Command<PfdebugReply[S]> =>
  key("PFDEBUG", ["PFDEBUG", subcommand, k], [k], 0, pfdebugDecoders[subcommand])

/**
 * `PFSELFTEST`: runs the server's HyperLogLog self test on one master (fails if it fails).
 *
 * @since 0.1.0
 * @category hyperloglog
 */
export const pfselftest = (): Command<void> => keyless("PFSELFTEST", ["PFSELFTEST"], 0, R.ok)
