/**
 * keyslot's `Connector` for Node.js: TCP and TLS sockets, read through Effect's `NodeSocket`
 * (`@effect/platform-node-shared`, the socket module `@effect/platform-node` re-exports).
 *
 * @since 0.1.0
 */
import * as NodeSocket from "@effect/platform-node-shared/NodeSocket"
import { ClusterError, Connector } from "@keyslot/core"
import { Duration, Effect, Layer } from "effect"
import type * as Socket from "effect/socket/Socket"
import * as Net from "node:net"
import * as Tls from "node:tls"

const describe = (cause: unknown): string => {
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code
    return code !== undefined ? `${code}: ${cause.message}` : cause.message
  }
  return String(cause)
}

const socketErrorReason = (error: Socket.SocketError): string => {
  const reason = error.reason
  switch (reason._tag) {
    case "SocketCloseError":
      return reason.code === 1000 ? "connection closed by the server" : `connection lost (close code ${reason.code})`
    case "SocketReadError":
      return `read failed: ${describe(reason.cause)}`
    case "SocketWriteError":
      return `write failed: ${describe(reason.cause)}`
    case "SocketOpenError":
      return `open failed: ${describe(reason.cause)}`
    case "SocketUpgradeError":
      return `TLS upgrade failed: ${describe(reason.cause)}`
  }
}

/** The peer ended the stream cleanly: `run` succeeds rather than fails. */
const isCleanClose = (error: Socket.SocketError): boolean => error.reason._tag === "SocketCloseError" && error.reason.code === 1000

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
const openSocket = (endpoint: Connector.Endpoint, options: Connector.ConnectOptions) =>
  Effect.acquireRelease(
    Effect.callback<Net.Socket, ClusterError.ConnectionError>((resume) => {
      const tls = options.tls
      const socket = tls === undefined || tls === false
        ? Net.createConnection({ host: endpoint.host, port: endpoint.port, noDelay: true })
        : Tls.connect(tlsOptions(endpoint, tls))
      const ready = tls === undefined || tls === false ? "connect" : "secureConnect"
      const onError = (cause: Error) => {
        socket.destroy()
        resume(Effect.fail(new ClusterError.ConnectionError({ ...endpoint, reason: describe(cause), cause })))
      }
      socket.once("error", onError)
      socket.once(ready, () => {
        socket.off("error", onError)
        socket.setNoDelay(true)
        resume(Effect.succeed(socket))
      })
      return Effect.sync(() => socket.destroy())
    }),
    (socket) => Effect.sync(() => socket.destroy())
  )

const connect = (endpoint: Connector.Endpoint, options: Connector.ConnectOptions) =>
  Effect.gen(function*() {
    const timeout = options.connectTimeout
    const raw = yield* openSocket(endpoint, options).pipe(
      timeout === undefined ? (e) => e : Effect.timeoutOrElse({
        duration: timeout,
        orElse: () =>
          Effect.fail(new ClusterError.ConnectionError({ ...endpoint, reason: `connect timed out after ${Duration.toMillis(timeout)} ms` }))
      })
    )
    // Errors between open and `run` must not crash the process; `run` reports them.
    raw.on("error", () => {})
    const socket = yield* NodeSocket.fromDuplex(Effect.succeed(raw), { disableReconnects: true })
    const transport: Connector.Transport = {
      // Direct writes: the platform writer waits for each write's callback, and the connection
      // already coalesces a tick's commands into one buffer.
      write: (chunk) => {
        if (!raw.destroyed) raw.write(chunk)
      },
      run: (onData) =>
        Effect.scoped(Effect.flatMap(socket.reader, (reader) =>
          Effect.forever(Effect.map(reader.pull, (chunks) => {
            // No encoding is ever set on the socket: every chunk is bytes.
            for (const chunk of chunks) onData(chunk as Uint8Array)
          }))
        )).pipe(
          Effect.catch((error) =>
            isCleanClose(error)
              ? Effect.void
              : Effect.fail(new ClusterError.ConnectionError({ ...endpoint, reason: socketErrorReason(error), cause: error }))
          )
        ),
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
