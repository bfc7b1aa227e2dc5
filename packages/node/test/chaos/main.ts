/**
 * `pnpm chaos --seed N --minutes M [--workers W] [--timeout MS] [--allowance MS] [--no-kill]`:
 * a chaos run as long as you like (see run.ts), its faults and progress as they happen, then the
 * summary. Exits 0 when the checker found no breach, 1 when it did, 2 when the run itself failed.
 */
import { Cause, Effect, Exit, Fiber } from "effect"
import * as Chaos from "./run.js"

const usage = "usage: pnpm chaos --seed N --minutes M [--workers W] [--timeout MS] [--allowance MS] [--no-kill]"

const parse = (argv: ReadonlyArray<string>): Chaos.ChaosOptions => {
  const values = new Map<string, string>()
  const flags = new Set<string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === "--") continue
    if (arg === "--no-kill" || arg === "--help" || arg === "-h") {
      flags.add(arg)
      continue
    }
    const [name, inline] = arg.split("=", 2) as [string, string | undefined]
    const value = inline ?? argv[++i]
    if (!name.startsWith("--") || value === undefined) throw new Error(`bad argument ${arg}\n${usage}`)
    values.set(name.slice(2), value)
  }
  if (flags.has("--help") || flags.has("-h")) {
    console.log(usage)
    process.exit(0)
  }
  const number = (name: string, fallback: number | undefined): number | undefined => {
    const text = values.get(name)
    if (text === undefined) return fallback
    const n = Number(text)
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number >= 0, got ${text}\n${usage}`)
    return n
  }
  for (const name of values.keys()) {
    if (!["seed", "minutes", "workers", "timeout", "allowance"].includes(name)) throw new Error(`unknown option --${name}\n${usage}`)
  }
  return {
    seed: Math.floor(number("seed", 1)!),
    chaosMillis: Math.round(number("minutes", 1)! * 60_000),
    workers: number("workers", undefined),
    commandTimeoutMillis: number("timeout", undefined),
    allowanceMillis: number("allowance", undefined),
    killPhase: !flags.has("--no-kill"),
    log: (line) => console.log(line)
  }
}

const options = parse(process.argv.slice(2))
const fiber = Effect.runFork(Chaos.run(options))
// Ctrl-C interrupts the run, so the cluster and the proxies are torn down in order.
process.once("SIGINT", () => Effect.runFork(Fiber.interrupt(fiber)))
Effect.runPromise(Fiber.await(fiber)).then((exit) => {
  if (Exit.isSuccess(exit)) {
    console.log(Chaos.format(exit.value))
    process.exit(exit.value.ok ? 0 : 1)
  }
  console.error(`the chaos run failed: ${Cause.pretty(exit.cause)}`)
  process.exit(2)
})
