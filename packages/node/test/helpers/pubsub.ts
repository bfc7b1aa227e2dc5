/**
 * Helpers for the pub/sub tests: a consumer that records what a stream delivers (with arrival
 * times), server-side subscriber counts summed over every running node, sequence-numbered
 * publishers, and keys owned by a given master.
 */
import { Slot } from "@keyslot/core"
import type { RedisClusterFixture } from "@keyslot/test-utils"
import { Effect, Fiber, Stream } from "effect"
import type { Scope } from "effect"

/** What a recorded stream delivered so far. */
export interface Recorded<A> {
  readonly items: Array<A>
  /** `Date.now()` of each item's arrival. */
  readonly at: Array<number>
  readonly fiber: Fiber.Fiber<void, unknown>
  /** Set when the stream failed. */
  failure: unknown
  ended: boolean
}

/** Consumes `stream` in the background (in the current scope), recording every element. */
export const record = <A, E>(stream: Stream.Stream<A, E>): Effect.Effect<Recorded<A>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const items: Array<A> = []
    const at: Array<number> = []
    const recorded: { -readonly [K in keyof Recorded<A>]: Recorded<A>[K] } = {
      items,
      at,
      fiber: undefined as unknown as Fiber.Fiber<void, unknown>,
      failure: undefined,
      ended: false
    }
    recorded.fiber = yield* stream.pipe(
      Stream.runForEachArray((chunk) =>
        Effect.sync(() => {
          const now = Date.now()
          for (const item of chunk) {
            items.push(item)
            at.push(now)
          }
        })
      ),
      Effect.catch((e) => Effect.sync(() => {
        recorded.failure = e
      })),
      Effect.ensuring(Effect.sync(() => {
        recorded.ended = true
      })),
      Effect.forkScoped
    )
    return recorded
  })

/** Ports of the nodes that run and are not paused. */
export const runningPorts = (fixture: RedisClusterFixture.ClusterFixture) =>
  Effect.map(fixture.nodes, (nodes) => nodes.filter((n) => n.alive && !n.paused).map((n) => n.port))

/**
 * Server-side subscriptions summed over every running node: `PUBSUB NUMSUB` (channels),
 * `PUBSUB SHARDNUMSUB` (sharded channels) or `PUBSUB NUMPAT` (all patterns).
 */
export const serverSubscribers = (
  fixture: RedisClusterFixture.ClusterFixture,
  kind: "channel" | "shard" | "pattern",
  name?: string
) =>
  Effect.gen(function*() {
    let total = 0
    for (const port of yield* runningPorts(fixture)) {
      if (kind === "pattern") {
        total += Number(yield* fixture.command(port, "PUBSUB", "NUMPAT"))
        continue
      }
      const reply = yield* fixture.command(port, "PUBSUB", kind === "shard" ? "SHARDNUMSUB" : "NUMSUB", name ?? "")
      if (Array.isArray(reply)) total += Number(reply[1])
    }
    return total
  })

/** The first `count` names `prefix<i>` whose slot the master on `port` owns. */
export const namesOwnedBy = (fixture: RedisClusterFixture.ClusterFixture, port: number, prefix: string, count: number) =>
  Effect.map(fixture.masters, (masters) => {
    const owner = masters.find((m) => m.port === port)!
    const owns = (slot: number) => owner.slots.some(([a, b]) => slot >= a && slot <= b)
    const out: Array<string> = []
    for (let i = 0; out.length < count; i++) {
      const name = `${prefix}${i}`
      if (owns(Slot.slot(name))) out.push(name)
    }
    return out
  })

/** A publisher of `0, 1, 2...` (as text) in the background; `publish` errors are counted, not fatal. */
export interface Publisher {
  /** Next sequence number to publish. */
  readonly next: () => number
  /** `Date.now()` when each sequence number's publish returned successfully (undefined: failed or pending). */
  readonly okAt: Array<number | undefined>
  /** `Date.now()` when each publish started. */
  readonly startedAt: Array<number>
  readonly failures: () => number
  readonly stop: Effect.Effect<void>
}

/** Publishes one sequence number every `everyMillis` with `publish`, until stopped. */
export const startPublisher = <E>(
  publish: (message: string) => Effect.Effect<unknown, E>,
  everyMillis = 2
): Effect.Effect<Publisher, never, Scope.Scope> =>
  Effect.gen(function*() {
    let seq = 0
    let failures = 0
    const okAt: Array<number | undefined> = []
    const startedAt: Array<number> = []
    const fiber = yield* Effect.gen(function*() {
      while (true) {
        const n = seq++
        startedAt[n] = Date.now()
        const result = yield* Effect.result(publish(String(n)))
        if (result._tag === "Success") okAt[n] = Date.now()
        else failures++
        yield* Effect.sleep(`${everyMillis} millis`)
      }
    }).pipe(Effect.forkScoped)
    return {
      next: () => seq,
      okAt,
      startedAt,
      failures: () => failures,
      stop: Fiber.interrupt(fiber).pipe(Effect.asVoid)
    }
  })

/** Asserts strictly increasing sequence numbers: nothing delivered twice, nothing reordered. */
export const strictlyIncreasing = (seqs: ReadonlyArray<number>): string | true => {
  for (let i = 1; i < seqs.length; i++) {
    if (seqs[i]! <= seqs[i - 1]!) return `sequence ${seqs[i - 1]} then ${seqs[i]} at index ${i}`
  }
  return true
}

/** Asserts every sequence number arrived at most once; gives how many arrived after a higher one. */
export const noDuplicates = (seqs: ReadonlyArray<number>): { readonly ok: string | true; readonly reordered: number } => {
  const seen = new Set<number>()
  let highest = -1
  let reordered = 0
  for (const n of seqs) {
    if (seen.has(n)) return { ok: `${n} received twice`, reordered }
    seen.add(n)
    if (n < highest) reordered++
    highest = Math.max(highest, n)
  }
  return { ok: true, reordered }
}
