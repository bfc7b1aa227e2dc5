/**
 * The chaos run's fault schedules, each drawn from its own seeded stream:
 *
 * - cluster faults, one at a time (each waits for the cluster to be healthy before the next):
 *   manual failover, slot migration (held half-moved for a while, with its keys already moved, so
 *   clients see ASK), SIGSTOP/SIGCONT of a node, and a replica SIGKILLed then restarted;
 * - proxy faults, one at a time, concurrently with the cluster faults: latency, bandwidth,
 *   blackhole, reset, half-open, each on one node's proxy for a while, then cleared.
 *
 * None of these loses an acknowledged write on the server side: a manual failover waits for the
 * replica to catch up, MIGRATE moves keys atomically, a pause stays shorter than the cluster's node
 * timeout (longer, a paused master would be failed over and, once resumed, could still acknowledge
 * writes it had buffered before learning it was demoted), and the proxies never touch replication
 * or the cluster bus. So every breach the checker finds during these faults is the client's.
 *
 * Every fault undoes itself on every exit path (`ensuring`): a node is never left paused or dead,
 * a proxy never left faulty.
 */
import { Slot } from "@keyslot/core"
import { ChaosProxy } from "@keyslot/test-utils"
import type { RedisClusterFixture } from "@keyslot/test-utils"
import { Effect, Option } from "effect"
import type * as Prng from "./prng.js"

/** What the schedules did. */
export class FaultLog {
  readonly counts = new Map<string, number>()
  readonly harnessErrors: Array<string> = []
  constructor(readonly log: (line: string) => void, readonly startedAt: number) {}
  record(kind: string, detail: string): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1)
    this.log(`[${((performance.now() - this.startedAt) / 1000).toFixed(1).padStart(6)} s] ${kind.padEnd(16)} ${detail}`)
  }
  /** A fixture operation failed: not the client's fault, but the run did less than planned. */
  harness(what: string, error: unknown): void {
    const message = typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error)
    this.harnessErrors.push(`${what}: ${message}`)
    this.log(`harness error: ${what}: ${message}`)
  }
}

/** A stop flag the schedules check between faults. */
export interface StopSignal {
  stopped: boolean
}

/** Sleeps `ms` in short steps, returning early once stopped (so stopping never waits a whole gap). */
const gap = (ms: number, stop: StopSignal) =>
  Effect.gen(function*() {
    const until = performance.now() + ms
    while (!stop.stopped && performance.now() < until) yield* Effect.sleep(`${Math.min(100, Math.max(1, until - performance.now()))} millis`)
  })

/** `millis` of real time, for the length of a fault (not a wait for a condition). */
const hold = (millis: number) => Effect.sleep(`${millis} millis`)

/**
 * Runs cluster faults until stopped. `pauseMaxMillis` must stay under the cluster's node timeout
 * (see the module documentation).
 */
export const clusterFaults = (options: {
  readonly fixture: RedisClusterFixture.ClusterFixture
  readonly rng: Prng.Rng
  readonly keys: ReadonlyArray<string>
  readonly log: FaultLog
  readonly stop: StopSignal
  readonly pauseMaxMillis: number
}) =>
  Effect.gen(function*() {
    const { fixture, log, rng, stop } = options

    const failover = Effect.gen(function*() {
      const masters = yield* fixture.masters
      const master = rng.pick(masters)
      const replicas = yield* fixture.replicasOf(master.port)
      if (replicas.length === 0) return
      const replica = rng.pick(replicas)
      log.record("failover", `replica ${replica.port} takes over from master ${master.port}`)
      yield* fixture.failover(replica.port)
    })

    const migration = Effect.gen(function*() {
      const key = rng.pick(options.keys)
      const slot = Slot.slot(key)
      const owner = yield* fixture.masterOf(slot)
      const others = (yield* fixture.masters).filter((m) => m.port !== owner.port)
      if (others.length === 0) return
      const target = rng.pick(others)
      const keysHere = options.keys.filter((k) => Slot.slot(k) === slot)
      const heldFor = rng.int(0, 1500)
      log.record("migration", `slot ${slot} (${keysHere.join(", ")}) from ${owner.port} to ${target.port}, held half-moved ${heldFor} ms`)
      yield* fixture.beginMigration(slot, target.port)
      yield* Effect.gen(function*() {
        // The keys move first, so for the rest of the hold the old owner answers ASK for them.
        yield* fixture.migrateKeys(slot, keysHere)
        yield* hold(heldFor)
      }).pipe(Effect.ensuring(Effect.ignore(fixture.finishMigration(slot))))
    })

    const pause = Effect.gen(function*() {
      const nodes = (yield* fixture.nodes).filter((n) => n.alive && !n.paused)
      const node = rng.pick(nodes)
      const millis = rng.int(150, options.pauseMaxMillis)
      log.record("pause", `SIGSTOP ${node.role} ${node.port} for ${millis} ms`)
      yield* fixture.pauseNode(node.port)
      yield* hold(millis).pipe(Effect.ensuring(Effect.ignore(fixture.resumeNode(node.port))))
      yield* fixture.waitHealthy()
    })

    const replicaRestart = Effect.gen(function*() {
      const replicas = yield* fixture.replicas
      if (replicas.length === 0) return
      const replica = rng.pick(replicas)
      const millis = rng.int(200, 1500)
      log.record("replica-restart", `SIGKILL replica ${replica.port}, restarted after ${millis} ms`)
      yield* fixture.killNode(replica.port)
      yield* hold(millis).pipe(Effect.ensuring(Effect.ignore(fixture.restartNode(replica.port))))
    })

    const faults = { failover, migration, pause, replicaRestart } as const
    while (!stop.stopped) {
      yield* gap(rng.int(500, 3000), stop)
      if (stop.stopped) break
      const kind = rng.weighted({ failover: 1, migration: 1, pause: 1, replicaRestart: 1 })
      yield* faults[kind].pipe(Effect.catch((error) =>
        Effect.andThen(
          Effect.sync(() => log.harness(kind, error)),
          Effect.ignore(fixture.waitHealthy(30_000))
        )
      ))
    }
  })

/** Runs proxy faults until stopped. */
export const proxyFaults = (options: {
  readonly fixture: RedisClusterFixture.ClusterFixture
  readonly proxied: ChaosProxy.ProxiedCluster
  readonly rng: Prng.Rng
  readonly log: FaultLog
  readonly stop: StopSignal
}) =>
  Effect.gen(function*() {
    const { fixture, log, rng, stop } = options
    while (!stop.stopped) {
      yield* gap(rng.int(300, 2500), stop)
      if (stop.stopped) break
      const nodes = yield* Effect.orElseSucceed(fixture.nodes, () => [])
      // Masters twice as often: they carry the workload.
      const weighted = nodes.flatMap((n) => n.role === "master" ? [n, n] : [n])
      if (weighted.length === 0) continue
      const node = rng.pick(weighted)
      const proxy = Option.getOrUndefined(options.proxied.proxyFor(node.port))
      if (proxy === undefined) continue
      const kind = rng.weighted({ latency: 20, bandwidth: 15, blackhole: 20, reset: 25, halfOpen: 20 })
      let fault: ChaosProxy.Fault
      let millis: number
      let detail: string
      switch (kind) {
        case "latency": {
          const up = rng.int(5, 300)
          const down = rng.int(5, 300)
          fault = ChaosProxy.latency({ upstream: up, downstream: down })
          millis = rng.int(500, 4000)
          detail = `+${up} ms up, +${down} ms down`
          break
        }
        case "bandwidth": {
          const rate = rng.pick([2_000, 8_000, 32_000, 128_000])
          fault = ChaosProxy.bandwidth(rate)
          millis = rng.int(500, 3000)
          detail = `${rate} B/s`
          break
        }
        case "blackhole":
          fault = ChaosProxy.blackhole
          // Shorter and longer than the client's 2 s deadline: held commands either complete late
          // or time out, and their replies then arrive after the client gave up on them.
          millis = rng.int(200, 4500)
          detail = "partition"
          break
        case "reset":
          fault = ChaosProxy.reset
          millis = rng.int(0, 800)
          detail = "RST open and new connections"
          break
        case "halfOpen":
          fault = ChaosProxy.halfOpen
          millis = rng.int(0, 300)
          detail = "cut the node's side of open and new connections"
          break
      }
      log.record(`proxy-${kind}`, `${node.role} ${node.port}: ${detail} for ${millis} ms`)
      yield* proxy.inject(fault).pipe(
        Effect.andThen(hold(millis)),
        Effect.ensuring(proxy.clear(fault._tag)),
        Effect.catch((error) => Effect.sync(() => log.harness(`proxy-${kind}`, error)))
      )
    }
  })
