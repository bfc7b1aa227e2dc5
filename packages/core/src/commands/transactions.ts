/**
 * Command constructors: transactions. MULTI/EXEC/DISCARD/WATCH/UNWATCH only make sense on one
 * connection to one node, which a cluster client shares between fibers; they are refused, pointing
 * to `redis.transaction(commands)` (MULTI/EXEC on the keys' slot owner) and `redis.watch(keys, f)`.
 *
 * @since 0.1.0
 */
import type { Arg } from "../internal/command/command.js"
import { type Command, unsupported } from "../internal/command/command.js"

const useTransaction = "commands on a shared cluster connection cannot form a transaction: use redis.transaction(commands)"
const useWatch = "WATCH needs the transaction's own connection: use redis.watch(keys, f) with redis.transaction inside"

/**
 * `MULTI`: unsupported; use `redis.transaction(commands)`.
 *
 * @since 0.1.0
 * @category transactions
 */
export const multi = (): Command<never> => unsupported("MULTI", ["MULTI"], useTransaction)

/**
 * `EXEC`: unsupported; use `redis.transaction(commands)`.
 *
 * @since 0.1.0
 * @category transactions
 */
export const exec = (): Command<never> => unsupported("EXEC", ["EXEC"], useTransaction)

/**
 * `DISCARD`: unsupported; a failed `redis.transaction(commands)` discards itself.
 *
 * @since 0.1.0
 * @category transactions
 */
export const discard = (): Command<never> => unsupported("DISCARD", ["DISCARD"], useTransaction)

/**
 * `WATCH key...`: unsupported; use `redis.watch(keys, f)`.
 *
 * @since 0.1.0
 * @category transactions
 */
export const watch = (...keys: ReadonlyArray<Arg>): Command<never> => unsupported("WATCH", ["WATCH", ...keys], useWatch)

/**
 * `UNWATCH`: unsupported; `redis.watch(keys, f)` unwatches when `f` ends.
 *
 * @since 0.1.0
 * @category transactions
 */
export const unwatch = (): Command<never> => unsupported("UNWATCH", ["UNWATCH"], useWatch)
