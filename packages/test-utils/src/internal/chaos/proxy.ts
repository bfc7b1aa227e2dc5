/**
 * The machinery behind `ChaosProxy`: a `node:net` listener, one `Link` per accepted connection
 * (client socket, upstream socket, a `Pipe` each way), and the fault state every link reads.
 * Everything here is synchronous and callback-driven; the public module wraps it in Effects and
 * ties its lifetime to a scope.
 *
 * @internal
 */
import * as Net from "node:net"
import { Pipe, type PipeControl, resetSocket } from "./pipe.js"

/**
 * The faults in force on one proxy.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export interface FaultState {
  latencyUpMillis: number
  latencyDownMillis: number
  bytesPerSecond: number | undefined
  blackhole: boolean
  reset: boolean
  halfOpen: boolean
}

/**
 * Counters of one proxy (see `ChaosProxy.Stats`).
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export interface Counters {
  accepted: number
  resets: number
  halfOpened: number
  bytesUp: number
  bytesDown: number
  discardedBytes: number
}

class Link {
  upstream: Net.Socket | undefined = undefined
  up: Pipe | undefined = undefined
  down: Pipe | undefined = undefined
  halfOpen = false
  constructor(readonly client: Net.Socket) {}

  get closed(): boolean {
    return this.client.destroyed && (this.upstream === undefined || this.upstream.destroyed)
  }
}

/**
 * A running proxy: its listener, its links and its faults.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export class ProxyCore {
  readonly faults: FaultState = {
    latencyUpMillis: 0,
    latencyDownMillis: 0,
    bytesPerSecond: undefined,
    blackhole: false,
    reset: false,
    halfOpen: false
  }
  readonly counters: Counters = { accepted: 0, resets: 0, halfOpened: 0, bytesUp: 0, bytesDown: 0, discardedBytes: 0 }
  private readonly links = new Set<Link>()
  private readonly upControl: PipeControl
  private readonly downControl: PipeControl
  readonly server: Net.Server
  private shut = false

  constructor(readonly upstreamHost: string, readonly upstreamPort: number) {
    const f = this.faults
    this.upControl = {
      latencyMillis: () => f.latencyUpMillis,
      bytesPerSecond: () => f.bytesPerSecond,
      holding: () => f.blackhole,
      onForward: (n) => {
        this.counters.bytesUp += n
      }
    }
    this.downControl = {
      latencyMillis: () => f.latencyDownMillis,
      bytesPerSecond: () => f.bytesPerSecond,
      holding: () => f.blackhole,
      onForward: (n) => {
        this.counters.bytesDown += n
      }
    }
    // allowHalfOpen: a FIN from one side is forwarded as a FIN, and the other direction keeps
    // flowing until its own FIN, as through a real network path.
    this.server = Net.createServer({ allowHalfOpen: true }, (client) => this.accept(client))
  }

  private accept(client: Net.Socket): void {
    this.counters.accepted++
    // Every socket gets an error listener: a reset or refused peer must never crash the process.
    client.on("error", () => {})
    if (this.shut) {
      client.destroy()
      return
    }
    if (this.faults.reset) {
      this.counters.resets++
      resetSocket(client)
      return
    }
    client.setNoDelay(true)
    const link = new Link(client)
    this.links.add(link)
    client.once("close", () => this.forget(link))
    if (this.faults.halfOpen) {
      this.makeHalfOpen(link)
      return
    }
    const upstream = Net.connect({ host: this.upstreamHost, port: this.upstreamPort, allowHalfOpen: true })
    upstream.setNoDelay(true)
    link.upstream = upstream
    // Writes before `connect` are buffered by the socket itself, so data flows from the start.
    const up = new Pipe(client, upstream, this.upControl)
    const down = new Pipe(upstream, client, this.downControl)
    link.up = up
    link.down = down
    client.on("data", (chunk: Buffer) => {
      if (link.halfOpen) this.counters.discardedBytes += chunk.length
      else up.push(chunk)
    })
    client.on("end", () => {
      if (link.halfOpen) client.destroy()
      else up.pushEnd()
    })
    client.on("close", (hadError) => up.pushClose(hadError))
    upstream.on("data", (chunk: Buffer) => down.push(chunk))
    upstream.on("end", () => down.pushEnd())
    let upstreamReset = false
    // Also the error listener every socket needs (a refused or reset node must not crash the process).
    upstream.on("error", (error: NodeJS.ErrnoException) => {
      upstreamReset = error.code === "ECONNRESET"
    })
    upstream.once("close", () => {
      // A node that resets its side is seen by the client as a reset; any other close as a
      // close. (Half-open links cut the upstream on purpose: the client must hear nothing.)
      if (!link.halfOpen) down.pushClose(upstreamReset)
      this.forget(link)
    })
  }

  private makeHalfOpen(link: Link): void {
    if (link.halfOpen) return
    link.halfOpen = true
    this.counters.halfOpened++
    link.up?.discard()
    link.down?.discard()
    link.upstream?.destroy()
    if (link.up === undefined) {
      // A connection accepted while half-open: it never had an upstream.
      link.client.on("data", (chunk: Buffer) => {
        this.counters.discardedBytes += chunk.length
      })
      link.client.on("end", () => link.client.destroy())
    }
  }

  private forget(link: Link): void {
    if (link.closed) this.links.delete(link)
  }

  /** Applies the current faults to the open links (new links read them when accepted). */
  apply(): void {
    for (const link of this.links) {
      if (link.closed) continue
      if (this.faults.reset) {
        this.counters.resets++
        link.up?.discard()
        link.down?.discard()
        resetSocket(link.client)
        if (link.upstream !== undefined) resetSocket(link.upstream)
        continue
      }
      if (this.faults.halfOpen) {
        this.makeHalfOpen(link)
        continue
      }
      link.up?.wake()
      link.down?.wake()
    }
  }

  /** Client connections open now, and how many of them are half-open. */
  openLinks(): { readonly open: number; readonly halfOpen: number } {
    let open = 0
    let halfOpen = 0
    for (const link of this.links) {
      if (link.client.destroyed) continue
      open++
      if (link.halfOpen) halfOpen++
    }
    return { open, halfOpen }
  }

  /** Bytes held or delayed in every link, both directions. */
  queuedBytes(): number {
    let n = 0
    for (const link of this.links) n += (link.up?.queuedBytes ?? 0) + (link.down?.queuedBytes ?? 0)
    return n
  }

  /** Destroys every socket and stops listening; `done` once the listener is closed. */
  close(done: () => void): void {
    this.shut = true
    for (const link of this.links) {
      link.up?.discard()
      link.down?.discard()
      link.client.destroy()
      link.upstream?.destroy()
    }
    this.links.clear()
    if (this.server.listening) this.server.close(() => done())
    else done()
  }
}
