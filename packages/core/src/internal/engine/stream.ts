/**
 * Pipelines over a `Stream` of commands, for bulk work of any size (loads, migrations): the
 * commands go out as pipelines of `batchSize`, at most `inFlight` of them at a time, and results
 * come out in input order. The stream is pulled only as fast as results are consumed, so neither
 * the commands nor their results pile up, however long the input.
 *
 * Each batch is a `pipelineSettled` (see `batch.ts`): redirects and transient failures are
 * retried per command, and a write that may have run is never sent again; its outcome is the
 * `ConnectionError` with `written: true` that says so.
 *
 * @internal
 */
import { Effect, Result, Stream } from "effect"
import * as ClusterError from "../../ClusterError.js"
import type { Command } from "../command/command.js"
import { refusal } from "./batch.js"

/**
 * Options of `pipelineStream` and `pipelineStreamSettled`.
 *
 * @since 0.1.0
 * @category models
 */
export interface PipelineStreamOptions {
  /** Commands per pipeline. Default 1000. */
  readonly batchSize?: number | undefined
  /**
   * Pipelines in flight at once. Default 4. `batchSize × inFlight` bounds the commands (and
   * results) held at any time. Within a pipeline, commands of one slot run in input order; across
   * pipelines in flight together, a command re-sent after a redirect (a slot migrating mid-stream)
   * can run after a later pipeline's command of the same slot. Use `1` when later commands depend
   * on earlier ones' effects on the same keys (a key set twice, a counter read back).
   */
  readonly inFlight?: number | undefined
}

type Settle = (commands: ReadonlyArray<Command<unknown>>) => Effect.Effect<ReadonlyArray<Result.Result<unknown, ClusterError.RedisClusterError>>, ClusterError.RedisClusterError>

const positive = (n: number | undefined, fallback: number, name: string): number | ClusterError.ConfigError =>
  n === undefined
    ? fallback
    : Number.isInteger(n) && n >= 1
    ? n
    : new ClusterError.ConfigError({ field: name, reason: `must be a positive integer, got ${n}` })

type Outcome = Result.Result<unknown, ClusterError.RedisClusterError>

/**
 * Builds both streaming forms over a client's `pipelineSettled`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (settle: Settle) => {
  /** One batch: refused commands fail on their own (nothing sent), the others as a pipeline. */
  const runBatch = (batch: ReadonlyArray<Command<unknown>>, offset: number): Effect.Effect<ReadonlyArray<Outcome>> =>
    Effect.suspend(() => {
      const out = new Array<Outcome>(batch.length)
      const sendable: Array<Command<unknown>> = []
      const positions: Array<number> = []
      for (let i = 0; i < batch.length; i++) {
        const refused = refusal(batch[i]!, offset + i)
        if (refused !== undefined) out[i] = Result.fail(refused)
        else {
          sendable.push(batch[i]!)
          positions.push(i)
        }
      }
      if (sendable.length === 0) return Effect.succeed(out)
      return Effect.map(
        Effect.catch(settle(sendable), (error) => Effect.succeed(sendable.map((): Outcome => Result.fail(error)))),
        (results) => {
          for (let j = 0; j < results.length; j++) {
            const i = positions[j]!
            out[i] = Result.mapError(results[j]!, (error) => ClusterError.atIndex(error, offset + i))
          }
          return out
        }
      )
    })

  /** Every batch's outcomes, in input order, `inFlight` batches at a time. */
  const batches = <A, E, R>(
    commands: Stream.Stream<Command<A>, E, R>,
    options: PipelineStreamOptions | undefined
  ): Stream.Stream<ReadonlyArray<Outcome>, E | ClusterError.ConfigError, R> => {
    const batchSize = positive(options?.batchSize, 1000, "batchSize")
    const inFlight = positive(options?.inFlight, 4, "inFlight")
    if (typeof batchSize !== "number") return Stream.fail(batchSize)
    if (typeof inFlight !== "number") return Stream.fail(inFlight)
    return Stream.suspend(() => {
      // Numbered as they come: an error's index counts from the start of the stream.
      let next = 0
      return commands.pipe(
        Stream.grouped(batchSize),
        Stream.mapEffect((batch) => {
          const offset = next
          next += batch.length
          return runBatch(batch as ReadonlyArray<Command<unknown>>, offset)
        }, { concurrency: inFlight })
      )
    })
  }

  const settledStream = <A, E, R>(
    commands: Stream.Stream<Command<A>, E, R>,
    options?: PipelineStreamOptions
  ): Stream.Stream<Result.Result<A, ClusterError.RedisClusterError>, E | ClusterError.ConfigError, R> =>
    Stream.flattenIterable(batches(commands, options)) as Stream.Stream<Result.Result<A, ClusterError.RedisClusterError>, E | ClusterError.ConfigError, R>

  const stream = <A, E, R>(
    commands: Stream.Stream<Command<A>, E, R>,
    options?: PipelineStreamOptions
  ): Stream.Stream<A, E | ClusterError.RedisClusterError, R> =>
    Stream.flatMap(batches(commands, options), (outcomes) => {
      const values: Array<A> = []
      for (const outcome of outcomes) {
        // The values before the first failure, then the failure: the stream ends there.
        if (Result.isFailure(outcome)) return Stream.concat(Stream.fromIterable(values), Stream.fail(outcome.failure))
        values.push(outcome.success as A)
      }
      return Stream.fromIterable(values)
    })

  return { stream, settledStream }
}
