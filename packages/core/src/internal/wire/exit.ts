/**
 * Reading the typed error out of an `Exit` without an `Option` or `Result` per call: the batch
 * engine inspects one exit per command.
 *
 * @internal
 */
import type { Exit } from "effect"

/**
 * The exit's typed error (its first `Fail` reason); `undefined` for a success, a defect or an interruption.
 *
 * @since 0.1.0
 * @category utils
 */
export const failureOf = <E>(exit: Exit.Exit<unknown, E>): E | undefined => {
  if (exit._tag === "Success") return undefined
  for (const reason of exit.cause.reasons) if (reason._tag === "Fail") return reason.error
  return undefined
}
