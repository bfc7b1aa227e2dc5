/**
 * Opt-in observability: one span per user command (OpenTelemetry database attributes) and metrics
 * (commands, errors by tag, redirects, refreshes, latency). When both are off, `execute` is returned
 * unwrapped: the default path pays nothing.
 *
 * @internal
 */
import { Effect, Metric, MetricBoundaries } from "effect"
import type * as ClusterError from "../ClusterError.js"
import type { Command } from "./command.js"

/** The metrics keyslot records when `metrics: true`. */
export const metrics = {
  commands: Metric.counter("keyslot_commands_total", { description: "Commands run, by command name" }),
  errors: Metric.counter("keyslot_command_errors_total", { description: "Commands failed, by error tag" }),
  redirects: Metric.counter("keyslot_redirects_total", { description: "MOVED and ASK redirects followed" }),
  refreshes: Metric.counter("keyslot_topology_refreshes_total", { description: "Topology refreshes, by reason and outcome" }),
  latency: Metric.histogram(
    "keyslot_command_duration_ms",
    MetricBoundaries.exponential({ start: 0.05, factor: 2, count: 16 }),
    "Command latency in milliseconds, retries included"
  )
}

type Execute = <A>(command: Command<A>) => Effect.Effect<A, ClusterError.RedisClusterError>

/** Wraps `execute` with spans and/or metrics as configured. */
export const instrument = (execute: Execute, options: { readonly tracing: boolean; readonly metrics: boolean }): Execute => {
  if (!options.tracing && !options.metrics) return execute
  return <A>(command: Command<A>) => {
    let effect = execute(command)
    if (options.metrics) {
      const inner = effect
      effect = Effect.suspend(() => {
        const started = performance.now()
        return inner.pipe(
          Effect.tapError((e) => Metric.increment(Metric.tagged(metrics.errors, "error", e._tag))),
          Effect.ensuring(Effect.suspend(() =>
            Effect.zipRight(
              Metric.increment(Metric.tagged(metrics.commands, "command", command.name)),
              Metric.update(metrics.latency, performance.now() - started)
            )
          ))
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

/** Records a redirect (metrics on). */
export const countRedirect = (kind: "moved" | "ask"): void => {
  Effect.runSync(Metric.increment(Metric.tagged(metrics.redirects, "kind", kind)))
}

/** Records a refresh (metrics on). */
export const countRefresh = (reason: string, ok: boolean): void => {
  Effect.runSync(Metric.increment(Metric.tagged(Metric.tagged(metrics.refreshes, "reason", reason), "outcome", ok ? "ok" : "failed")))
}
