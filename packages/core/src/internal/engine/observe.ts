/**
 * Opt-in observability: one span per user command (OpenTelemetry database attributes) and metrics
 * (commands, errors by tag, redirects, refreshes, latency). When both are off, `execute` is returned
 * unwrapped: the default path pays nothing.
 *
 * @internal
 */
import { Effect, Metric } from "effect"
import type { Context } from "effect"
import type * as ClusterError from "../../ClusterError.js"
import type { Command } from "../command/command.js"

/**
 * The metrics keyslot records when `metrics: true`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const metrics = {
  commands: Metric.counter("keyslot_commands_total", { description: "Commands run, by command name" }),
  errors: Metric.counter("keyslot_command_errors_total", { description: "Commands failed, by error tag" }),
  redirects: Metric.counter("keyslot_redirects_total", { description: "MOVED and ASK redirects followed" }),
  refreshes: Metric.counter("keyslot_topology_refreshes_total", { description: "Topology refreshes, by reason and outcome" }),
  latency: Metric.histogram("keyslot_command_duration_ms", {
    description: "Command latency in milliseconds, retries included",
    boundaries: Metric.exponentialBoundaries({ start: 0.05, factor: 2, count: 16 })
  })
}

type Execute = <A>(command: Command<A>) => Effect.Effect<A, ClusterError.RedisClusterError>

/** A metric with one attribute set, built once per value (`withAttributes` allocates). */
const byAttribute = <I, S>(metric: Metric.Metric<I, S>, key: string) => {
  const cache = new Map<string, Metric.Metric<I, S>>()
  return (value: string): Metric.Metric<I, S> => {
    let m = cache.get(value)
    if (m === undefined) {
      m = Metric.withAttributes(metric, { [key]: value })
      cache.set(value, m)
    }
    return m
  }
}

const commandsOf = byAttribute(metrics.commands, "command")
const errorsOf = byAttribute(metrics.errors, "error")
const redirectsOf = byAttribute(metrics.redirects, "kind")

/**
 * Wraps `execute` with spans and/or metrics as configured. Metrics go to `context`'s registry (the
 * client's, as for the engine's counters), whichever fiber runs the command.
 *
 * @since 0.1.0
 * @category utils
 */
export const instrument = (
  execute: Execute,
  options: { readonly tracing: boolean; readonly metrics: boolean },
  context: Context.Context<never>
): Execute => {
  if (!options.tracing && !options.metrics) return execute
  return <A>(command: Command<A>) => {
    let effect = execute(command)
    if (options.metrics) {
      const inner = effect
      effect = Effect.suspend(() => {
        const started = performance.now()
        return inner.pipe(
          Effect.tapError((e) => Effect.sync(() => errorsOf(e._tag).updateUnsafe(1, context))),
          Effect.ensuring(Effect.sync(() => {
            commandsOf(command.name).updateUnsafe(1, context)
            metrics.latency.updateUnsafe(performance.now() - started, context)
          }))
        )
      })
    }
    if (options.tracing) {
      effect = Effect.withSpan(effect, command.name, {
        kind: "client",
        attributes: {
          "db.system": "redis",
          "db.operation.name": command.name,
          ...(command.keys.length > 0 && typeof command.keys[0] === "string" ? { "db.redis.key": command.keys[0] } : {})
        }
      })
    }
    return effect
  }
}

/**
 * Synchronous counters for the engine's callbacks, recorded in the client's own metric registry.
 *
 * @since 0.1.0
 * @category utils
 */
export const counters = (context: Context.Context<never>) => ({
  /** Records a redirect. */
  redirect: (kind: "moved" | "ask"): void => redirectsOf(kind).updateUnsafe(1, context),
  /** Records a refresh. */
  refresh: (reason: string, ok: boolean): void =>
    Metric.withAttributes(metrics.refreshes, { reason, outcome: ok ? "ok" : "failed" }).updateUnsafe(1, context)
})
