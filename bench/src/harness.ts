/**
 * The measurement harness: contenders, warm-up, interleaved timed rounds, tables.
 *
 * A contender runs a workload until `stop.stopped` turns true and returns how many commands
 * completed (the ones still in flight when the flag flips are drained and counted). The sample's
 * elapsed time runs from start until the last worker returns, so draining is paid for honestly.
 */
import { Cause, Effect } from "effect"

/** Set to `true` by the harness when a sample's duration is over. */
export interface Stop {
  stopped: boolean
}

export interface Contender {
  readonly name: string
  /** Runs the workload until `stop.stopped`; succeeds with the number of completed commands. */
  readonly run: (stop: Stop) => Effect.Effect<number, unknown>
  /** Kept in the table but left out of "best peer" (keyslot's own variants, for instance). */
  readonly role: "keyslot" | "keyslot-variant" | "peer"
}

export interface Settings {
  readonly durationMs: number
  readonly warmupMs: number
  readonly rounds: number
}

export interface Row {
  readonly name: string
  readonly role: Contender["role"]
  /** ops/s of each timed round, in round order. */
  readonly samples: ReadonlyArray<number>
  /** The best round (what the tables print). */
  readonly best: number
  readonly median: number
  /**
   * CPU time of this process (all threads) per command, in µs, lowest round. Unlike ops/s it
   * hardly moves when other processes compete for the cores; the server's CPU is not in it.
   */
  readonly cpuPerOp: number
  /** Set when the contender failed; then its numbers are absent. */
  readonly error?: string
}

export interface WorkloadResult {
  readonly workload: string
  readonly rows: ReadonlyArray<Row>
}

const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc

interface Sample {
  readonly opsPerSec: number
  readonly cpuPerOp: number
}

/** One timed run: ops/s and this process's CPU µs per command. */
const sample = (contender: Contender, ms: number): Effect.Effect<Sample, unknown> =>
  Effect.suspend(() => {
    gc?.()
    const stop: Stop = { stopped: false }
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const timer = setTimeout(() => {
      stop.stopped = true
    }, ms)
    return contender.run(stop).pipe(
      Effect.map((ops) => {
        const elapsed = performance.now() - t0
        const cpu = process.cpuUsage(cpu0)
        return { opsPerSec: (ops * 1000) / elapsed, cpuPerOp: ops === 0 ? Infinity : (cpu.user + cpu.system) / ops }
      }),
      Effect.ensuring(Effect.sync(() => clearTimeout(timer)))
    )
  })

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length === 0 ? 0 : s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const describeCause = (cause: Cause.Cause<unknown>): string => {
  const squashed = Cause.squash(cause)
  const text = squashed instanceof Error ? `${squashed.name}: ${squashed.message}` : String(squashed)
  return text.split("\n")[0]!.slice(0, 120)
}

/**
 * Warms every contender up once, then runs `rounds` timed rounds, interleaved (A B C, then C B A,
 * ...), so that drift of a noisy machine (GC, CPU frequency, the other core's load) spreads over
 * all contenders rather than landing on one.
 */
export const measure = (
  workload: string,
  contenders: ReadonlyArray<Contender>,
  settings: Settings,
  log: (line: string) => void
): Effect.Effect<WorkloadResult> =>
  Effect.gen(function*() {
    const samples = new Map<string, Array<number>>()
    const cpu = new Map<string, Array<number>>()
    const errors = new Map<string, string>()
    const attempt = (c: Contender, ms: number, record: boolean) =>
      errors.has(c.name) ? Effect.void : sample(c, ms).pipe(
        Effect.tap((s) =>
          Effect.sync(() => {
            if (record) {
              samples.get(c.name)!.push(s.opsPerSec)
              cpu.get(c.name)!.push(s.cpuPerOp)
            }
          })
        ),
        Effect.catchCause((cause) => Effect.sync(() => errors.set(c.name, describeCause(cause)))),
        Effect.asVoid
      )
    for (const c of contenders) {
      samples.set(c.name, [])
      cpu.set(c.name, [])
    }
    for (const c of contenders) yield* attempt(c, settings.warmupMs, false)
    for (let round = 0; round < settings.rounds; round++) {
      const order = round % 2 === 0 ? contenders : [...contenders].reverse()
      for (const c of order) yield* attempt(c, settings.durationMs, true)
    }
    const rows: Array<Row> = contenders.map((c) => {
      const xs = samples.get(c.name)!
      const error = errors.get(c.name)
      return {
        name: c.name,
        role: c.role,
        samples: xs,
        best: xs.length === 0 ? 0 : Math.max(...xs),
        median: median(xs),
        cpuPerOp: Math.min(...cpu.get(c.name)!),
        ...(error === undefined ? {} : { error })
      }
    })
    const result: WorkloadResult = { workload, rows }
    log(formatWorkload(result))
    return result
  })

// ---------------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------------

export const fmtOps = (n: number): string =>
  n >= 100_000 ? `${Math.round(n / 1000)}k` : n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : n >= 1000 ? `${(n / 1000).toFixed(2)}k` : n.toFixed(0)

export const fmtRatio = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? "–" : `${n.toFixed(2)}×`)

/** A plain monospace table; the first column is left-aligned, the others right-aligned. */
export const table = (header: ReadonlyArray<string>, body: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd()
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n")
}

const primary = (result: WorkloadResult): Row | undefined =>
  result.rows.find((r) => r.role === "keyslot" && r.error === undefined && r.samples.length > 0)

/** Per-workload detail: every contender, its rounds, and keyslot's ratio to it. */
export const formatWorkload = (result: WorkloadResult): string => {
  const ks = primary(result)
  const body = result.rows.map((r) => {
    if (r.error !== undefined) return [r.name, "failed", "", "", "", "", r.error]
    const ratio = ks === undefined || r === ks ? undefined : ks.best / r.best
    const cpuRatio = ks === undefined || r === ks ? undefined : r.cpuPerOp / ks.cpuPerOp
    return [
      r.name,
      fmtOps(r.best),
      r.samples.map(fmtOps).join(" / "),
      r === ks ? "" : fmtRatio(ratio),
      r.cpuPerOp.toFixed(1),
      r === ks ? "" : fmtRatio(cpuRatio),
      ""
    ]
  })
  const header = ["client", "ops/s (best)", "rounds", "keyslot ÷ client", "CPU µs/op", "CPU: client ÷ keyslot", ""]
  return `\n${result.workload}\n${table(header, body)}`
}

/**
 * The summary of a suite: one row per workload, one column per contender (best round), then
 * keyslot's ratio to each of `ratioTo` and to the best peer.
 */
export const formatSummary = (
  title: string,
  results: ReadonlyArray<WorkloadResult>,
  ratioTo: ReadonlyArray<string>
): string => {
  const names = [...new Set(results.flatMap((r) => r.rows.map((row) => row.name)))]
  const header = ["workload", ...names, ...ratioTo.map((n) => `ks ÷ ${n}`), "ks ÷ best peer"]
  const body = results.map((result) => {
    const byName = new Map(result.rows.map((r) => [r.name, r]))
    const ks = primary(result)
    const ok = (r: Row | undefined) => r !== undefined && r.error === undefined && r.samples.length > 0
    const cells = names.map((n) => {
      const r = byName.get(n)
      return r === undefined ? "" : ok(r) ? fmtOps(r.best) : "failed"
    })
    const ratios = ratioTo.map((n) => {
      const r = byName.get(n)
      return ks !== undefined && ok(r) ? fmtRatio(ks.best / r!.best) : "–"
    })
    const peers = result.rows.filter((r) => r.role === "peer" && ok(r))
    const best = peers.reduce<Row | undefined>((a, r) => (a === undefined || r.best > a.best ? r : a), undefined)
    const bestCell = ks !== undefined && best !== undefined ? `${fmtRatio(ks.best / best.best)} (${best.name})` : "–"
    return [result.workload, ...cells, ...ratios, bestCell]
  })
  const cpuBody = results.map((result) => {
    const byName = new Map(result.rows.map((r) => [r.name, r]))
    return [
      result.workload,
      ...names.map((n) => {
        const r = byName.get(n)
        return r === undefined || r.error !== undefined || r.samples.length === 0 ? "" : r.cpuPerOp.toFixed(1)
      })
    ]
  })
  return `\n${title}\n${table(header, body)}\n\nclient CPU µs per command (this process, all threads; lowest round; less is better)\n${
    table(["workload", ...names], cpuBody)
  }`
}

/**
 * Opens a client for a suite, or logs why it could not be opened (within 20 s) and gives
 * `undefined`: the suite then runs without it.
 */
export const openOrLeaveOut = <A, E, R>(name: string, open: Effect.Effect<A, E, R>, log: (line: string) => void) =>
  open.pipe(
    Effect.timeout("20 seconds"),
    Effect.catchCause((cause) =>
      Effect.sync(() => {
        log(`${name} could not be opened, left out: ${describeCause(cause)}`)
        return undefined
      })
    )
  )
