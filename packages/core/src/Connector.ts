/**
 * The service that opens a byte stream to `host:port`. `@keyslot/node` implements it with Node
 * sockets; tests can provide fakes (a scripted server, a connector that refuses).
 *
 * @since 0.1.0
 */
import { Context } from "effect"
import type { Duration, Effect, Scope } from "effect"
import type { ConnectionError } from "./ClusterError.js"

/**
 * A node address.
 *
 * @since 0.1.0
 * @category models
 */
export interface Endpoint {
  readonly host: string
  readonly port: number
}

/**
 * TLS settings, the same for seed nodes and for every node discovered later.
 *
 * @since 0.1.0
 * @category models
 */
export interface TlsOptions {
  /** Trusted CA certificates (PEM). */
  readonly ca?: string | Uint8Array | ReadonlyArray<string | Uint8Array> | undefined
  /** Client certificate (PEM) for mutual TLS. */
  readonly cert?: string | Uint8Array | undefined
  /** Client private key (PEM) for mutual TLS. */
  readonly key?: string | Uint8Array | undefined
  /** Server name for SNI and certificate checks; defaults to the host. */
  readonly servername?: string | undefined
  /** `false` accepts any certificate (testing only). Defaults to `true`. */
  readonly rejectUnauthorized?: boolean | undefined
}

/**
 * How to open one connection.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectOptions {
  /** `true` or settings for TLS; absent or `false` for plain TCP. */
  readonly tls?: boolean | TlsOptions | undefined
  /** Deadline for the socket to open (TCP + TLS handshake). */
  readonly connectTimeout?: Duration.Duration | undefined
}

/**
 * An open byte stream. Writes are synchronous (the connection coalesces each batch of commands into
 * one write) and report when the stream's buffer is full, so that a peer that does not read can
 * hold commands back instead of piling them up in memory; reading is one long-running Effect that
 * ends when the peer closes.
 *
 * @since 0.1.0
 * @category models
 */
export interface Transport {
  /**
   * Queue bytes on the socket (they are always taken). `false` says the buffer is full: the writer
   * holds further writes until `onDrain`'s callback. A transport that never fills up may return
   * `true` or nothing. After the stream ended this is a no-op.
   */
  readonly write: (chunk: Uint8Array) => boolean | void
  /**
   * Sets the callback run each time the buffer has emptied after a `write` returned `false`
   * (Node's `drain`). Called once, by the transport's one writer. Required when `write` can return
   * `false`: without it the writer would wait forever.
   */
  readonly onDrain?: ((callback: () => void) => void) | undefined
  /**
   * Deliver every received chunk to `onData`, in order, as each read completes (bytes that arrived
   * before `run` was called are kept and delivered first). Succeeds when the peer closes the
   * stream cleanly, fails with `ConnectionError` on a socket error.
   */
  readonly run: (onData: (chunk: Uint8Array) => void) => Effect.Effect<void, ConnectionError>
  /** Destroy the socket now (after a protocol error, say); `run` then ends. Idempotent. */
  readonly close: () => void
  /**
   * `true` when a chunk given to `onData` is valid only during that call (the socket reads into
   * one reused buffer): the reader must copy what it keeps. Default `false`.
   */
  readonly transientChunks?: boolean | undefined
}

/**
 * Opens transports; the socket is closed when the scope closes.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectorService {
  readonly connect: (endpoint: Endpoint, options: ConnectOptions) => Effect.Effect<Transport, ConnectionError, Scope.Scope>
}

/**
 * The `Connector` service: how byte streams to nodes are opened.
 *
 * @since 0.1.0
 * @category services
 */
export class Connector extends Context.Service<Connector, ConnectorService>()("@keyslot/core/Connector") {}
