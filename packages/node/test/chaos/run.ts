/**
 * One chaos run, shared by `pnpm chaos` (main.ts) and the CI test (chaos.test.ts):
 *
 * 1. a real 3+3 cluster (`RedisClusterFixture`), a `ChaosProxy` in front of every node, and a
 *    keyslot client reaching the nodes only through the proxies (`hostPortRemap`);
 * 2. the chaos phase: workers (INCR, SET, GET, pipelines) while the seeded schedules of `faults.ts`
 *    inject cluster and proxy faults; then every fault is undone, the workers stop, the proxies
 *    deliver what they held, and the counters and registers are read from their masters directly
 *    (not through keyslot) and checked against the model (`checker.ts`); then the client must serve
 *    every key again within a bound;
 * 3. the SIGKILL phase, on fresh keys: a master is killed under load. Redis may lose acknowledged
 *    writes there, so only hangs, typed errors, deadlines and recovery are checked.
 */
import { RedisCluster, Slot } from "@keyslot/core"
import { NodeRedisCluster } from "@keyslot/node"
import { ChaosProxy, RedisClusterFixture } from "@keyslot/test-utils"
import { Cause, Context, Effect, Exit, Fiber, Layer, Option, Result } from "effect"
import { Checker, type CounterVerdict, outcomeOf, type PhaseStats } from "./checker.js"
import { clusterFaults, FaultLog, proxyFaults, type StopSignal } from "./faults.js"
import * as Prng from "./prng.js"
import * as Workload from "./workload.js"

/** What to run. */
export interface ChaosOptions {
  readonly seed: number
  /** Length of the chaos phase. */
  readonly chaosMillis: number
  /** Default 6. */
  readonly workers?: number | undefined
  /** The client's `commandTimeout`, default 2000 ms. */
  readonly commandTimeoutMillis?: number | undefined
  /**
   * How far past its deadline a call may end before it counts as late (default 750 ms): the
   * connection sweeps its deadlines every tenth of the timeout, and two cores shared by six
   * `redis-server`s, the proxies and the client can stall the event loop for a moment.
   */
  readonly allowanceMillis?: number | undefined
  /** The cluster's `cluster-node-timeout`, default 2000 ms; pauses stay under 60% of it. */
  readonly nodeTimeoutMillis?: number | undefined
  /** Run the SIGKILL phase (default true). */
  readonly killPhase?: boolean | undefined
  /** Progress lines (faults, periodic totals). */
  readonly log?: ((line: string) => void) | undefined
}

/** A phase's figures. */
export interface PhaseReport {
  readonly ops: number
  readonly opsByKind: PhaseStats["opsByKind"]
  readonly commands: number
  readonly succeeded: number
  readonly failuresByTag: Readonly<Record<string, number>>
  /** The first failure of each tag. */
  readonly failureSamples: ReadonlyArray<string>
  readonly unknownIncrsByTag: Readonly<Record<string, number>>
  readonly late: number
  readonly hung: number
  readonly untyped: number
  readonly maxMillis: number
}

/** The SIGKILL phase's figures. */
export interface KillReport extends PhaseReport {
  readonly victimPort: number
  /** From the kill to the cluster healthy again (replica promoted). */
  readonly promotedMillis: number | undefined
  /** From the kill to every key of the victim's slots answered by the client; `undefined`: not within the bound. */
  readonly recoveredMillis: number | undefined
}

/** A run's result. */
export interface ChaosReport {
  readonly seed: number
  readonly chaosMillis: number
  readonly totalMillis: number
  readonly workers: number
  readonly commandTimeoutMillis: number
  readonly allowanceMillis: number
  readonly chaos: PhaseReport
  readonly counters: CounterVerdict
  /** Reads checked against the model (GETs and the final values). */
  readonly readsChecked: number
  /** After the chaos phase, from faults cleared to every key answered; `undefined`: not within the bound. */
  readonly recoveredMillis: number | undefined
  readonly kill: KillReport | undefined
  readonly faults: Readonly<Record<string, number>>
  /** Fixture operations that failed (the run did less than planned; not the client's fault). */
  readonly harnessErrors: ReadonlyArray<string>
  /** Every breach by kind (`chaos:lost`, `kill:untyped`...), with up to 5 pieces of evidence each. */
  readonly breaches: ReadonlyArray<{ readonly kind: string; readonly count: number; readonly samples: ReadonlyArray<string> }>
  /** Figures a correct client must keep at zero. */
  readonly hung: number
  readonly lost: number
  readonly duplicated: number
  readonly ok: boolean
}

const RECOVERY_BOUND_MS = 20_000
const KILL_RECOVERY_BOUND_MS = 30_000

const record = (map: ReadonlyMap<string, number>): Record<string, number> =>
  Object.fromEntries([...map].sort((a, b) => b[1] - a[1]))

const phaseReport = (s: PhaseStats): PhaseReport => ({
  ops: s.ops,
  opsByKind: { ...s.opsByKind },
  commands: s.commands,
  succeeded: s.succeeded,
  failuresByTag: record(s.failuresByTag),
  failureSamples: [...s.failureSamples.values()],
  unknownIncrsByTag: record(s.unknownIncrsByTag),
  late: s.late,
  hung: s.hung,
  untyped: s.untyped,
  maxMillis: Math.round(s.maxMillis)
})

/** Polls `check` every 50 ms until it holds; `false` after `timeoutMs`. */
const waitUntil = <E>(check: Effect.Effect<boolean, E>, timeoutMs: number) =>
  Effect.gen(function*() {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      if (yield* check) return true
      if (performance.now() > deadline) return false
      yield* Effect.sleep("50 millis")
    }
  })

/** Waits until the workload completed `n` more commands successfully; `false` after `timeoutMs`. */
const moreSuccesses = (workload: Workload.Workload, n: number, timeoutMs: number) => {
  const base = workload.successes()
  return waitUntil(Effect.sync(() => workload.successes() - base >= n), timeoutMs)
}

/**
 * Until every key answers a GET through the client (each probe recorded as an op), or the bound
 * passes: the time it took, or `undefined`.
 */
const recovery = (redis: RedisCluster.RedisClusterService, checker: Checker, keys: ReadonlyArray<string>, since: number, boundMs: number) =>
  Effect.gen(function*() {
    // Each key still failing, with its last failure: the evidence when the bound passes.
    const pending = new Map(keys.map((key) => [key, "not tried"]))
    while (pending.size > 0 && performance.now() - since < boundMs) {
      yield* Effect.forEach([...pending.keys()], (key) =>
        Effect.gen(function*() {
          const startedAt = performance.now()
          const outcome = outcomeOf(yield* Effect.exit(redis.get(key)))
          checker.recordProbe("get", `recovery GET ${key}`, performance.now() - startedAt, outcome)
          if (outcome._tag === "Ok") pending.delete(key)
          else pending.set(key, outcome._tag === "Failed" ? outcome.error.message : outcome.detail)
        }), { concurrency: 8, discard: true })
      if (pending.size > 0) yield* Effect.sleep("100 millis")
    }
    return pending.size === 0
      ? { millis: performance.now() - since, failing: [] }
      : { millis: undefined, failing: [...pending].map(([key, why]) => `GET ${key}: ${why}`) }
  })

/** Runs the whole thing in its own scope: the cluster, the proxies and the client are gone after. */
export const run = (options: ChaosOptions) =>
  Effect.scoped(Effect.gen(function*() {
    const log = options.log ?? (() => {})
    const startedAt = performance.now()
    const workers = options.workers ?? 6
    const commandTimeoutMillis = options.commandTimeoutMillis ?? 2_000
    const allowanceMillis = options.allowanceMillis ?? 750
    const nodeTimeout = options.nodeTimeoutMillis ?? 2_000
    const hangAfterMillis = commandTimeoutMillis + allowanceMillis + 5_000
    const graceMillis = hangAfterMillis + 1_000

    const fixture = yield* RedisClusterFixture.make({ masters: 3, replicasPerMaster: 1, nodeTimeout, healthyTimeout: 30_000 })
    const proxied = yield* ChaosProxy.forNodes((yield* fixture.nodes).map((n) => ({ host: n.host, port: n.port })))
    const redis = yield* Effect.map(
      Layer.build(NodeRedisCluster.layer({
        startupNodes: proxied.startupNodes,
        hostPortRemap: proxied.hostPortRemap,
        commandTimeout: commandTimeoutMillis
      })),
      (context) => Context.get(context, RedisCluster.RedisCluster)
    )
    log(`seed ${options.seed}: 3+3 cluster, ${proxied.proxies.length} proxies, client up in ${Math.round(performance.now() - startedAt)} ms; ` +
      `${workers} workers, commandTimeout ${commandTimeoutMillis} ms (+${allowanceMillis} ms allowance), node timeout ${nodeTimeout} ms`)
    const faultLog = new FaultLog(log, performance.now())

    // --- chaos phase ---------------------------------------------------------------------------
    const checker = new Checker(commandTimeoutMillis, allowanceMillis, true)
    const keys = Workload.keyspace("chaos", 40, 40)
    const workload = yield* Workload.start({ redis, checker, keys, workers, seed: options.seed, phase: "chaos", hangAfterMillis })
    if (!(yield* moreSuccesses(workload, 200, 20_000))) faultLog.harness("warm-up", "no 200 successful commands within 20 s")
    const stop: StopSignal = { stopped: false }
    const faultsStartedAt = performance.now()
    const cluster = yield* Effect.forkScoped(clusterFaults({
      fixture,
      rng: Prng.make(options.seed, "cluster-faults"),
      keys: [...keys.counters, ...keys.registers],
      log: faultLog,
      stop,
      pauseMaxMillis: Math.floor(nodeTimeout * 0.6)
    }))
    const proxies = yield* Effect.forkScoped(proxyFaults({ fixture, proxied, rng: Prng.make(options.seed, "proxy-faults"), log: faultLog, stop }))
    const ticker = yield* Effect.forkScoped(Effect.forever(Effect.andThen(
      Effect.sleep("10 seconds"),
      Effect.sync(() => {
        const s = checker.stats
        log(`[${((performance.now() - faultsStartedAt) / 1000).toFixed(1).padStart(6)} s] progress          ${s.ops} ops, ${s.succeeded}/${s.commands} commands ok, ${s.late} late, ${s.hung} hung, ${s.untyped} untyped`)
      })
    )))
    yield* Effect.sleep(`${options.chaosMillis} millis`)
    stop.stopped = true
    // A fault in progress finishes (and undoes itself) first; none takes more than ~40 s.
    for (const [name, fiber] of [["cluster faults", cluster], ["proxy faults", proxies]] as const) {
      const done = yield* Effect.timeoutOption(Fiber.await(fiber), "60 seconds")
      if (Option.isSome(done) && Exit.isFailure(done.value)) faultLog.harness(name, Cause.pretty(done.value.cause))
      if (Option.isNone(done)) {
        faultLog.harness(name, "did not stop within 60 s")
        yield* Fiber.interrupt(fiber)
      }
    }
    yield* Fiber.interrupt(ticker)
    yield* proxied.clearAll
    yield* workload.stop(graceMillis)
    const chaosEndedAt = performance.now()
    if (!(yield* waitUntil(Effect.map(proxied.queuedBytes, (n) => n === 0), 10_000))) {
      faultLog.harness("quiesce", "the proxies still held bytes 10 s after every fault was cleared")
    }
    yield* Effect.catch(fixture.waitHealthy(30_000), (error) => Effect.sync(() => faultLog.harness("quiesce: waitHealthy", error)))

    // Final values, from each key's master, not through keyslot.
    const masters = yield* fixture.masters
    const ownerPort = (key: string) => {
      const slot = Slot.slot(key)
      return masters.find((m) => m.slots.some(([a, b]) => a <= slot && slot <= b))?.port
    }
    const readRaw = (key: string) =>
      Effect.gen(function*() {
        const port = ownerPort(key)
        if (port === undefined) return yield* Effect.fail(new Error(`no master owns ${key}`))
        return yield* fixture.command(port, "GET", key)
      })
    const finals = new Map<string, number>()
    for (const key of checker.counterKeys()) {
      const reply = yield* readRaw(key)
      finals.set(key, reply === null ? 0 : Number(reply))
    }
    const counters = checker.verifyCounters(finals)
    for (const key of checker.registerKeys()) {
      const reply = yield* readRaw(key)
      checker.checkRead(checker.beginGet(key), typeof reply === "string" ? Option.some(reply) : Option.none(), "final value of")
    }
    const recovered = yield* recovery(redis, checker, [...keys.counters, ...keys.registers], chaosEndedAt, RECOVERY_BOUND_MS)
    const recoveredMillis = recovered.millis
    log(`chaos phase done: ${checker.stats.ops} ops; counters: ${counters.acked} acknowledged, ${counters.unknown} unknown, final ${counters.final}; ` +
      `recovered ${recoveredMillis === undefined ? `NOT within ${RECOVERY_BOUND_MS} ms` : `in ${Math.round(recoveredMillis)} ms`}`)

    // --- SIGKILL phase -------------------------------------------------------------------------
    let kill: KillReport | undefined = undefined
    let killChecker: Checker | undefined = undefined
    let killFailing: ReadonlyArray<string> = []
    if (options.killPhase !== false) {
      const kc = new Checker(commandTimeoutMillis, allowanceMillis, false)
      killChecker = kc
      const killKeys = Workload.keyspace("kill", 40, 40)
      const killLoad = yield* Workload.start({ redis, checker: kc, keys: killKeys, workers, seed: options.seed, phase: "kill", hangAfterMillis })
      if (!(yield* moreSuccesses(killLoad, 200, 20_000))) faultLog.harness("kill warm-up", "no 200 successful commands within 20 s")
      const rng = Prng.make(options.seed, "kill")
      const victim = rng.pick(yield* fixture.masters)
      const owned = (key: string) => {
        const slot = Slot.slot(key)
        return victim.slots.some(([a, b]) => a <= slot && slot <= b)
      }
      const victimKeys = [...killKeys.counters, ...killKeys.registers].filter(owned)
      const killedAt = performance.now()
      faultLog.record("master-kill", `SIGKILL master ${victim.port} (${victimKeys.length} of the phase's keys on it)`)
      yield* fixture.killNode(victim.port)
      const promoted = yield* Effect.result(fixture.waitHealthy(30_000))
      const promotedMillis = Result.isSuccess(promoted) ? performance.now() - killedAt : undefined
      if (Result.isFailure(promoted)) faultLog.harness("kill: waitHealthy", promoted.failure)
      const killRecovery = yield* recovery(redis, kc, victimKeys, killedAt, KILL_RECOVERY_BOUND_MS)
      const recovered = killRecovery.millis
      killFailing = killRecovery.failing
      if (!(yield* moreSuccesses(killLoad, 200, 20_000))) faultLog.harness("kill", "no 200 successful commands within 20 s after the promotion")
      yield* killLoad.stop(graceMillis)
      log(`SIGKILL phase done: promoted in ${promotedMillis === undefined ? "?" : Math.round(promotedMillis)} ms, ` +
        `recovered ${recovered === undefined ? `NOT within ${KILL_RECOVERY_BOUND_MS} ms` : `in ${Math.round(recovered)} ms`}`)
      // The killed master comes back as a replica (not waited for by the checks, but it must rejoin).
      yield* Effect.catch(fixture.restartNode(victim.port), (error) => Effect.sync(() => faultLog.harness("kill: restart", error)))
      kill = { ...phaseReport(kc.stats), victimPort: victim.port, promotedMillis, recoveredMillis: recovered }
    }

    const breaches = [
      ...[...checker.breaches.counts].map(([kind, count]) => ({ kind: `chaos:${kind}`, count, samples: checker.breaches.samples.get(kind) ?? [] })),
      ...(killChecker === undefined ? [] : [...killChecker.breaches.counts].map(([kind, count]) => ({
        kind: `kill:${kind}`,
        count,
        samples: killChecker!.breaches.samples.get(kind) ?? []
      })))
    ]
    if (recoveredMillis === undefined) {
      breaches.push({
        kind: "chaos:not-recovered",
        count: recovered.failing.length,
        samples: [`${recovered.failing.length} keys still failed ${RECOVERY_BOUND_MS} ms after every fault was cleared`, ...recovered.failing.slice(0, 4)]
      })
    }
    if (kill !== undefined && kill.recoveredMillis === undefined) {
      breaches.push({
        kind: "kill:not-recovered",
        count: killFailing.length,
        samples: [`${killFailing.length} keys of master ${kill.victimPort} still failed ${KILL_RECOVERY_BOUND_MS} ms after its SIGKILL`, ...killFailing.slice(0, 4)]
      })
    }
    const hung = checker.stats.hung + (kill?.hung ?? 0)
    const report: ChaosReport = {
      seed: options.seed,
      chaosMillis: options.chaosMillis,
      totalMillis: Math.round(performance.now() - startedAt),
      workers,
      commandTimeoutMillis,
      allowanceMillis,
      chaos: phaseReport(checker.stats),
      counters,
      readsChecked: checker.readings,
      recoveredMillis: recoveredMillis === undefined ? undefined : Math.round(recoveredMillis),
      kill,
      faults: record(faultLog.counts),
      harnessErrors: faultLog.harnessErrors,
      breaches,
      hung,
      lost: counters.lost,
      duplicated: counters.duplicated,
      ok: breaches.length === 0
    }
    return report
  }))

const table = (entries: Readonly<Record<string, number>>): string => {
  const parts = Object.entries(entries).map(([k, v]) => `${k} ${v}`)
  return parts.length === 0 ? "none" : parts.join(", ")
}

/** The run's summary, as printed. */
export const format = (r: ChaosReport): string => {
  const c = r.chaos
  const lines = [
    `=== chaos run, seed ${r.seed}: ${(r.chaosMillis / 1000).toFixed(0)} s of chaos, ${(r.totalMillis / 1000).toFixed(1)} s in all; ` +
    `${r.workers} workers, commandTimeout ${r.commandTimeoutMillis} ms (+${r.allowanceMillis} ms allowance) ===`,
    `operations:      ${c.ops} (incr ${c.opsByKind.incr}, set ${c.opsByKind.set}, get ${c.opsByKind.get}, pipeline ${c.opsByKind.pipeline}); ` +
    `${c.commands} commands, ${c.succeeded} succeeded`,
    `faults:          ${table(r.faults)}`,
    `failures by tag: ${table(c.failuresByTag)}`,
    ...c.failureSamples.map((sample) => `  e.g. ${sample}`),
    `INCR counters:   ${r.counters.counters} keys, ${r.counters.acked} acknowledged, ${r.counters.unknown} unknown outcome (${table(c.unknownIncrsByTag)}) ` +
    `of which ${r.counters.unknownApplied} ran, ${r.counters.failed} failed for sure; final sum ${r.counters.final}`,
    `reads checked:   ${r.readsChecked}`,
    `deadlines:       slowest call ${c.maxMillis} ms, late ${c.late}`,
    `recovery:        ${r.recoveredMillis === undefined ? "NOT RECOVERED" : `every key served ${r.recoveredMillis} ms after the faults were cleared`}`
  ]
  if (r.kill !== undefined) {
    const k = r.kill
    lines.push(
      `SIGKILL phase:   master ${k.victimPort}; promoted after ${k.promotedMillis === undefined ? "?" : Math.round(k.promotedMillis)} ms, ` +
        `its keys served again after ${k.recoveredMillis === undefined ? "NEVER (bound passed)" : `${Math.round(k.recoveredMillis)} ms`}; ` +
        `${k.ops} ops, failures ${table(k.failuresByTag)}; slowest ${k.maxMillis} ms, late ${k.late}, hung ${k.hung}, untyped ${k.untyped}`
    )
  }
  lines.push(`untyped:         ${c.untyped + (r.kill?.untyped ?? 0)}`)
  lines.push(`hung ${r.hung}, lost ${r.lost}, duplicated ${r.duplicated}`)
  if (r.harnessErrors.length > 0) lines.push(`harness errors (fixture, not keyslot): ${r.harnessErrors.join("; ")}`)
  if (r.breaches.length === 0) {
    lines.push("verdict:         OK, no breach")
  } else {
    lines.push(`verdict:         ${r.breaches.reduce((n, b) => n + b.count, 0)} BREACHES`)
    for (const b of r.breaches) {
      lines.push(`  ${b.kind}: ${b.count}`)
      for (const s of b.samples) lines.push(`    - ${s}`)
    }
  }
  return lines.join("\n")
}
