/**
 * The bounded buffer between a subscriber connection's data handler and one pub/sub stream.
 *
 * `push` runs synchronously in the socket's data handler and never waits; the stream pulls every
 * buffered message (at most `maxChunk`) in one chunk, so a burst costs one fiber wake-up, not one
 * per message. When the buffer is full the strategy decides: overwrite the oldest message, discard
 * the new one, or fail the stream.
 *
 * @internal
 */
import { Cause, Effect } from "effect"
import type { Array as Arr, Pull } from "effect"

/**
 * What happens when a message arrives and the buffer is full.
 *
 * @since 0.1.0
 * @category models
 */
export type Strategy = "dropOldest" | "dropNewest" | "fail"

/**
 * A ring buffer with one consumer.
 *
 * @since 0.1.0
 * @category models
 */
export class Inbox<A, E> {
  private items: Array<A | undefined>
  private head = 0
  private count = 0
  private waiter: ((effect: Pull.Pull<Arr.NonEmptyReadonlyArray<A>, E>) => void) | undefined = undefined
  /** A wake-up is queued: the consumer takes the whole data event's messages in one chunk. */
  private waking = false
  private failure: E | undefined = undefined
  private ended = false
  /** Messages pushed (delivered, buffered or dropped). */
  received = 0
  /** Messages dropped by `dropOldest` / `dropNewest`. */
  dropped = 0

  constructor(
    readonly capacity: number,
    readonly strategy: Strategy,
    readonly maxChunk: number,
    /** Called once per dropped message. */
    private readonly onDrop: () => void,
    /** Called when the buffer overflows under `fail` (the owner fails the inbox). */
    private readonly onOverflow: () => void
  ) {
    this.items = new Array<A | undefined>(Math.min(capacity, 64))
  }

  /** Messages waiting in the buffer. */
  get size(): number {
    return this.count
  }

  /** `true` once failed or ended: pushes are ignored. */
  get done(): boolean {
    return this.ended || this.failure !== undefined
  }

  /** Adds a message; never waits. */
  push(item: A): void {
    if (this.ended || this.failure !== undefined) return
    this.received++
    const items = this.items
    if (this.count === this.capacity) {
      switch (this.strategy) {
        case "dropOldest":
          items[this.head] = item
          this.head = (this.head + 1) % items.length
          this.dropped++
          this.onDrop()
          return
        case "dropNewest":
          this.dropped++
          this.onDrop()
          return
        case "fail":
          this.onOverflow()
          return
      }
    }
    if (this.count === items.length) this.grow()
    const buffer = this.items
    buffer[(this.head + this.count) % buffer.length] = item
    this.count++
    this.wakeLater()
  }

  /**
   * Resuming runs the consumer at once (Effect 4 resumes a fiber synchronously), and pushes, ends
   * and failures come from socket handlers: waking it on a microtask lets every message of the
   * data event into its chunk and keeps the consumer's code out of the handler.
   */
  private wakeLater(): void {
    if (this.waiter !== undefined && !this.waking) {
      this.waking = true
      queueMicrotask(this.wakeNow)
    }
  }

  private readonly wakeNow = (): void => {
    this.waking = false
    const waiter = this.waiter
    if (waiter !== undefined) {
      this.waiter = undefined
      waiter(this.pull)
    }
  }

  /** Fails the stream at once; buffered messages are discarded. */
  fail(error: E): void {
    if (this.ended || this.failure !== undefined) return
    this.failure = error
    this.clear()
    this.wakeLater()
  }

  /** Ends the stream after the buffered messages. */
  end(): void {
    if (this.ended || this.failure !== undefined) return
    this.ended = true
    this.wakeLater()
  }

  /** The stream's pull: the buffered messages, or waits for one; `Cause.Done` at the end. */
  readonly pull: Pull.Pull<Arr.NonEmptyReadonlyArray<A>, E> = Effect.suspend(() => {
    if (this.count > 0) return Effect.succeed(this.take())
    if (this.failure !== undefined) return Effect.fail(this.failure)
    if (this.ended) return Cause.done()
    return Effect.callback<Arr.NonEmptyReadonlyArray<A>, E | Cause.Done>((resume) => {
      this.waiter = resume
      return Effect.sync(() => {
        this.waiter = undefined
      })
    })
  })

  private take(): Arr.NonEmptyReadonlyArray<A> {
    const n = Math.min(this.count, this.maxChunk)
    const items = this.items
    const length = items.length
    const out = new Array<A>(n)
    let head = this.head
    for (let i = 0; i < n; i++) {
      out[i] = items[head] as A
      items[head] = undefined
      head = head + 1 === length ? 0 : head + 1
    }
    this.head = head
    this.count -= n
    return out as unknown as Arr.NonEmptyReadonlyArray<A>
  }

  private grow(): void {
    const items = this.items
    const next = new Array<A | undefined>(Math.min(this.capacity, items.length * 2))
    for (let i = 0; i < this.count; i++) next[i] = items[(this.head + i) % items.length]
    this.items = next
    this.head = 0
  }

  private clear(): void {
    this.items = new Array<A | undefined>(0)
    this.head = 0
    this.count = 0
  }
}
