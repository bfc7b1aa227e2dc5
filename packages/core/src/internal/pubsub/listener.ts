/**
 * The stream side of pub/sub: a `Listener` is one subscription stream, an `Entry` one server-side
 * subscription. Several streams of the same channel share one entry, so a channel is subscribed
 * once however many streams listen to it, and a message is decoded once for all of them.
 *
 * @internal
 */
import { Effect } from "effect"
import type * as ClusterError from "../../ClusterError.js"
import type { Kind, Message, MessageBytes, PatternMessage, PatternMessageBytes } from "../../PubSub.js"
import type * as Resp from "../../Resp.js"
import * as Slot from "../../Slot.js"
import type { Inbox } from "./inbox.js"
import type { Session } from "./session.js"
import { asBytes, asText } from "./text.js"

type Err = ClusterError.RedisClusterError

/**
 * What any stream's inbox holds: one inbox type serves every kind and encoding of stream.
 *
 * @since 0.1.0
 * @category models
 */
export type AnyMessage = Message | MessageBytes | PatternMessage | PatternMessageBytes

/**
 * One stream. Its `awaitReady` is what lets the scoped subscribe methods succeed only once the
 * server confirmed every channel, so a message published afterwards is received.
 *
 * @since 0.1.0
 * @category models
 */
export class Listener {
  readonly confirmedEntries = new Set<Entry>()
  entries: ReadonlyArray<Entry> = []
  ready = false
  closed = false
  failure: Err | undefined = undefined
  waiter: ((effect: Effect.Effect<void, Err>) => void) | undefined = undefined

  constructor(
    readonly kind: Kind,
    readonly names: ReadonlyArray<string>,
    readonly bytes: boolean,
    readonly inbox: Inbox<AnyMessage, Err>
  ) {}

  entryConfirmed(entry: Entry): void {
    if (this.ready) return
    this.confirmedEntries.add(entry)
    if (this.confirmedEntries.size < this.entries.length) return
    this.ready = true
    const waiter = this.waiter
    this.waiter = undefined
    // Effect 4 resumes a fiber synchronously: the subscriber's code must not run inside the
    // socket's data handler that confirmed the subscription.
    if (waiter !== undefined) queueMicrotask(() => waiter(Effect.void))
  }

  /** Resolves once every channel was confirmed; fails with the stream's failure. */
  readonly awaitReady: Effect.Effect<void, Err> = Effect.suspend(() => {
    if (this.failure !== undefined) return Effect.fail(this.failure)
    if (this.ready) return Effect.void
    return Effect.callback<void, Err>((resume) => {
      this.waiter = resume
      return Effect.sync(() => {
        this.waiter = undefined
      })
    })
  })
}

/**
 * One server-side subscription (a channel, pattern or sharded channel), shared by its streams.
 *
 * @since 0.1.0
 * @category models
 */
export class Entry {
  readonly listeners = new Set<Listener>()
  session: Session | undefined = undefined
  confirmed = false
  everConfirmed = false
  /** When it lost (or asked for) its subscription; `undefined` while confirmed. */
  lostAt: number | undefined
  lastError: Err | undefined = undefined
  resubscriptions = 0
  /** Not placed again before this time (after an error reply). */
  retryAt = 0
  attempts = 0
  readonly slot: number
  /** The name as the server sends it back (UTF-8), to recognize it without decoding. */
  readonly nameBytes: Uint8Array

  constructor(readonly kind: Kind, readonly name: string, now: number) {
    this.lostAt = now
    this.slot = kind === "shard" ? Slot.slot(name) : -1
    this.nameBytes = Buffer.from(name, "utf8")
  }

  deliver(payload: Resp.RespValue | undefined): void {
    let text: string | undefined
    let bytes: Uint8Array | undefined
    for (const l of this.listeners) {
      if (l.bytes) l.inbox.push({ channel: this.name, message: bytes ??= asBytes(payload) })
      else l.inbox.push({ channel: this.name, message: text ??= asText(payload) })
    }
  }

  deliverPattern(channel: string, payload: Resp.RespValue | undefined): void {
    let text: string | undefined
    let bytes: Uint8Array | undefined
    for (const l of this.listeners) {
      if (l.bytes) l.inbox.push({ pattern: this.name, channel, message: bytes ??= asBytes(payload) })
      else l.inbox.push({ pattern: this.name, channel, message: text ??= asText(payload) })
    }
  }
}
