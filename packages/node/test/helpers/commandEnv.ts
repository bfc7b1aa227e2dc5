/**
 * The setup shared by the command-group tests (`test/commands/*.test.ts`): a real cluster of 3
 * masters without replicas, the default client (RESP3) as `RedisCluster.RedisCluster` and a second
 * client on the same cluster speaking RESP2 as `Resp2`, plus the small helpers they all use.
 */
import { expect } from "@effect/vitest"
import { Command, RedisCluster, Slot } from "@keyslot/core"
import { NodeConnector, NodeRedisCluster } from "@keyslot/node"
import { RedisClusterFixture } from "@keyslot/test-utils"
import { Context, Effect, Layer, Result } from "effect"
import { waitUntil } from "./cluster.js"

/** A second client on the same cluster speaking RESP2. */
export class Resp2 extends Context.Service<Resp2, RedisCluster.RedisClusterService>()("test/commands/Resp2") {}

/**
 * The fixture (3 masters, no replicas; `options` add to that) with both clients, first contact
 * node 0; `clients` adds options to the RESP3 (`main`) and RESP2 (`resp2`) client.
 */
export const commandEnv = (
  options?: RedisClusterFixture.Options,
  clients?: {
    readonly main?: Partial<RedisCluster.RedisClusterConfig>
    readonly resp2?: Partial<RedisCluster.RedisClusterConfig>
  }
) => {
  const Fixture = RedisClusterFixture.layer({ masters: 3, replicasPerMaster: 0, ...options })
  const Clients = Layer.unwrap(
    Effect.map(RedisClusterFixture.RedisClusterFixture, (f) => {
      const config = { startupNodes: [f.startupNodes[0]!], commandTimeout: "5 seconds" } as const
      return Layer.merge(
        NodeRedisCluster.layer({ ...config, ...clients?.main }),
        Layer.effect(Resp2, RedisCluster.make({ ...config, ...clients?.resp2, protocol: 2 })).pipe(Layer.provide(NodeConnector.layer))
      )
    })
  )
  return Clients.pipe(Layer.provideMerge(Fixture))
}

/**
 * `executeOn` with a fanned-out command answers with that node's part (the per-node decoder's
 * value), though its static type is the merged record's: this re-types it.
 */
export const nodePart = <A>(
  redis: RedisCluster.RedisClusterService,
  node: { readonly host: string; readonly port: number },
  command: Command.Command<Readonly<Record<string, A>>>
) => redis.executeOn(node, command as Command.Command<unknown>) as Effect.Effect<A, unknown>

/** The failure (its tag, reason, message), or `undefined` on success. */
export const failureOf = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.result(effect), (r) => (Result.isFailure(r) ? (r.failure as { _tag?: string; reason?: string; message?: string }) : undefined))

/** The failure's `_tag`, or `"success"`. */
export const tagOf = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.result(effect), (r) => (Result.isFailure(r) ? (r.failure as { _tag?: string })._tag : "success"))

/** The failure (its tag, message, reason), or `{ _tag: "success", message: "" }`. */
export const errorOf = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.result(effect), (r) =>
    Result.isFailure(r) ? (r.failure as { _tag?: string; message?: string; reason?: string }) : { _tag: "success", message: "" })

/** A sorted copy (for replies in no particular order). */
export const sorted = (xs: ReadonlyArray<string>) => [...xs].sort()

/** `blocked_clients` of the master owning `key`, by its own `INFO clients`. */
export const blockedOn = (key: string) =>
  Effect.gen(function*() {
    const fixture = yield* RedisClusterFixture.RedisClusterFixture
    const owner = yield* fixture.masterOf(Slot.slot(key))
    const info = yield* fixture.command(owner.port, "INFO", "clients")
    const text = typeof info === "string" ? info : info instanceof Uint8Array ? new TextDecoder().decode(info) : String(info)
    return Number(/blocked_clients:(\d+)/.exec(text)?.[1] ?? -1)
  })

/** Waits until `n` clients are blocked on the owner of `key`. */
export const waitBlocked = (key: string, n: number) =>
  waitUntil(`${n} client(s) blocked on the owner of ${key}`, Effect.map(blockedOn(key), (b) => b === n || `blocked_clients:${b}`))

/** `f` on the RESP3 client, then on the RESP2 one: expects equal results and returns the RESP3 one. */
export const same = <A, E, R>(f: (redis: RedisCluster.RedisClusterService) => Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const three = yield* f(yield* RedisCluster.RedisCluster)
    const two = yield* f(yield* Resp2)
    expect(two).toEqual(three)
    return three
  })

/** `same(scenario)`, having first checked that the clients really speak RESP2 and RESP3. */
export const sameOnBothProtocols = <A, E, R>(scenario: (redis: RedisCluster.RedisClusterService) => Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    // The second client really speaks RESP2, the first RESP3.
    expect(String(yield* (yield* Resp2).execute(Command.raw(["CLIENT", "INFO"])))).toContain("resp=2")
    expect(String(yield* (yield* RedisCluster.RedisCluster).execute(Command.raw(["CLIENT", "INFO"])))).toContain("resp=3")
    return yield* same(scenario)
  })

/** `run` on the RESP3 client with key prefix `"3"`, then on the RESP2 one with `"2"`: both results. */
export const onBoth = <A, E, R>(run: (redis: RedisCluster.RedisClusterService, prefix: string) => Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const three = yield* run(yield* RedisCluster.RedisCluster, "3")
    const two = yield* run(yield* Resp2, "2")
    return { three, two }
  })
