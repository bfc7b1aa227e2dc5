/**
 * The shared state of a client's pub/sub: every stream, every server-side subscription and every
 * subscriber connection, and what happens to them when a connection confirms, loses or refuses a
 * subscription. Connections report here synchronously from their data handlers; the hub only
 * records and wakes the coordinator, which does everything that takes time.
 *
 * @internal
 */
import { Duration, Effect, Metric } from "effect"
import type { Context, PubSub as EffectPubSub } from "effect"
import * as Deadline from "../deadline.js"
import type * as ClusterError from "../../ClusterError.js"
import type { Kind, metrics as PubSubMetricsValue, OverflowStrategy, PubSubOptions, SubscriptionEvent } from "../../PubSub.js"
import type { NodePicker } from "../../Router.js"
import { recoveryOf } from "../engine/recovery.js"
import type { TopologyEngine } from "../engine/topology.js"
import { PREFIX, SUBSCRIBE } from "./commands.js"
import { Entry } from "./listener.js"
import type { Listener } from "./listener.js"
import type { Session } from "./session.js"

type Err = ClusterError.RedisClusterError

/** Wait before subscribing again after a transient refusal: doubling from 50 ms, at most 1 s. */
const backoff = (attempts: number): number => Math.min(1000, 50 * 2 ** Math.min(5, attempts - 1))

/** After MOVED the map names the owner: the first two tries go at once, then back off from 25 ms. */
const movedRetryAt = (now: number, attempts: number): number => attempts <= 2 ? 0 : now + Math.min(1000, 25 * 2 ** (attempts - 3))

/**
 * The counters the hub records, as `PubSub.metrics` defines them.
 *
 * @since 0.1.0
 * @category metrics
 */
export type PubSubMetrics = typeof PubSubMetricsValue

/**
 * A duration option in milliseconds, `fallback` when it is not set: the options take any
 * `Duration.Input`, the engine compares epoch milliseconds.
 *
 * @since 0.1.0
 * @category utils
 */
export const millis = (d: Duration.Input | undefined, fallback: number): number =>
  d === undefined ? fallback : Duration.toMillis(Duration.fromInputUnsafe(d))

/**
 * A note for the coordinator to publish as an event and a debug log: recorded in the data handler,
 * published later in groups, one event per run of notes alike but for the name.
 *
 * @since 0.1.0
 * @category models
 */
export interface Note {
  readonly tag: SubscriptionEvent["_tag"]
  readonly kind: Kind
  readonly name: string
  readonly node: string
  readonly reason?: string | undefined
  readonly resubscribed?: boolean | undefined
  readonly gapMillis?: number | undefined
  readonly error?: Err | undefined
}

/**
 * A node whose subscriber connection failed: avoided until `until`, longer after each failure in a
 * row, so a dead node is not dialled again and again.
 *
 * @since 0.1.0
 * @category models
 */
export interface Bad {
  failures: number
  until: number
}

/**
 * The machinery's state: entries, streams and sessions, which the coordinator places entries on.
 * One object per client, so that the data handlers can update it synchronously and leave the slow
 * work (connecting, refreshing the topology) to the coordinator.
 *
 * @since 0.1.0
 * @category models
 */
export class Hub {
  readonly entries = new Map<string, Entry>()
  readonly listeners = new Set<Listener>()
  readonly shardSessions = new Map<string, Session>()
  readonly bad = new Map<string, Bad>()
  classic: Session | undefined = undefined
  notes: Array<Note> = []
  dirty = true
  refreshWanted = false
  lastRefreshRequest = -Infinity
  closed = false
  private signal: (() => void) | undefined = undefined
  readonly picker: NodePicker
  readonly droppedMetrics = new Map<string, Metric.Counter<number>>()
  readonly gapMetrics: Record<Kind, Metric.Counter<number>>
  readonly resubscribeMetrics: Record<Kind, Metric.Counter<number>>

  constructor(
    readonly topology: TopologyEngine,
    readonly options: PubSubOptions,
    readonly events: EffectPubSub.PubSub<SubscriptionEvent>,
    readonly resubscribeTimeout: number,
    /** `PubSub.metrics`, passed in so that the engine does not import the public module back. */
    readonly metrics: PubSubMetrics,
    /** Where the pub/sub metrics are recorded (the client's metric registry). */
    readonly context: Context.Context<never>
  ) {
    this.picker = options.picker
    const byKind = (m: Metric.Counter<number>): Record<Kind, Metric.Counter<number>> => ({
      channel: Metric.withAttributes(m, { kind: "channel" }),
      pattern: Metric.withAttributes(m, { kind: "pattern" }),
      shard: Metric.withAttributes(m, { kind: "shard" })
    })
    this.gapMetrics = byKind(metrics.gaps)
    this.resubscribeMetrics = byKind(metrics.resubscriptions)
  }

  droppedMetric(kind: Kind, strategy: OverflowStrategy): Metric.Counter<number> {
    const key = `${kind}/${strategy}`
    let m = this.droppedMetrics.get(key)
    if (m === undefined) {
      m = Metric.withAttributes(this.metrics.dropped, { kind, strategy })
      this.droppedMetrics.set(key, m)
    }
    return m
  }

  /** Asks the coordinator for a pass. */
  wake(): void {
    this.dirty = true
    this.poke()
  }

  /** Lets the coordinator publish notes. */
  poke(): void {
    const signal = this.signal
    if (signal !== undefined) {
      this.signal = undefined
      signal()
    }
  }

  /** Waits for `wake`/`poke` or until `deadline` (epoch millis; 0 = none). */
  waitSignal(deadline: number): Effect.Effect<void> {
    return Effect.callback<void>((resume) => {
      if (this.dirty || this.notes.length > 0) return resume(Effect.void)
      let timer: ReturnType<typeof setTimeout> | undefined
      if (deadline > 0) {
        timer = setTimeout(() => {
          this.signal = undefined
          this.dirty = true
          resume(Effect.void)
        }, Math.max(0, deadline - Deadline.now()))
      }
      this.signal = () => {
        if (timer !== undefined) clearTimeout(timer)
        // Resuming runs the coordinator at once (Effect 4); `wake` is called from data handlers
        // and from the middle of the hub's own bookkeeping, so the pass starts on a microtask.
        queueMicrotask(() => resume(Effect.void))
      }
      return Effect.sync(() => {
        if (timer !== undefined) clearTimeout(timer)
        this.signal = undefined
      })
    })
  }

  note(note: Note): void {
    this.notes.push(note)
    this.poke()
  }

  // -- listeners ------------------------------------------------------------------------------

  addListener(listener: Listener): void {
    const now = Deadline.now()
    const entries: Array<Entry> = []
    for (const name of listener.names) {
      const key = PREFIX[listener.kind] + name
      let entry = this.entries.get(key)
      if (entry === undefined) {
        entry = new Entry(listener.kind, name, now)
        this.entries.set(key, entry)
      }
      entry.listeners.add(listener)
      entries.push(entry)
    }
    listener.entries = entries
    this.listeners.add(listener)
    for (const entry of entries) if (entry.confirmed) listener.entryConfirmed(entry)
    this.wake()
  }

  removeListener(listener: Listener): void {
    if (!this.listeners.delete(listener)) return
    listener.closed = true
    for (const entry of listener.entries) entry.listeners.delete(listener)
    listener.inbox.end()
    this.wake()
  }

  failListener(listener: Listener, error: Err): void {
    if (listener.closed) return
    listener.failure = error
    listener.inbox.fail(error)
    const waiter = listener.waiter
    listener.waiter = undefined
    if (waiter !== undefined) queueMicrotask(() => waiter(Effect.fail(error)))
    this.removeListener(listener)
  }

  failEntry(entry: Entry, error: Err): void {
    this.note({ tag: "Failed", kind: entry.kind, name: entry.name, node: entry.session?.address ?? "", error })
    for (const l of Array.from(entry.listeners)) this.failListener(l, error)
  }

  // -- what sessions report (synchronously) --------------------------------------------------

  confirmed(entry: Entry, session: Session): void {
    const now = Deadline.now()
    entry.confirmed = true
    entry.attempts = 0
    entry.lastError = undefined
    this.bad.delete(session.address)
    const gap = entry.lostAt === undefined ? 0 : now - entry.lostAt
    const resubscribed = entry.everConfirmed
    if (resubscribed) {
      entry.resubscriptions++
      this.resubscribeMetrics[entry.kind].updateUnsafe(1, this.context)
    }
    entry.everConfirmed = true
    entry.lostAt = undefined
    this.note({ tag: "Subscribed", kind: entry.kind, name: entry.name, node: session.address, resubscribed, gapMillis: gap })
    for (const l of entry.listeners) l.entryConfirmed(entry)
  }

  /** The entry no longer has a subscription on `session` (already taken off its map). */
  lost(entry: Entry, session: Session, reason: string, error: Err | undefined, refresh: boolean): void {
    if (entry.session === session) entry.session = undefined
    if (error !== undefined) entry.lastError = error
    if (entry.confirmed) {
      entry.confirmed = false
      entry.lostAt = Deadline.now()
      this.gapMetrics[entry.kind].updateUnsafe(1, this.context)
      this.note({ tag: "Lost", kind: entry.kind, name: entry.name, node: session.address, reason })
    } else if (entry.lostAt === undefined) {
      entry.lostAt = Deadline.now()
    }
    if (refresh) this.refreshWanted = true
    this.wake()
  }

  subscribeFailed(entry: Entry, session: Session, error: ClusterError.ReplyFailure | ClusterError.TimeoutError): void {
    const now = Deadline.now()
    entry.attempts++
    // A subscription has no deadline of its own: it is tried again until it is refused.
    const recovery = recoveryOf(error, { readOnly: true, persistent: true })
    switch (recovery._tag) {
      case "Redirect": {
        this.topology.noteRedirect(error as ClusterError.MovedError | ClusterError.AskError)
        // The map now names the owner: the first tries go at once. An ASK (a half-moved slot)
        // is not followed: a subscription must land where the slot ends up.
        entry.retryAt = error._tag === "MovedError" ? movedRetryAt(now, entry.attempts) : now + backoff(entry.attempts)
        break
      }
      case "Retry": {
        if (recovery.refresh !== undefined) this.topology.requestRefresh(recovery.refresh)
        entry.retryAt = now + backoff(entry.attempts)
        break
      }
      case "Fail": {
        // NOPERM, a wrong argument: asking again gives the same answer.
        this.lost(entry, session, error.message, error, false)
        this.failEntry(entry, error)
        return
      }
    }
    this.note({ tag: "Refused", kind: entry.kind, name: entry.name, node: session.address, error })
    this.lost(entry, session, `${SUBSCRIBE[entry.kind]} answered ${error._tag}`, error, false)
  }

  markBad(address: string): void {
    const bad = this.bad.get(address)
    const failures = (bad?.failures ?? 0) + 1
    this.bad.set(address, { failures, until: Deadline.now() + Math.min(2000, 50 * 2 ** (failures - 1)) })
  }

  isBad(address: string, now: number): boolean {
    const bad = this.bad.get(address)
    return bad !== undefined && bad.until > now
  }

  /** The session's connection failed or was lost. */
  sessionDied(session: Session, error: Err): void {
    if (session.dead) return
    session.dead = true
    const reason = `connection lost: ${error.message}`
    for (const entry of session.all()) this.lost(entry, session, reason, error, false)
    session.channels.clear()
    session.patterns.clear()
    session.ops.clear()
    if (this.classic === session) this.classic = undefined
    if (this.shardSessions.get(session.address) === session) this.shardSessions.delete(session.address)
    if (!this.closed) {
      this.markBad(session.address)
      this.topology.requestRefresh("connection-lost")
    }
    this.wake()
  }
}
