/**
 * One RESP2 connection over `node:net` for administrative commands. Commands may be issued
 * concurrently: they are written in order and replies are matched in order (FIFO). A timeout, a
 * cancelled command or any socket error destroys the connection (reply alignment would be lost)
 * and fails every command still waiting on it.
 *
 * @internal
 */
import * as Net from "node:net"
import { type Arg, encode, Parser, type Reply } from "./resp.js"

/**
 * Why a command got no reply.
 *
 * @internal
 *
 * @since 0.1.0
 * @category errors
 */
export class ConnectionFailure extends Error {}

interface Pending {
  readonly callback: (error: ConnectionFailure | undefined, reply?: Reply) => void
  readonly timer: ReturnType<typeof setTimeout>
  readonly command: string
}

/**
 * @internal
 *
 * @since 0.1.0
 * @category models
 */
export class Connection {
  private readonly pending: Array<Pending> = []
  private readonly parser = new Parser()
  private failure: ConnectionFailure | undefined

  private constructor(private readonly socket: Net.Socket, readonly label: string) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk))
    socket.on("error", (error) => this.fail(new ConnectionFailure(`${label}: ${error.message}`)))
    socket.on("close", () => this.fail(new ConnectionFailure(`${label}: connection closed`)))
  }

  /** Opens a connection; `callback` gets it once connected, or the failure. */
  static open(
    host: string,
    port: number,
    timeoutMs: number,
    callback: (error: ConnectionFailure | undefined, connection?: Connection) => void
  ): () => void {
    const label = `${host}:${port}`
    const socket = Net.connect({ host, port })
    socket.setNoDelay(true)
    let done = false
    const finish = (error: ConnectionFailure | undefined) => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.removeListener("error", onError)
      socket.removeListener("connect", onConnect)
      if (error) {
        socket.destroy()
        callback(error)
      } else {
        callback(undefined, new Connection(socket, label))
      }
    }
    const onError = (error: Error) => finish(new ConnectionFailure(`${label}: ${error.message}`))
    const onConnect = () => finish(undefined)
    const timer = setTimeout(
      () => finish(new ConnectionFailure(`${label}: connect timed out after ${timeoutMs} ms`)),
      timeoutMs
    )
    socket.once("error", onError)
    socket.once("connect", onConnect)
    socket.unref()
    return () => finish(new ConnectionFailure(`${label}: connect cancelled`))
  }

  /** Whether the connection can no longer be used. */
  get closed(): boolean {
    return this.failure !== undefined
  }

  /**
   * Sends one command; `callback` receives its reply (error replies arrive as `ErrorReply`
   * values). Returns a canceller, which destroys the connection if the reply is still due.
   */
  send(
    args: ReadonlyArray<Arg>,
    timeoutMs: number,
    callback: (error: ConnectionFailure | undefined, reply?: Reply) => void
  ): () => void {
    const command = String(args[0] ?? "")
    if (this.failure) {
      const failure = this.failure
      queueMicrotask(() => callback(failure))
      return () => {}
    }
    const timer = setTimeout(
      () => this.fail(new ConnectionFailure(`${this.label}: ${command} timed out after ${timeoutMs} ms`)),
      timeoutMs
    )
    const entry: Pending = { callback, timer, command }
    this.pending.push(entry)
    this.socket.write(encode(args))
    return () => {
      if (this.pending.includes(entry)) {
        this.fail(new ConnectionFailure(`${this.label}: ${command} cancelled`))
      }
    }
  }

  /** Closes the connection, failing whatever is still waiting. */
  close(): void {
    this.fail(new ConnectionFailure(`${this.label}: connection closed by the client`))
  }

  private onData(chunk: Buffer): void {
    this.parser.push(chunk)
    for (;;) {
      let next: { readonly value: Reply } | undefined
      try {
        next = this.parser.next()
      } catch (error) {
        this.fail(new ConnectionFailure(`${this.label}: protocol error: ${String(error)}`))
        return
      }
      if (next === undefined) return
      const entry = this.pending.shift()
      if (entry === undefined) {
        this.fail(new ConnectionFailure(`${this.label}: unexpected reply with no command waiting`))
        return
      }
      clearTimeout(entry.timer)
      entry.callback(undefined, next.value)
    }
  }

  private fail(failure: ConnectionFailure): void {
    if (this.failure) return
    this.failure = failure
    this.socket.destroy()
    const waiting = this.pending.splice(0)
    for (const entry of waiting) {
      clearTimeout(entry.timer)
      entry.callback(failure)
    }
  }
}
