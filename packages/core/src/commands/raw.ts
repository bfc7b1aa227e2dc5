/**
 * Command constructors: `raw`, any command by its arguments (for commands without a constructor).
 *
 * @since 0.1.0
 */
import type { Arg } from "../internal/command/command.js"
import { BYTES, Command, READONLY, unsupported } from "../internal/command/command.js"
import * as R from "../internal/command/reply.js"
import type * as Resp from "../Resp.js"
import { asking, readonly, readwrite } from "./cluster.js"
import { auth, clientCaching, clientNoEvict, clientReply, clientSetname, clientTracking, hello, quit, reset, select } from "./connection.js"
import { psubscribe, punsubscribe, ssubscribe, subscribe, sunsubscribe, unsubscribe } from "./pubsub.js"
import { scriptDebug } from "./scripting.js"
import { monitor, psync, sync } from "./server.js"
import { discard, exec, multi, unwatch, watch } from "./transactions.js"

/**
 * Commands that change the state of the connection they run on (a transaction, subscriptions,
 * reply mode, protocol, user, database, replica mode...). Through `raw` they would run on a
 * connection every caller shares: after a raw MULTI, an unrelated GET answered `QUEUED`. Each maps
 * to its typed constructor, which refuses it, so that both say the same thing about what to use.
 */
const connectionState: ReadonlyMap<string, () => Command<never>> = new Map<string, () => Command<never>>([
  ["MULTI", multi],
  ["EXEC", exec],
  ["DISCARD", discard],
  ["WATCH", () => watch()],
  ["UNWATCH", unwatch],
  ["SUBSCRIBE", () => subscribe()],
  ["PSUBSCRIBE", () => psubscribe()],
  ["SSUBSCRIBE", () => ssubscribe()],
  ["UNSUBSCRIBE", () => unsubscribe()],
  ["PUNSUBSCRIBE", () => punsubscribe()],
  ["SUNSUBSCRIBE", () => sunsubscribe()],
  ["MONITOR", monitor],
  ["SYNC", sync],
  ["PSYNC", () => psync("?", -1)],
  ["RESET", reset],
  ["HELLO", hello],
  ["AUTH", auth],
  ["QUIT", quit],
  ["READONLY", readonly],
  ["READWRITE", readwrite],
  ["ASKING", asking],
  ["CLIENT REPLY", () => clientReply("OFF")],
  ["CLIENT TRACKING", () => clientTracking(true)],
  ["CLIENT CACHING", () => clientCaching(true)],
  ["CLIENT SETNAME", () => clientSetname("")],
  ["CLIENT NO-EVICT", () => clientNoEvict(true)],
  ["SCRIPT DEBUG", () => scriptDebug("YES")]
])

/** Container commands whose subcommand decides whether they touch the connection's state. */
const containers = new Set(["CLIENT", "SCRIPT"])

const textDecoder = new TextDecoder()

/** A name token as upper-case text (arguments may be bytes or numbers). */
const token = (arg: Resp.RespArg | undefined): string =>
  (arg instanceof Uint8Array ? textDecoder.decode(arg) : String(arg ?? "")).toUpperCase()

/**
 * Any command, by its arguments, with its reply as it came. Routed by `keys` (keyless when empty).
 *
 * Commands that change the state of the connection they run on are refused (the command fails with
 * `UnsupportedCommandError`, nothing is sent), as their typed constructors are, with the same
 * reason saying what to use instead: `MULTI`, `EXEC`, `DISCARD`, `WATCH`, `UNWATCH`, `SUBSCRIBE`,
 * `PSUBSCRIBE`, `SSUBSCRIBE` and their `UNSUBSCRIBE` forms, `MONITOR`, `SYNC`, `PSYNC`, `RESET`,
 * `HELLO`, `AUTH`, `QUIT`, `SELECT` of a database other than 0, `READONLY`, `READWRITE`, `ASKING`,
 * `CLIENT REPLY`, `CLIENT TRACKING`, `CLIENT CACHING`, `CLIENT SETNAME`, `CLIENT NO-EVICT` and
 * `SCRIPT DEBUG` (names in any case).
 *
 * @since 0.1.0
 * @category commands
 */
export const raw = (args: ReadonlyArray<Resp.RespArg>, options?: { readonly keys?: ReadonlyArray<Arg>; readonly readOnly?: boolean; readonly bytes?: boolean }): Command<Resp.RespValue> => {
  const keys = options?.keys ?? []
  const flags = (options?.readOnly ? READONLY : 0) | (options?.bytes ? BYTES : 0)
  const name = token(args[0])
  const full = containers.has(name) && args.length > 1 ? `${name} ${token(args[1])}` : name
  const refused = connectionState.get(full)
  if (refused !== undefined) return unsupported(full, args, refused().unsupportedReason ?? "it changes the state of a shared connection")
  // SELECT 0 is a no-op the typed `select(0)` allows too; any other database is refused as there.
  if (name === "SELECT" && !(args.length === 2 && token(args[1]) === "0")) {
    return unsupported(name, args, select(1).unsupportedReason ?? "Redis Cluster has database 0 only")
  }
  return new Command(name, args, keys, flags, R.raw, keys.length === 0 ? "any" : "key")
}
