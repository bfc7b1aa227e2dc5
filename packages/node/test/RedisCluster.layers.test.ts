import { describe, expect, it } from "@effect/vitest"
import type { ClusterError } from "@keyslot/core"
import { ClusterConfig, Command, RedisCluster, Topology } from "@keyslot/core"
import { NodeRedisCluster } from "@keyslot/node"
import { RedisClusterFixture } from "@keyslot/test-utils"
import { Config, ConfigProvider, Context, Effect, Fiber, Layer, Metric, Option, Result, Tracer } from "effect"
import type { Exit } from "effect"

const Fixture = RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 0 })

const build = (layer: Layer.Layer<RedisCluster.RedisCluster | Topology.ClusterTopology, unknown>) =>
  Effect.map(Layer.build(layer), (ctx) => Context.get(ctx, RedisCluster.RedisCluster))

describe("layers, config and observability", () => {
  it.live("layerFromUrl and layerConfig (from the environment) build working clients; bad URLs fail typed", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const [a, b] = fixture.startupNodes
      const url = `redis://${a!.host}:${a!.port},${b!.host}:${b!.port}?readFrom=replicaPreferred&commandTimeout=3000`
      const fromUrl = yield* build(NodeRedisCluster.layerFromUrl(url))
      yield* fromUrl.set("layer:url", "1")
      expect(yield* fromUrl.get("layer:url")).toEqual(Option.some("1"))
      const fromEnv = yield* build(NodeRedisCluster.layerConfig(ClusterConfig.urlConfig())).pipe(
        Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env: { REDIS_CLUSTER_URL: url } }))
      )
      expect(yield* fromEnv.get("layer:url")).toEqual(Option.some("1"))
      const wrapped = yield* build(NodeRedisCluster.layerConfig({
        startupNodes: Config.succeed(fixture.startupNodes),
        clientName: Config.String("NAME")
      })).pipe(Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env: { NAME: "from-config" } })))
      expect(yield* wrapped.ping()).toBe("PONG")
      const bad = yield* Effect.result(build(NodeRedisCluster.layerFromUrl("unix:///tmp/redis.sock")))
      expect(Result.isFailure(bad) && (bad.failure as ClusterError.ConfigError)._tag).toBe("ConfigError")
      expect(Result.isFailure(bad) && (bad.failure as ClusterError.ConfigError).field).toBe("url")
    }).pipe(Effect.provide(Fixture)), 60_000)

  it.live("metrics: commands, errors by tag and redirects are counted when enabled", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const redis = yield* build(NodeRedisCluster.layer({ startupNodes: fixture.startupNodes, metrics: true }))
      const commands = Metric.withAttributes(RedisCluster.metrics.commands, { command: "GET" })
      const errors = Metric.withAttributes(RedisCluster.metrics.errors, { error: "ReplyError" })
      const latencyBefore = (yield* Metric.value(RedisCluster.metrics.latency)).count
      const before = (yield* Metric.value(commands)).count
      const errorsBefore = (yield* Metric.value(errors)).count
      yield* redis.set("m:s", "x")
      for (let i = 0; i < 5; i++) yield* redis.get("m:s")
      yield* Effect.result(redis.incr("m:s"))
      expect((yield* Metric.value(commands)).count - before).toBe(5)
      expect((yield* Metric.value(errors)).count - errorsBefore).toBe(1)
      expect((yield* Metric.value(RedisCluster.metrics.latency)).count - latencyBefore).toBe(7)
    }).pipe(Effect.provide(Fixture)), 60_000)

  it.live("tracing: one span per command with database attributes when enabled", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const traced = yield* build(NodeRedisCluster.layer({ startupNodes: fixture.startupNodes, tracing: true }))
      const spans: Array<{ name: string; attributes: ReadonlyMap<string, unknown> }> = []
      yield* traced.set("t:k", "v").pipe(
        Effect.andThen(traced.get("t:k")),
        Effect.withSpan("parent"),
        Effect.tap(() => Effect.void),
        Effect.withTracer(recordingTracer(spans))
      )
      const names = spans.map((s) => s.name)
      expect(names).toContain("SET")
      expect(names).toContain("GET")
      const get = spans.find((s) => s.name === "GET")!
      expect(get.attributes.get("db.system")).toBe("redis")
      expect(get.attributes.get("db.operation.name")).toBe("GET")
    }).pipe(Effect.provide(Fixture)), 60_000)

  it.live("blocking commands use a bounded per-node pool: the next one waits, then times out with a typed error", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisClusterFixture.RedisClusterFixture
      const redis = yield* build(NodeRedisCluster.layer({
        startupNodes: fixture.startupNodes,
        maxBlockingConnectionsPerNode: 1,
        blockingPoolTimeout: "300 millis"
      }))
      const blocked = yield* Effect.forkChild(redis.execute(Command.blpop("{bl}q", 2)))
      yield* Effect.sleep("100 millis")
      // The shared connection is not stalled by the blocked pop.
      expect(yield* redis.set("{bl}other", "1")).toEqual(Option.some("OK"))
      const waited = yield* Effect.result(redis.execute(Command.blpop("{bl}q2", 1)))
      expect(Result.isFailure(waited) && waited.failure._tag).toBe("TimeoutError")
      yield* redis.execute(Command.raw(["RPUSH", "{bl}q", "x"], { keys: ["{bl}q"] }))
      const popped = yield* Fiber.join(blocked)
      expect(Option.isSome(popped)).toBe(true)
    }).pipe(Effect.provide(Fixture)), 60_000)
})

/** A tracer that records finished spans' names and attributes. */
const recordingTracer = (spans: Array<{ name: string; attributes: ReadonlyMap<string, unknown> }>) =>
  Effect.runSync(Effect.map(Effect.tracer, (base) =>
    Tracer.make({
      ...base,
      span(options) {
        const span = base.span(options)
        const end = span.end.bind(span)
        return Object.assign(span, {
          end: (endTime: bigint, exit: Exit.Exit<unknown, unknown>) => {
            spans.push({ name: options.name, attributes: span.attributes })
            end(endTime, exit)
          }
        })
      }
    })))
