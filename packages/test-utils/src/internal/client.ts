/**
 * An Effect wrapper around one lazily (re)opened, optionally authenticated admin connection to one
 * server.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { Connection, type ConnectionFailure } from "./connection.js"
import { FixtureError, RedisReplyError } from "./errors.js"
import { type Arg, ErrorReply, type Reply } from "./resp.js"

/**
 * Credentials sent with `AUTH` right after connecting. @internal
 *
 * @since 0.1.0
 * @category models
 */
export interface Auth {
  readonly username?: string | undefined
  readonly password: string
}

/**
 * @internal
 *
 * @since 0.1.0
 * @category constants
 */
export const CONNECT_TIMEOUT_MS = 1_000
/**
 * @internal
 *
 * @since 0.1.0
 * @category constants
 */
export const COMMAND_TIMEOUT_MS = 5_000

type Waiter = (error: FixtureError | undefined, connection?: Connection) => void

/**
 * @internal
 *
 * @since 0.1.0
 * @category models
 */
export class AdminClient {
  private connection: Connection | undefined
  private waiters: Array<Waiter> | undefined

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly auth: Auth | undefined,
    private readonly defaultTimeoutMs: number = COMMAND_TIMEOUT_MS
  ) {}

  /** Sends one command; an error reply fails with `RedisReplyError`. */
  command(args: ReadonlyArray<Arg>, timeoutMs: number = this.defaultTimeoutMs): Effect.Effect<Reply, FixtureError | RedisReplyError> {
    return Effect.callback<Reply, FixtureError | RedisReplyError>((resume) => {
      let cancel: (() => void) | undefined
      let cancelled = false
      const waiter: Waiter = (error, connection) => {
        if (cancelled) return
        if (error || connection === undefined) {
          resume(Effect.fail(error ?? new FixtureError({ message: `${this.host}:${this.port}: no connection` })))
          return
        }
        cancel = connection.send(args, timeoutMs, (failure, reply) => {
          if (failure) resume(Effect.fail(this.connectionError(args, failure)))
          else if (reply instanceof ErrorReply) resume(Effect.fail(this.replyError(args, reply)))
          else resume(Effect.succeed(reply ?? null))
        })
      }
      this.withConnection(waiter)
      return Effect.sync(() => {
        cancelled = true
        if (this.waiters) {
          const i = this.waiters.indexOf(waiter)
          if (i >= 0) this.waiters.splice(i, 1)
        }
        cancel?.()
      })
    })
  }

  /** Drops the current connection (the next command opens a new one). */
  reset(): void {
    const connection = this.connection
    this.connection = undefined
    connection?.close()
  }

  private withConnection(waiter: Waiter): void {
    if (this.connection !== undefined && !this.connection.closed) {
      waiter(undefined, this.connection)
      return
    }
    this.connection = undefined
    if (this.waiters !== undefined) {
      this.waiters.push(waiter)
      return
    }
    const waiters: Array<Waiter> = [waiter]
    this.waiters = waiters
    const settle = (error: FixtureError | undefined, connection?: Connection) => {
      this.waiters = undefined
      if (connection !== undefined) this.connection = connection
      for (const w of waiters) w(error, connection)
    }
    Connection.open(this.host, this.port, CONNECT_TIMEOUT_MS, (failure, connection) => {
      if (failure || connection === undefined) {
        settle(new FixtureError({ message: `cannot connect to ${this.host}:${this.port}: ${failure?.message}`, cause: failure }))
        return
      }
      if (this.auth === undefined) {
        settle(undefined, connection)
        return
      }
      const authArgs: Array<Arg> = this.auth.username === undefined
        ? ["AUTH", this.auth.password]
        : ["AUTH", this.auth.username, this.auth.password]
      connection.send(authArgs, COMMAND_TIMEOUT_MS, (error, reply) => {
        if (error) {
          settle(this.connectionError(["AUTH"], error))
        } else if (reply instanceof ErrorReply) {
          connection.close()
          settle(new FixtureError({ message: `AUTH failed on ${this.host}:${this.port}: ${reply.message}` }))
        } else {
          settle(undefined, connection)
        }
      })
    })
  }

  private connectionError(args: ReadonlyArray<Arg>, failure: ConnectionFailure): FixtureError {
    return new FixtureError({ message: `${String(args[0] ?? "")} on ${this.host}:${this.port} failed: ${failure.message}`, cause: failure })
  }

  private replyError(args: ReadonlyArray<Arg>, reply: ErrorReply): RedisReplyError {
    const space = reply.message.indexOf(" ")
    return new RedisReplyError({
      message: reply.message,
      code: space < 0 ? reply.message : reply.message.slice(0, space),
      host: this.host,
      port: this.port,
      command: String(args[0] ?? "")
    })
  }
}
