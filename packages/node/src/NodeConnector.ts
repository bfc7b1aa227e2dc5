/**
 * keyslot's `Connector` for Node.js: TCP and TLS sockets from `node:net` / `node:tls`. Plain TCP
 * reads into one reused buffer (`onread`), handed to the connection as transient chunks; TLS reads
 * through the socket's `data` event.
 *
 * Effect 4's `NodeSocket` reads in paused mode and resumes a reader fiber per read; on a serial
 * round trip that cost 10-20 us of client CPU more than the `data` event (14-18k vs 20-22k GET/s
 * against one server), and `onread` saves another 1-4 us per read (no stream machinery, no buffer
 * per read; bench/README.md). The connection matches replies itself.
 *
 * Writes report Node's backpressure (`write` returns `false`, `onDrain` follows the socket's `drain`),
 * so a peer that stops reading holds commands in the connection's bounded outbox instead of Node's
 * unbounded write buffer. TCP keepalive is on, so an idle connection to a vanished peer is found.
 *
 * @since 0.1.0
 */
import { ClusterError, Connector } from "@keyslot/core"
import { Duration, Effect, Layer } from "effect"
import * as Net from "node:net"
import * as Tls from "node:tls"

const describe = (cause: unknown): string => {
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code
    return code !== undefined ? `${code}: ${cause.message}` : cause.message
  }
  return String(cause)
}

const tlsOptions = (endpoint: Connector.Endpoint, tls: Connector.TlsOptions | true): Tls.ConnectionOptions => {
  const o: Tls.ConnectionOptions = { host: endpoint.host, port: endpoint.port }
  if (tls === true) return { ...o, servername: Net.isIP(endpoint.host) === 0 ? endpoint.host : undefined }
  const servername = tls.servername ?? (Net.isIP(endpoint.host) === 0 ? endpoint.host : undefined)
  return {
    ...o,
    ...(servername !== undefined ? { servername } : {}),
    ...(tls.ca !== undefined ? { ca: tls.ca as Tls.ConnectionOptions["ca"] } : {}),
    ...(tls.cert !== undefined ? { cert: tls.cert as Tls.ConnectionOptions["cert"] } : {}),
    ...(tls.key !== undefined ? { key: tls.key as Tls.ConnectionOptions["key"] } : {}),
    ...(tls.rejectUnauthorized !== undefined ? { rejectUnauthorized: tls.rejectUnauthorized } : {})
  }
}

/** Opens the socket and waits for it to be connected (TLS: handshake done). */
const openSocket = (endpoint: Connector.Endpoint, options: Connector.ConnectOptions, reads: Reads) =>
  Effect.acquireRelease(
    Effect.callback<Net.Socket, ClusterError.ConnectionError>((resume) => {
      const tls = options.tls
      const plain = tls === undefined || tls === false
      const socket = plain
        ? Net.createConnection({
          host: endpoint.host,
          port: endpoint.port,
          noDelay: true,
          onread: { buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES), callback: reads.onRead }
        })
        : Tls.connect(tlsOptions(endpoint, tls))
      const ready = plain ? "connect" : "secureConnect"
      const onError = (cause: Error) => {
        socket.destroy()
        resume(Effect.fail(new ClusterError.ConnectionError({ ...endpoint, reason: describe(cause), cause })))
      }
      socket.once("error", onError)
      socket.once(ready, () => {
        socket.off("error", onError)
        socket.setNoDelay(true)
        socket.setKeepAlive(true, KEEPALIVE_INITIAL_DELAY_MS)
        resume(Effect.succeed(socket))
      })
      return Effect.sync(() => socket.destroy())
    }),
    (socket) => Effect.sync(() => socket.destroy())
  )

/**
 * Idle time before the first TCP keepalive probe. A peer that vanished (host down, cable pulled,
 * a NAT that forgot the flow) sends no FIN: without probes an idle connection to it looks open
 * forever. 30 s, like Redis's own `tcp-keepalive` order of magnitude (300 s) but shorter, so that a
 * dead idle connection is found before most users notice; a probe is a few bytes.
 */
const KEEPALIVE_INITIAL_DELAY_MS = 30_000

/** Bytes of the one buffer a plain TCP socket reads into. */
const READ_BUFFER_BYTES = 64 * 1024

/** Where a plain TCP socket's reads go: to the reader once `run` attached it, kept until then. */
class Reads {
  handler: ((chunk: Uint8Array) => void) | undefined = undefined
  early: Array<Uint8Array> | undefined = undefined
  readonly onRead = (nread: number, buffer: Uint8Array): boolean => {
    const chunk = buffer.subarray(0, nread)
    if (this.handler !== undefined) this.handler(chunk)
    else (this.early ??= []).push(Buffer.from(chunk))
    return true
  }
}

const connect = (endpoint: Connector.Endpoint, options: Connector.ConnectOptions) =>
  Effect.gen(function*() {
    const timeout = options.connectTimeout
    const plain = options.tls === undefined || options.tls === false
    const reads = new Reads()
    const raw = yield* openSocket(endpoint, options, reads).pipe(
      timeout === undefined ? (e) => e : Effect.timeoutOrElse({
        duration: timeout,
        orElse: () =>
          Effect.fail(new ClusterError.ConnectionError({ ...endpoint, reason: `connect timed out after ${Duration.toMillis(timeout)} ms` }))
      })
    )
    // Errors between open and `run` must not crash the process; `run` reports them.
    let failure: Error | undefined
    raw.on("error", (cause) => {
      failure ??= cause
    })
    const ended = () =>
      failure === undefined
        ? Effect.void
        : Effect.fail(new ClusterError.ConnectionError({ ...endpoint, reason: describe(failure), cause: failure }))
    const transport: Connector.Transport = {
      transientChunks: plain,
      // The connection already coalesces each batch of commands into one buffer. Node takes the
      // bytes even when it answers false (its buffer is past the high-water mark): the connection
      // then holds its next batches until `drain`. A destroyed socket has nothing to wait for.
      write: (chunk) => raw.destroyed || raw.write(chunk),
      // The same event for TCP and TLS sockets.
      onDrain: (callback) => {
        raw.on("drain", callback)
      },
      run: (onData) =>
        Effect.callback<void, ClusterError.ConnectionError>((resume) => {
          if (plain) {
            // What the server sent before run (a last error reply before it closed, say) first.
            const early = reads.early
            reads.early = undefined
            if (early !== undefined) for (const chunk of early) onData(chunk)
            reads.handler = onData
          } else {
            // No encoding is ever set on the socket: every chunk is bytes.
            raw.on("data", onData)
          }
          // Ended or closed between open and run: its events are gone.
          if (raw.destroyed || raw.readableEnded) return resume(ended())
          // The server's FIN ends it: between `end` and `close` a write would only meet EPIPE.
          raw.once("end", () => resume(ended()))
          raw.once("close", () => resume(ended()))
          return Effect.sync(() => {
            reads.handler = undefined
            raw.off("data", onData)
          })
        }),
      close: () => {
        raw.destroy()
      }
    }
    return transport
  })

/**
 * The Node.js connector service.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Connector.ConnectorService = { connect }

/**
 * Provides `Connector` with Node.js TCP/TLS sockets.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Connector.Connector> = Layer.succeed(Connector.Connector, make)
