/**
 * The proxy itself, seen from plain `net` sockets: each fault must be observable by a client and a
 * server that know nothing of it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import * as Net from "node:net"
import { ChaosProxy } from "../src/index.js"

/** A socket end and everything that happened to it. */
interface Peer {
  readonly socket: Net.Socket
  received: string
  ended: boolean
  closed: boolean
  error: string | undefined
}

const watch = (socket: Net.Socket): Peer => {
  const peer: Peer = { socket, received: "", ended: false, closed: false, error: undefined }
  socket.on("data", (chunk: Buffer) => {
    peer.received += chunk.toString("latin1")
  })
  socket.on("end", () => {
    peer.ended = true
  })
  socket.on("close", () => {
    peer.closed = true
  })
  socket.on("error", (error: NodeJS.ErrnoException) => {
    peer.error = error.code ?? error.message
  })
  return peer
}

/** A server recording each accepted connection; closed with the scope. */
const server = Effect.acquireRelease(
  Effect.callback<{ readonly server: Net.Server; readonly port: number; readonly peers: Array<Peer> }>((resume) => {
    const peers: Array<Peer> = []
    const s = Net.createServer({ allowHalfOpen: true }, (socket) => peers.push(watch(socket)))
    s.listen(0, "127.0.0.1", () => {
      const address = s.address() as Net.AddressInfo
      resume(Effect.succeed({ server: s, port: address.port, peers }))
    })
  }),
  ({ peers, server: s }) =>
    Effect.callback<void>((resume) => {
      for (const p of peers) p.socket.destroy()
      s.close(() => resume(Effect.void))
    })
)

/** A client connection to `port` (its 'connect' awaited); destroyed with the scope. */
const connect = (port: number) =>
  Effect.acquireRelease(
    Effect.callback<Peer>((resume) => {
      const socket = Net.connect({ host: "127.0.0.1", port })
      const peer = watch(socket)
      socket.once("connect", () => resume(Effect.succeed(peer)))
      socket.once("error", () => resume(Effect.succeed(peer)))
    }),
    (peer) => Effect.sync(() => peer.socket.destroy())
  )

/** Polls a condition on the wall clock every 5 ms. */
const eventually = (what: string, condition: () => boolean, timeoutMs = 5_000) =>
  Effect.promise(async () => {
    const deadline = Date.now() + timeoutMs
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  })

/** Polls an effectful condition every 5 ms. */
const eventuallyEffect = <E>(what: string, condition: Effect.Effect<boolean, E>, timeoutMs = 5_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (!(yield* condition)) {
      if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out waiting for: ${what}`))
      yield* quietFor(5)
    }
  })

/** Real time passing, to observe that something does *not* happen. */
const quietFor = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))

const setup = Effect.gen(function*() {
  const target = yield* server
  const proxy = yield* ChaosProxy.make({ host: "127.0.0.1", port: target.port })
  const client = yield* connect(proxy.port)
  yield* eventually("the server to accept", () => target.peers.length === 1)
  return { target, proxy, client, upstream: target.peers[0]! }
})

describe("ChaosProxy", () => {
  it.live("forwards bytes both ways and counts them", () =>
    Effect.gen(function*() {
      const { client, proxy, upstream } = yield* setup
      client.socket.write("ping")
      yield* eventually("ping upstream", () => upstream.received === "ping")
      upstream.socket.write("pong!")
      yield* eventually("pong downstream", () => client.received === "pong!")
      const stats = yield* proxy.stats
      expect(stats).toMatchObject({ accepted: 1, open: 1, bytesUp: 4, bytesDown: 5, queuedBytes: 0 })
      // A FIN travels as a FIN, and the other direction keeps flowing.
      client.socket.end()
      yield* eventually("FIN upstream", () => upstream.ended)
      upstream.socket.end("bye")
      yield* eventually("the last bytes and FIN downstream", () => client.received === "pong!bye" && client.ended)
    }))

  it.live("latency delays each direction by its own amount; cleared, bytes flow at once", () =>
    Effect.gen(function*() {
      const { client, proxy, upstream } = yield* setup
      yield* proxy.inject(ChaosProxy.latency({ upstream: "500 millis", downstream: "400 millis" }))
      expect(yield* proxy.faults).toEqual([{ _tag: "Latency", upstreamMillis: 500, downstreamMillis: 400 }])
      let started = performance.now()
      client.socket.write("a")
      yield* eventually("a upstream", () => upstream.received === "a")
      const upMillis = performance.now() - started
      started = performance.now()
      upstream.socket.write("b")
      yield* eventually("b downstream", () => client.received === "b")
      const downMillis = performance.now() - started
      expect(upMillis).toBeGreaterThanOrEqual(495)
      expect(downMillis).toBeGreaterThanOrEqual(395)
      yield* proxy.clear("Latency")
      expect(yield* proxy.faults).toEqual([])
      started = performance.now()
      client.socket.write("c")
      yield* eventually("c upstream", () => upstream.received === "ac")
      // Well under the 500 ms it would take with the latency still in force, even on a busy machine.
      expect(performance.now() - started).toBeLessThan(350)
    }))

  it.live("bandwidth spreads a large write over time at the given rate", () =>
    Effect.gen(function*() {
      const { client, proxy, upstream } = yield* setup
      yield* proxy.inject(ChaosProxy.bandwidth(10_000))
      const started = performance.now()
      upstream.socket.write(Buffer.alloc(10_000, 120))
      yield* eventually("10 KB downstream", () => client.received.length === 10_000)
      // 10 KB at 10 KB/s: the first 50 ms slice leaves at once, the rest over ~950 ms.
      expect(performance.now() - started).toBeGreaterThanOrEqual(900)
      yield* proxy.clear("Bandwidth")
      const again = performance.now()
      upstream.socket.write(Buffer.alloc(10_000, 120))
      yield* eventually("10 KB more downstream", () => client.received.length === 20_000)
      expect(performance.now() - again).toBeLessThan(450)
    }))

  it.live("blackhole: accepted, nothing forwarded, nothing closed; cleared, held bytes arrive in order", () =>
    Effect.gen(function*() {
      const { client, proxy, target, upstream } = yield* setup
      yield* proxy.inject(ChaosProxy.blackhole)
      client.socket.write("one,")
      upstream.socket.write("down")
      // A new connection is accepted too, and is as silent.
      const late = yield* connect(proxy.port)
      late.socket.write("late")
      yield* quietFor(300)
      expect(upstream.received).toBe("")
      expect(client.received).toBe("")
      expect([client.closed, client.ended, client.error, late.closed, late.error]).toEqual([false, false, undefined, false, undefined])
      client.socket.write("two")
      yield* eventuallyEffect("every byte held", Effect.map(proxy.stats, (st) => st.queuedBytes === 4 + 4 + 4 + 3))
      yield* proxy.clear("Blackhole")
      yield* eventually("held bytes upstream", () => upstream.received === "one,two")
      yield* eventually("held bytes downstream", () => client.received === "down")
      yield* eventually("the late connection's bytes", () => target.peers.some((p) => p.received === "late"))
      expect((yield* proxy.stats).queuedBytes).toBe(0)
    }))

  it.live("reset: open connections get an RST on both sides; new ones are reset while set", () =>
    Effect.gen(function*() {
      const { client, proxy, target, upstream } = yield* setup
      yield* proxy.inject(ChaosProxy.reset)
      yield* eventually("the client to see a reset", () => client.error === "ECONNRESET" && client.closed)
      yield* eventually("the server's side to close", () => upstream.closed)
      const refused = yield* connect(proxy.port)
      yield* eventually("a new connection to be reset", () => refused.error === "ECONNRESET" && refused.closed)
      expect((yield* proxy.stats).resets).toBe(2)
      yield* proxy.clear("Reset")
      const fresh = yield* connect(proxy.port)
      fresh.socket.write("again")
      yield* eventually("a connection after clearing to reach the server", () => target.peers.some((p) => p.received === "again"))
      expect(fresh.error).toBeUndefined()
    }))

  it.live("half-open: the node's side closes, the client's side stays open and silent", () =>
    Effect.gen(function*() {
      const { client, proxy, target, upstream } = yield* setup
      yield* proxy.inject(ChaosProxy.halfOpen)
      // (The test server allows half-open sockets, so it sees the FIN rather than a close.)
      yield* eventually("the node's side to close", () => upstream.ended)
      client.socket.write("lost")
      const late = yield* connect(proxy.port)
      late.socket.write("lost too")
      yield* quietFor(300)
      // No FIN, no RST, no data: the client cannot tell, and writes still succeed.
      expect([client.ended, client.closed, client.error]).toEqual([false, false, undefined])
      expect([late.ended, late.closed, late.error]).toEqual([false, false, undefined])
      expect(target.peers).toHaveLength(1)
      const stats = yield* proxy.stats
      expect(stats).toMatchObject({ open: 2, halfOpen: 2, halfOpened: 2, discardedBytes: 12 })
      yield* proxy.clear("HalfOpen")
      // New connections go through again; the cut ones stay cut.
      const fresh = yield* connect(proxy.port)
      fresh.socket.write("hello")
      yield* eventually("a new connection to reach the node", () => target.peers.length === 2 && target.peers[1]!.received === "hello")
      client.socket.write("still lost")
      yield* quietFor(100)
      expect(target.peers[0]!.received).toBe("")
      expect((yield* proxy.stats).halfOpen).toBe(2)
    }))

  it.live("closing the scope closes every connection and the listener", () =>
    Effect.gen(function*() {
      const target = yield* server
      const scope = yield* Scope.make()
      const proxy = yield* ChaosProxy.make({ host: "127.0.0.1", port: target.port }).pipe(Scope.provide(scope))
      const client = yield* connect(proxy.port)
      yield* eventually("the server to accept", () => target.peers.length === 1)
      yield* proxy.inject(ChaosProxy.blackhole)
      yield* Scope.close(scope, Exit.void)
      yield* eventually("the client to be closed", () => client.closed)
      yield* eventually("the upstream to be closed", () => target.peers[0]!.ended)
      const after = yield* connect(proxy.port)
      yield* eventually("the port to refuse", () => after.error === "ECONNREFUSED")
    }))

  it.live("forNodes: one proxy per node and remap rules from each node's port to its proxy", () =>
    Effect.gen(function*() {
      const a = yield* server
      const b = yield* server
      const proxied = yield* ChaosProxy.forNodes([{ host: "127.0.0.1", port: a.port }, { host: "127.0.0.1", port: b.port }])
      expect(proxied.startupNodes).toEqual(proxied.proxies.map((p) => ({ host: "127.0.0.1", port: p.port })))
      expect(proxied.hostPortRemap).toEqual([
        { from: { port: a.port }, to: { host: "127.0.0.1", port: proxied.proxies[0]!.port } },
        { from: { port: b.port }, to: { host: "127.0.0.1", port: proxied.proxies[1]!.port } }
      ])
      const viaB = yield* connect(proxied.startupNodes[1]!.port)
      viaB.socket.write("b")
      yield* eventually("b to reach node b", () => b.peers[0]?.received === "b")
      yield* proxied.proxies[1]!.inject(ChaosProxy.blackhole)
      viaB.socket.write("held")
      yield* eventuallyEffect("held bytes counted", Effect.map(proxied.queuedBytes, (n) => n === 4))
      yield* proxied.clearAll
      yield* eventually("held bytes delivered", () => b.peers[0]?.received === "bheld")
      expect(yield* proxied.queuedBytes).toBe(0)
    }))

  it.live("invalid faults are refused", () =>
    Effect.gen(function*() {
      const target = yield* server
      const proxy = yield* ChaosProxy.make({ host: "127.0.0.1", port: target.port })
      const error = yield* Effect.flip(proxy.inject(ChaosProxy.bandwidth(0)))
      expect(error._tag).toBe("ChaosProxyError")
      expect(yield* proxy.faults).toEqual([])
    }))
})
