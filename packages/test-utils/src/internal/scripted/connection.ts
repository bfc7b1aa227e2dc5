/**
 * One in-memory connection between a client and a scripted node: the client's `Transport` on one
 * side, the node's command processing on the other. Bytes written by the client are read on a
 * later turn of the event loop (`setImmediate`), every complete command is logged, the node's
 * rules are applied, and the replies of one turn go back as one chunk, in order.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Api from "../../ScriptedCluster.js"
import type { ClusterState } from "./cluster.js"
import type { NodeState } from "./node.js"
import { encodeReply, ErrorReply, ProtocolViolation, Reader, type Reply, SimpleString } from "./wire.js"

const requestOf = (value: Reply): Array<Buffer> | undefined => {
  if (!Array.isArray(value) || value.length === 0) return undefined
  const args: Array<Buffer> = []
  for (const v of value as ReadonlyArray<Reply>) {
    if (!(v instanceof Uint8Array)) return undefined
    args.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength))
  }
  return args
}

/**
 * The connection: the client's transport, and the per-connection server state.
 *
 * @internal
 *
 * @since 0.1.0
 * @category internal
 */
export class ServerConnection implements Api.Transport {
  readonly transientChunks = false as const
  /** RESP version agreed with HELLO. */
  protocol: 2 | 3 = 2
  name: string | undefined = undefined
  authed: boolean
  /** READONLY was sent (replica reads). */
  readonly = false
  /** ASKING was sent: the next command may run on an importing node. */
  asking = false
  /** Commands queued since MULTI. */
  multi: Array<ReadonlyArray<Buffer>> | undefined = undefined
  /** A command was refused while queueing: EXEC aborts. */
  dirty = false
  /** A `Stall` rule holds this connection until the node's `release()`. */
  stalled = false
  closed = false

  private readonly reader = new Reader()
  /** Received, not yet answered (waiting for their turn, or held by a stall). */
  private readonly held: Array<ReadonlyArray<Buffer>> = []
  /** The command a `Stall` rule held: rules are not applied to it again. */
  private heldByRule: ReadonlyArray<Buffer> | undefined = undefined
  private out: Array<Buffer> = []
  private onData: ((chunk: Uint8Array) => void) | undefined = undefined
  /** Sent before `run` attached a reader. */
  private early: Array<Buffer> = []
  /** Ends `run`. */
  private finish: (() => void) | undefined = undefined
  private scheduled = false
  private broken = false

  constructor(readonly cluster: ClusterState<unknown>, readonly node: NodeState, readonly id: number) {
    this.authed = cluster.options.password === undefined
    node.conns.add(this)
  }

  readonly write = (chunk: Uint8Array): void => {
    if (this.closed || this.broken) return
    this.reader.push(chunk)
    this.schedule()
  }

  readonly run = (onData: (chunk: Uint8Array) => void): Effect.Effect<void> =>
    Effect.callback<void>((resume) => {
      const early = this.early
      this.early = []
      for (const chunk of early) onData(chunk)
      if (this.closed) return resume(Effect.void)
      this.onData = onData
      this.finish = () => resume(Effect.void)
      return Effect.sync(() => {
        this.onData = undefined
        this.finish = undefined
      })
    })

  readonly close = (): void => {
    if (this.closed) return
    this.closed = true
    this.node.conns.delete(this)
    this.held.length = 0
    this.out = []
    this.onData = undefined
    const finish = this.finish
    this.finish = undefined
    if (finish !== undefined) setImmediate(finish)
  }

  /**
   * Closes from the server's side, after delivering the replies already made. `inTurn`: called
   * while serving the connection (on the event loop), so `run` ends at once; otherwise (a test's
   * call) it ends on the next turn, as a socket's `close` event would.
   */
  end(inTurn: boolean): void {
    if (this.closed) return
    this.flush()
    if (this.closed) return
    this.closed = true
    this.node.conns.delete(this)
    this.held.length = 0
    this.onData = undefined
    const finish = this.finish
    this.finish = undefined
    if (finish !== undefined) {
      if (inTurn) finish()
      else setImmediate(finish)
    }
  }

  /** Serves what a stall held back, on the next turn. */
  resume(): void {
    this.stalled = false
    this.schedule()
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.turn()
    })
  }

  private turn(): void {
    if (this.closed) return
    if (!this.broken) {
      try {
        for (let r = this.reader.next(); r !== undefined; r = this.reader.next()) {
          const args = requestOf(r.value)
          if (args === undefined) throw new ProtocolViolation("expected a command: an array of bulk strings")
          this.node.record(this.id, args)
          this.held.push(args)
        }
      } catch (cause) {
        if (!(cause instanceof ProtocolViolation)) throw cause
        this.broken = true
      }
    }
    while (!this.closed && this.held.length > 0 && !this.node.stalled && !this.stalled) {
      this.serve(this.held.shift()!)
    }
    if (this.closed) return
    if (this.broken && this.held.length === 0) {
      this.push(new ErrorReply("ERR Protocol error: expected a command (an array of bulk strings)"))
      return this.end(true)
    }
    this.flush()
  }

  private serve(args: ReadonlyArray<Buffer>): void {
    const name = args[0]!.toString("utf8").toUpperCase()
    if (name === "QUIT") {
      this.push(new SimpleString("OK"))
      return this.end(true)
    }
    const rule = this.heldByRule === args ? undefined : this.node.match(args, name)
    this.heldByRule = undefined
    if (rule !== undefined) {
      const action = rule.action
      switch (action._tag) {
        case "Error":
        case "Reply": {
          this.push(action._tag === "Error" ? new ErrorReply(action.message) : action.reply)
          // It took the place of the command: an EXEC or DISCARD ends the transaction, a command
          // refused while queueing aborts it.
          if (this.multi !== undefined) {
            if (name === "EXEC" || name === "DISCARD") this.multi = undefined
            else if (action._tag === "Error" && name !== "MULTI") this.dirty = true
          }
          return
        }
        case "Close":
          if (action.execute) this.cluster.execute(this.node, this, args)
          return this.end(true)
        case "Stall":
          this.held.unshift(args)
          this.heldByRule = args
          this.stalled = true
          return
      }
    }
    this.push(this.cluster.execute(this.node, this, args))
  }

  private push(reply: Reply): void {
    encodeReply(reply, this.protocol, this.out)
  }

  private flush(): void {
    if (this.out.length === 0) return
    const chunk = Buffer.concat(this.out)
    this.out = []
    const onData = this.onData
    if (onData !== undefined) onData(chunk)
    else this.early.push(chunk)
  }
}
