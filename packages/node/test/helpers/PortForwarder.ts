/**
 * A loopback TCP port forwarder for tests: listens on 127.0.0.1 (a free port), pipes every
 * accepted connection to a target port, and counts connections and bytes. It also records the
 * local port of each upstream socket, so a test can match the server's `CLIENT LIST` against the
 * connections that went through it (proof that a client never bypassed the forwarder).
 *
 * Scoped: the server and every socket are closed when the scope closes.
 */
import { Effect } from "effect"
import type { Scope } from "effect"
import * as net from "node:net"

/** What a forwarder carried so far. */
export interface ForwarderStats {
  /** Connections accepted (refused ones included). */
  readonly accepted: number
  /** Connections accepted while refusing (closed at once, never forwarded). */
  readonly refused: number
  /** Client connections open right now. */
  readonly active: number
  /** Bytes from clients to the target. */
  readonly bytesUp: number
  /** Bytes from the target to clients. */
  readonly bytesDown: number
}

/** A running forwarder. */
export interface PortForwarder {
  readonly host: "127.0.0.1"
  /** The port it listens on. */
  readonly port: number
  /** The port it forwards to. */
  readonly targetPort: number
  readonly stats: () => ForwarderStats
  /** Local ports of the upstream sockets it opened (the `addr` port the target sees). */
  readonly upstreamPorts: () => ReadonlySet<number>
  /**
   * `true`: close every open connection and close each new one at once (a dead node that still
   * accepts TCP, as seen through a proxy); `false`: forward again.
   */
  readonly setRefusing: (refusing: boolean) => void
}

/** Where to listen and where to forward. */
export interface ForwarderOptions {
  /** The port to listen on; default a free one chosen by the OS. Fails when it is taken. */
  readonly listenPort?: number
  /** Default `127.0.0.1`. */
  readonly targetHost?: string
}

/** Starts a forwarder to `targetHost:targetPort` living in the current scope. */
export const make = (targetPort: number, options: ForwarderOptions = {}): Effect.Effect<PortForwarder, Error, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.callback<{ server: net.Server; forwarder: PortForwarder; sockets: Set<net.Socket> }, Error>((resume) => {
      const targetHost = options.targetHost ?? "127.0.0.1"
      const sockets = new Set<net.Socket>()
      const clients = new Set<net.Socket>()
      const upstreamPorts = new Set<number>()
      let accepted = 0
      let refused = 0
      let bytesUp = 0
      let bytesDown = 0
      let refusing = false
      const track = (s: net.Socket) => {
        sockets.add(s)
        s.once("close", () => sockets.delete(s))
      }
      const server = net.createServer((client) => {
        accepted++
        track(client)
        clients.add(client)
        client.once("close", () => clients.delete(client))
        client.on("error", () => client.destroy())
        if (refusing) {
          refused++
          client.destroy()
          return
        }
        client.pause()
        const upstream = net.connect({ host: targetHost, port: targetPort })
        track(upstream)
        upstream.setNoDelay(true)
        client.setNoDelay(true)
        upstream.once("connect", () => {
          if (upstream.localPort !== undefined) upstreamPorts.add(upstream.localPort)
          client.resume()
        })
        client.on("data", (chunk: Buffer) => {
          bytesUp += chunk.length
          upstream.write(chunk)
        })
        upstream.on("data", (chunk: Buffer) => {
          bytesDown += chunk.length
          client.write(chunk)
        })
        // Either side ending or failing ends both: a proxied connection dies as one.
        const closeBoth = () => {
          client.destroy()
          upstream.destroy()
        }
        client.once("close", closeBoth)
        upstream.once("close", closeBoth)
        upstream.on("error", closeBoth)
        client.on("end", closeBoth)
        upstream.on("end", closeBoth)
      })
      server.once("error", (error) => resume(Effect.fail(error)))
      server.listen(options.listenPort ?? 0, "127.0.0.1", () => {
        const address = server.address()
        if (address === null || typeof address === "string") {
          resume(Effect.fail(new Error("forwarder: no port")))
          return
        }
        const forwarder: PortForwarder = {
          host: "127.0.0.1",
          port: address.port,
          targetPort,
          stats: () => ({ accepted, refused, active: clients.size, bytesUp, bytesDown }),
          upstreamPorts: () => upstreamPorts,
          setRefusing: (value) => {
            refusing = value
            if (value) for (const s of sockets) s.destroy()
          }
        }
        resume(Effect.succeed({ server, forwarder, sockets }))
      })
    }),
    ({ server, sockets }) =>
      Effect.callback<void>((resume) => {
        for (const s of sockets) s.destroy()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ forwarder }) => forwarder))
