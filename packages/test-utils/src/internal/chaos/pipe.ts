/**
 * One direction of a proxied connection: the bytes read from one socket, queued, and written to
 * the other once the proxy's faults let them through (added latency, a bandwidth limit, a
 * blackhole holding everything). Ends of stream travel in the same queue as the data, so a FIN or
 * a close never overtakes the bytes sent before it.
 *
 * @internal
 */
import type * as Net from "node:net"

/**
 * What the pipe asks the proxy each time it moves bytes: the faults can change at any moment, and
 * a pipe must follow them without being rebuilt.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export interface PipeControl {
  /** Added one-way delay for bytes entering the pipe now, in ms (0: none). */
  readonly latencyMillis: () => number
  /** Bytes per second this pipe may write, or `undefined` for no limit. */
  readonly bytesPerSecond: () => number | undefined
  /** `true` while nothing may leave the pipe (blackhole). */
  readonly holding: () => boolean
  /** Called with every slice of bytes written to the target. */
  readonly onForward: (bytes: number) => void
}

type Item =
  | { readonly kind: "data"; data: Buffer; readonly readyAt: number }
  | { readonly kind: "end"; readonly readyAt: number }
  | { readonly kind: "close"; readonly reset: boolean; readonly readyAt: number }

// Past this many queued bytes the source is paused, so a held or slowed direction pushes back on
// the sender through TCP (as a real slow link does) instead of growing the proxy's memory.
const HIGH_WATER = 1024 * 1024
const LOW_WATER = 256 * 1024

/**
 * Sends an RST rather than a FIN where the socket still has a connection to reset.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export const resetSocket = (socket: Net.Socket): void => {
  if (socket.destroyed) return
  // resetAndDestroy needs an open TCP handle; a socket not connected yet is just destroyed.
  if (socket.readyState === "open" || socket.readyState === "readOnly" || socket.readyState === "writeOnly") {
    socket.resetAndDestroy()
  } else {
    socket.destroy()
  }
}

/**
 * One direction of a connection, from `source` to `target`.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export class Pipe {
  private readonly queue: Array<Item> = []
  /** Bytes queued and not yet written. */
  queuedBytes = 0
  private lastReadyAt = 0
  private nextFreeAt = 0
  private timer: ReturnType<typeof setTimeout> | undefined = undefined
  private blocked = false
  private sourcePaused = false
  private closed = false
  /** Whether an end of stream (FIN or close) was queued: nothing may follow it. */
  finished = false

  constructor(
    private readonly source: Net.Socket,
    private readonly target: Net.Socket,
    private readonly control: PipeControl
  ) {}

  /** Bytes read from the source. */
  push(data: Buffer): void {
    if (this.closed || this.finished) return
    this.queue.push({ kind: "data", data, readyAt: this.readyAt() })
    this.queuedBytes += data.length
    if (this.queuedBytes > HIGH_WATER && !this.sourcePaused) {
      this.sourcePaused = true
      this.source.pause()
    }
    this.pump()
  }

  /** The source sent FIN: end the target once the bytes before it are through. */
  pushEnd(): void {
    if (this.closed || this.finished) return
    this.finished = true
    this.queue.push({ kind: "end", readyAt: this.readyAt() })
    this.pump()
  }

  /** The source closed without FIN (or failed): close the target once the bytes before it are through. */
  pushClose(reset: boolean): void {
    if (this.closed || this.finished) return
    this.finished = true
    this.queue.push({ kind: "close", reset, readyAt: this.readyAt() })
    this.pump()
  }

  /** The faults changed: move whatever may move now. */
  wake(): void {
    if (this.control.bytesPerSecond() === undefined) this.nextFreeAt = 0
    this.pump()
  }

  /** Drops everything queued and stops for good (the connection was reset or cut). */
  discard(): void {
    this.closed = true
    this.queue.length = 0
    this.queuedBytes = 0
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  private readyAt(): number {
    // Never before the previous item: a latency lowered mid-stream must not reorder bytes.
    const at = Math.max(performance.now() + this.control.latencyMillis(), this.lastReadyAt)
    this.lastReadyAt = at
    return at
  }

  private pump(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    while (!this.closed && this.queue.length > 0) {
      if (this.blocked || this.control.holding()) return
      const item = this.queue[0]!
      const now = performance.now()
      const rate = this.control.bytesPerSecond()
      const due = item.kind === "data" && rate !== undefined ? Math.max(item.readyAt, this.nextFreeAt) : item.readyAt
      if (due > now) {
        this.timer = setTimeout(() => {
          this.timer = undefined
          this.pump()
        }, Math.max(1, Math.ceil(due - now)))
        return
      }
      if (item.kind === "data") {
        let chunk = item.data
        if (rate !== undefined) {
          // At most 50 ms worth of bytes at once, so a large chunk is spread out rather than sent
          // in one burst followed by a long silence.
          const slice = Math.max(1, Math.floor(rate / 20))
          if (chunk.length > slice) {
            item.data = chunk.subarray(slice)
            chunk = chunk.subarray(0, slice)
          } else {
            this.queue.shift()
          }
          this.nextFreeAt = now + (chunk.length / rate) * 1000
        } else {
          this.queue.shift()
        }
        this.queuedBytes -= chunk.length
        this.control.onForward(chunk.length)
        if (!this.target.destroyed && !this.target.write(chunk)) {
          // The target's kernel buffer is full: wait for it rather than buffer in Node.
          this.blocked = true
          this.target.once("drain", () => {
            this.blocked = false
            this.pump()
          })
        }
        if (this.sourcePaused && this.queuedBytes < LOW_WATER) {
          this.sourcePaused = false
          this.source.resume()
        }
      } else {
        this.queue.shift()
        if (item.kind === "end") {
          if (!this.target.destroyed) this.target.end()
        } else if (item.reset) {
          resetSocket(this.target)
        } else {
          this.target.destroy()
        }
      }
    }
  }
}
