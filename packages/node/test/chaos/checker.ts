/**
 * The chaos run's checker: a model of what the workload did (every INCR, SET and GET, with when it
 * was issued and when and how it ended) and the invariants a correct client keeps under faults that
 * lose no acknowledged write on the server side:
 *
 * - every acknowledged INCR is counted exactly once: a counter's final value is its acknowledged
 *   increments plus at most the increments whose outcome is unknown (`TimeoutError`,
 *   `ConnectionError { written: true }`), and no two acknowledged INCRs returned the same value;
 * - every read returns a value written to that key, not older than a write acknowledged before the
 *   read began (nil only before any acknowledged write), and never the value of a write that
 *   failed for sure;
 * - no command outlives its deadline (`commandTimeout` plus an allowance for the sweeper's period
 *   and a busy event loop); none hangs;
 * - every failure is one typed error of the `ClusterError` family, never a defect, an interruption
 *   or a foreign value.
 *
 * The checker never throws: each breach is counted and a few are kept with their evidence.
 */
import { ClusterError } from "@keyslot/core"
import { Cause, Exit, Option } from "effect"

/** What a worker issued in one call. */
export type OpKind = "incr" | "set" | "get" | "pipeline"

/** The error classes of the family, from the module itself, so classes added later count too. */
const errorClasses: ReadonlyArray<readonly [string, Function]> = Object.entries(ClusterError as Record<string, unknown>)
  .flatMap(([name, value]) => name.endsWith("Error") && typeof value === "function" ? [[name, value] as const] : [])

/** Whether `error` is an instance of a `ClusterError` class whose `_tag` is its class name. */
export const isClusterError = (error: unknown): error is ClusterError.RedisClusterError =>
  typeof error === "object" && error !== null && "_tag" in error &&
  errorClasses.some(([name, Class]) => error instanceof Class && error._tag === name)

/**
 * Errors after which a write may or may not have run: it was on the wire (or its reply could not
 * be read). `ProtocolError` and `ClientClosedError` are not expected here at all; they count as
 * unknown so that they can never make the checker report a false duplicate.
 */
export const isUnknownOutcome = (error: ClusterError.RedisClusterError): boolean =>
  error._tag === "TimeoutError" || error._tag === "ProtocolError" || error._tag === "ClientClosedError" ||
  (error._tag === "ConnectionError" && error.written === true)

/** How one command ended, as the checker sees it. */
export type Outcome =
  | { readonly _tag: "Ok"; readonly value: unknown }
  | { readonly _tag: "Failed"; readonly error: ClusterError.RedisClusterError }
  | { readonly _tag: "Untyped"; readonly detail: string }

/** Classifies an Exit: one typed failure, or anything else (defect, interruption, several causes). */
export const outcomeOf = <A, E>(exit: Exit.Exit<A, E>): Outcome => {
  if (Exit.isSuccess(exit)) return { _tag: "Ok", value: exit.value }
  const reasons = exit.cause.reasons
  const only = reasons.length === 1 ? reasons[0]! : undefined
  if (only !== undefined && Cause.isFailReason(only) && isClusterError(only.error)) return { _tag: "Failed", error: only.error }
  return { _tag: "Untyped", detail: Cause.pretty(exit.cause).split("\n").slice(0, 4).join(" | ") }
}

/** A typed error of a `Result` (pipeline element), or an untyped one. */
export const outcomeOfFailure = (error: unknown): Outcome =>
  isClusterError(error)
    ? { _tag: "Failed", error }
    : { _tag: "Untyped", detail: `pipeline element failed with a non-ClusterError: ${String(error)}` }

/** Breaches are kept as counts plus the first few pieces of evidence. */
export class Breaches {
  readonly counts = new Map<string, number>()
  readonly samples = new Map<string, Array<string>>()
  add(kind: string, evidence: string): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1)
    let list = this.samples.get(kind)
    if (list === undefined) this.samples.set(kind, list = [])
    if (list.length < 5) list.push(evidence)
  }
  get total(): number {
    let n = 0
    for (const c of this.counts.values()) n += c
    return n
  }
}

interface Counter {
  acked: number
  unknown: number
  failed: number
  returned: Array<number>
}

export interface Write {
  readonly value: string
  readonly issuedAt: number
  ackedAt: number | undefined
  status: "pending" | "acked" | "unknown" | "failed"
  failedWith: string | undefined
}

interface Register {
  /** The writes still in the model, by value (`key#n`). */
  readonly writes: Map<string, Write>
  /** The next write's number: every `key#n` below it was issued. */
  next: number
  /** The write acknowledged last (by acknowledgement time). */
  latest: Write | undefined
}

// Acknowledged writes overwritten long ago leave the model (a long run would otherwise keep every
// value ever written): once the write that superseded them was acknowledged this long ago, no
// read still in flight (each ends by its deadline, or is reported hung) may legitimately return them.
const PRUNE_AFTER_MS = 10_000
const PRUNE_EVERY_WRITES = 5_000

/** What a read saw as the newest acknowledged write when it was issued. */
export interface ReadSnapshot {
  readonly key: string
  readonly latest: Write | undefined
}

/** Totals of a phase. */
export interface PhaseStats {
  ops: number
  opsByKind: Record<OpKind, number>
  commands: number
  succeeded: number
  failuresByTag: Map<string, number>
  /** The first failure of each tag, with its command: what a reader of the summary wants to see. */
  failureSamples: Map<string, string>
  unknownIncrsByTag: Map<string, number>
  late: number
  maxMillis: number
  hung: number
  untyped: number
}

const emptyStats = (): PhaseStats => ({
  ops: 0,
  opsByKind: { incr: 0, set: 0, get: 0, pipeline: 0 },
  commands: 0,
  succeeded: 0,
  failuresByTag: new Map(),
  failureSamples: new Map(),
  unknownIncrsByTag: new Map(),
  late: 0,
  maxMillis: 0,
  hung: 0,
  untyped: 0
})

const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1)

/** The counters' verdict. */
export interface CounterVerdict {
  readonly counters: number
  readonly acked: number
  readonly unknown: number
  readonly failed: number
  /** Sum of the final values. */
  readonly final: number
  /** Acknowledged increments missing from the final values. */
  readonly lost: number
  /** Increments beyond acknowledged plus unknown ones. */
  readonly duplicated: number
  /** Unknown increments that did run (final minus acknowledged, where it is within bounds). */
  readonly unknownApplied: number
}

/**
 * The model of one phase. `checkValues: false` (the SIGKILL phase) keeps only the checks that hold
 * even when Redis loses acknowledged writes: typed errors, deadlines, hangs.
 */
export class Checker {
  readonly stats = emptyStats()
  readonly breaches = new Breaches()
  private readonly counters = new Map<string, Counter>()
  private readonly registers = new Map<string, Register>()
  readings = 0

  constructor(
    readonly deadlineMillis: number,
    readonly allowanceMillis: number,
    readonly checkValues: boolean
  ) {}

  private counter(key: string): Counter {
    let c = this.counters.get(key)
    if (c === undefined) this.counters.set(key, c = { acked: 0, unknown: 0, failed: 0, returned: [] })
    return c
  }

  private register(key: string): Register {
    let r = this.registers.get(key)
    if (r === undefined) this.registers.set(key, r = { writes: new Map(), next: 0, latest: undefined })
    return r
  }

  /** One call a worker made (a command or a pipeline), with its duration. */
  recordOp(kind: OpKind, what: string, millis: number, outcome: Outcome): void {
    const s = this.stats
    s.ops++
    s.opsByKind[kind]++
    if (millis > s.maxMillis) s.maxMillis = millis
    if (millis > this.deadlineMillis + this.allowanceMillis) {
      s.late++
      const how = outcome._tag === "Ok" ? "succeeded" : outcome._tag === "Failed" ? `failed with ${outcome.error._tag}` : "died"
      this.breaches.add("late", `${what} ${how} after ${Math.round(millis)} ms (deadline ${this.deadlineMillis} ms + ${this.allowanceMillis} ms allowance)`)
    }
  }

  /** One command's outcome (pipelines report each element). */
  private recordCommand(what: string, outcome: Outcome): void {
    const s = this.stats
    s.commands++
    if (outcome._tag === "Ok") s.succeeded++
    else if (outcome._tag === "Failed") {
      bump(s.failuresByTag, outcome.error._tag)
      if (!s.failureSamples.has(outcome.error._tag)) s.failureSamples.set(outcome.error._tag, `${what}: ${outcome.error.message}`)
    }
    else {
      s.untyped++
      this.breaches.add("untyped", `${what}: ${outcome.detail}`)
    }
  }

  /** A command whose value is not checked (recovery probes): only its type, deadline and tag count. */
  recordProbe(kind: OpKind, what: string, millis: number, outcome: Outcome): void {
    this.recordOp(kind, what, millis, outcome)
    this.recordCommand(what, outcome)
  }

  /** A command still running long past its deadline (reported once by the watchdog). */
  recordHung(what: string, millis: number): void {
    this.stats.hung++
    this.breaches.add("hung", `${what} still running after ${Math.round(millis)} ms (deadline ${this.deadlineMillis} ms)`)
  }

  incr(key: string, outcome: Outcome): void {
    this.recordCommand(`INCR ${key}`, outcome)
    const c = this.counter(key)
    if (outcome._tag === "Ok") {
      if (typeof outcome.value !== "number" || !Number.isInteger(outcome.value)) {
        // A reply that is not an INCR's: the outcome of this INCR is unknown, and the reply
        // belongs to some other command.
        c.unknown++
        this.breaches.add("wrong-reply", `INCR ${key} returned ${JSON.stringify(outcome.value)}`)
        return
      }
      c.acked++
      c.returned.push(outcome.value)
    } else if (outcome._tag === "Failed" && !isUnknownOutcome(outcome.error)) {
      c.failed++
    } else {
      c.unknown++
      bump(this.stats.unknownIncrsByTag, outcome._tag === "Failed" ? outcome.error._tag : "untyped")
    }
  }

  /**
   * A new unique value for `key` (`key#n`), registered before it is sent: it may land even if the
   * call fails.
   */
  beginSet(key: string, at: number): Write {
    const r = this.register(key)
    const write: Write = { value: `${key}#${r.next++}`, issuedAt: at, ackedAt: undefined, status: "pending", failedWith: undefined }
    r.writes.set(write.value, write)
    if (++this.writesSincePrune >= PRUNE_EVERY_WRITES) this.prune(at)
    return write
  }

  private writesSincePrune = 0

  private prune(now: number): void {
    this.writesSincePrune = 0
    for (const r of this.registers.values()) {
      const latest = r.latest
      if (latest === undefined || latest.ackedAt === undefined || latest.ackedAt > now - PRUNE_AFTER_MS) continue
      for (const [value, w] of r.writes) {
        if (w !== latest && w.status === "acked" && w.ackedAt !== undefined && w.ackedAt < latest.issuedAt) r.writes.delete(value)
      }
    }
  }

  endSet(key: string, write: Write, outcome: Outcome, at: number): void {
    this.recordCommand(`SET ${key}`, outcome)
    if (outcome._tag === "Ok") {
      if (!Option.isOption(outcome.value) || !Option.contains(outcome.value, "OK")) {
        write.status = "unknown"
        this.breaches.add("wrong-reply", `SET ${key} ${write.value} returned ${JSON.stringify(outcome.value)}`)
        return
      }
      write.status = "acked"
      write.ackedAt = at
      const r = this.register(key)
      if (r.latest === undefined || (r.latest.ackedAt ?? 0) <= at) r.latest = write
    } else if (outcome._tag === "Failed" && !isUnknownOutcome(outcome.error)) {
      write.status = "failed"
      write.failedWith = outcome.error._tag
    } else {
      write.status = "unknown"
    }
  }

  beginGet(key: string): ReadSnapshot {
    return { key, latest: this.register(key).latest }
  }

  endGet(snapshot: ReadSnapshot, outcome: Outcome): void {
    this.recordCommand(`GET ${snapshot.key}`, outcome)
    if (outcome._tag !== "Ok") return
    if (!Option.isOption(outcome.value)) {
      this.breaches.add("wrong-reply", `GET ${snapshot.key} returned ${JSON.stringify(outcome.value)}`)
      return
    }
    this.checkRead(snapshot, outcome.value as Option.Option<unknown>, "GET")
  }

  /** The read rules, for GETs and for the final values read from the masters. */
  checkRead(snapshot: ReadSnapshot, value: Option.Option<unknown>, how: string): void {
    if (!this.checkValues) return
    this.readings++
    const key = snapshot.key
    const latest = snapshot.latest
    if (Option.isNone(value)) {
      if (latest !== undefined) {
        this.breaches.add("stale-nil", `${how} ${key} returned nil, but SET ${latest.value} was acknowledged before it was issued`)
      }
      return
    }
    const got = value.value
    const register = this.register(key)
    const write = typeof got === "string" ? register.writes.get(got) : undefined
    if (write === undefined) {
      const n = typeof got === "string" && got.startsWith(`${key}#`) ? Number(got.slice(key.length + 1)) : NaN
      if (Number.isInteger(n) && n >= 0 && n < register.next) {
        this.breaches.add("stale-read", `${how} ${key} returned ${got}, acknowledged and overwritten more than ${PRUNE_AFTER_MS / 1000} s before`)
      } else {
        this.breaches.add("foreign-value", `${how} ${key} returned ${JSON.stringify(got)}, never written to this key`)
      }
    } else if (write.status === "failed") {
      this.breaches.add("phantom-write", `${how} ${key} returned ${write.value}, whose SET failed with ${write.failedWith}`)
    } else if (
      latest !== undefined && write !== latest && write.status === "acked" && write.ackedAt !== undefined &&
      write.ackedAt < latest.issuedAt
    ) {
      this.breaches.add("stale-read", `${how} ${key} returned ${write.value}, overwritten by SET ${latest.value} acknowledged before the read was issued`)
    }
  }

  /** The keys written with SET, for the final read. */
  registerKeys(): ReadonlyArray<string> {
    return [...this.registers.keys()]
  }

  counterKeys(): ReadonlyArray<string> {
    return [...this.counters.keys()]
  }

  /** Compares each counter's final value (read from its master) with the model. */
  verifyCounters(finals: ReadonlyMap<string, number>): CounterVerdict {
    let acked = 0
    let unknown = 0
    let failed = 0
    let final = 0
    let lost = 0
    let duplicated = 0
    let unknownApplied = 0
    for (const [key, c] of this.counters) {
      const value = finals.get(key) ?? 0
      acked += c.acked
      unknown += c.unknown
      failed += c.failed
      final += value
      const sorted = [...c.returned].sort((a, b) => a - b)
      const top = sorted[sorted.length - 1] ?? 0
      // Missing: acknowledged increments beyond the final value, or an INCR that returned more
      // than the final value (a loss that unknown increments would otherwise hide).
      const missing = Math.max(c.acked - value, top - value, 0)
      if (missing > 0) {
        lost += missing
        this.breaches.add("lost", `${key}: ${c.acked} INCRs acknowledged (highest reply ${top}), final value ${value} (${c.unknown} unknown, ${c.failed} failed)`)
      } else if (value > c.acked + c.unknown) {
        duplicated += value - c.acked - c.unknown
        this.breaches.add("duplicated", `${key}: final value ${value} > ${c.acked} acknowledged + ${c.unknown} unknown (${c.failed} failed for sure)`)
      } else {
        unknownApplied += value - c.acked
      }
      for (let i = 1; i < sorted.length; i++) {
        if (sorted[i] === sorted[i - 1]) {
          this.breaches.add("duplicate-reply", `${key}: two acknowledged INCRs both returned ${sorted[i]}`)
        }
      }
    }
    return { counters: this.counters.size, acked, unknown, failed, final, lost, duplicated, unknownApplied }
  }
}
