/**
 * Command constructors: `raw`, any command by its arguments (for commands without a constructor).
 *
 * @since 0.1.0
 */
import type { Arg } from "../internal/command/command.js"
import { BYTES, Command, READONLY } from "../internal/command/command.js"
import * as R from "../internal/command/reply.js"
import type * as Resp from "../Resp.js"

/**
 * Any command, by its arguments, with its reply as it came. Routed by `keys` (keyless when empty).
 *
 * @since 0.1.0
 * @category commands
 */
export const raw = (args: ReadonlyArray<Resp.RespArg>, options?: { readonly keys?: ReadonlyArray<Arg>; readonly readOnly?: boolean; readonly bytes?: boolean }): Command<Resp.RespValue> => {
  const keys = options?.keys ?? []
  const flags = (options?.readOnly ? READONLY : 0) | (options?.bytes ? BYTES : 0)
  const name = String(args[0] ?? "").toUpperCase()
  return new Command(name, args, keys, flags, R.raw, keys.length === 0 ? "any" : "key")
}
