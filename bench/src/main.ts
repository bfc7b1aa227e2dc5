/**
 * keyslot benchmarks: every suite in one process, one after another.
 *
 *   pnpm bench                          # all suites, 3 s rounds
 *   pnpm bench --suite connection       # one suite (connection | cluster | pipeline)
 *   pnpm bench --quick                  # CI smoke: 300 ms rounds
 *   pnpm bench --duration 5000 --rounds 3 --json results.json
 *
 * See bench/README.md for what each suite measures and how to read the ratios.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import { parseArgs } from "node:util"
import * as ClusterSuite from "./clusterSuite.js"
import * as ConnectionSuite from "./connectionSuite.js"
import * as PipelineSuite from "./pipelineSuite.js"
import type { WorkloadResult } from "./harness.js"
import type { LoopStyle } from "./loops.js"

const usage = `usage: pnpm bench [--suite connection|cluster|pipeline|all] [--quick] [--duration ms] [--warmup ms]
                  [--rounds n] [--style gen|whileLoop|repeat] [--no-variants] [--json file]`

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    suite: { type: "string", default: "all" },
    quick: { type: "boolean", default: false },
    duration: { type: "string" },
    warmup: { type: "string" },
    rounds: { type: "string" },
    style: { type: "string", default: "gen" },
    "no-variants": { type: "boolean", default: false },
    json: { type: "string" },
    help: { type: "boolean", short: "h", default: false }
  }
})

if (values.help) {
  console.log(usage)
  process.exit(0)
}

const fail = (message: string): never => {
  console.error(`${message}\n${usage}`)
  process.exit(2)
}

const positiveInt = (name: string, text: string | undefined, fallback: number): number => {
  if (text === undefined) return fallback
  const n = Number(text)
  return Number.isInteger(n) && n > 0 ? n : fail(`--${name} must be a positive integer, got ${text}`)
}

const suite = values.suite
if (suite !== "connection" && suite !== "cluster" && suite !== "pipeline" && suite !== "all") fail(`unknown --suite ${suite}`)
const style = values.style as LoopStyle
if (style !== "gen" && style !== "whileLoop" && style !== "repeat") fail(`unknown --style ${values.style}`)

const durationMs = positiveInt("duration", values.duration, values.quick ? 300 : 3000)
const settings = {
  durationMs,
  warmupMs: positiveInt("warmup", values.warmup, values.quick ? 100 : Math.max(200, Math.round(durationMs / 3))),
  rounds: positiveInt("rounds", values.rounds, 2)
}

const log = (line: string) => console.log(line)

/**
 * Once the program is done, nothing may keep the process alive. If something does (a socket, a
 * timer, a child process), say what after a grace period and fail, instead of hanging CI.
 */
const armExitCheck = () => {
  setTimeout(() => {
    console.error("bench: the process did not exit by itself; still active:", process.getActiveResourcesInfo())
    process.exit(1)
  }, 5000).unref()
}

const program = Effect.gen(function*() {
  const cpus = os.cpus()
  log(
    `keyslot bench — ${new Date().toISOString()} — node ${process.version}, ${cpus.length} × ${cpus[0]?.model ?? "cpu"}, ` +
      `rounds ${settings.rounds} × ${settings.durationMs} ms (warm-up ${settings.warmupMs} ms)` +
      ((globalThis as { gc?: unknown }).gc === undefined ? "" : ", GC between rounds")
  )
  const results: Record<string, ReadonlyArray<WorkloadResult>> = {}
  if (suite === "connection" || suite === "all") {
    results["connection"] = yield* ConnectionSuite.run(
      { ...settings, inFlight: [1, 100, 1000], variants: !values["no-variants"], primaryStyle: style },
      log
    )
  }
  if (suite === "cluster" || suite === "all") {
    results["cluster"] = yield* ClusterSuite.run(
      { ...settings, keys: 10_000, workers: 100, burst: 1000, primaryStyle: style },
      log
    )
  }
  if (suite === "pipeline" || suite === "all") {
    results["pipeline"] = yield* PipelineSuite.run({ ...settings, keys: 10_000, sizes: [1000, 10_000] }, log)
  }
  if (values.json !== undefined) {
    fs.writeFileSync(values.json, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus.length, settings, results }, null, 2))
    log(`\nwrote ${values.json}`)
  }
  log("\nall clients closed, all servers stopped")
}).pipe(Effect.ensuring(Effect.sync(armExitCheck)))

NodeRuntime.runMain(program)
