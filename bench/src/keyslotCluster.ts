/**
 * keyslot's cluster client for the "cluster" suite, found at run time so the bench runs before
 * `RedisCluster` / `NodeRedisCluster` exist. Once they are exported, nothing here needs to change:
 * `open` builds `NodeRedisCluster.layer({ startupNodes })` in the suite's scope and takes the
 * `RedisCluster.RedisCluster` service out of it.
 *
 * (When the modules land, this can become a static import; the shape below is the contract of
 * DESIGN.md: `get(key): Effect<Option<string>>`, `set(key, value): Effect<Option<string>>`.)
 */
import * as Core from "@keyslot/core"
import * as KeyslotNode from "@keyslot/node"
import { Context, Effect, Layer } from "effect"
import type { Option, Scope } from "effect"
import type { Address } from "./peers.js"

/** The part of the `RedisCluster` service the workloads use. */
export interface KeyslotCluster {
  readonly get: (key: string) => Effect.Effect<Option.Option<string>, unknown>
  readonly set: (key: string, value: string) => Effect.Effect<Option.Option<string>, unknown>
  /** MGET split per slot: the bursts workload's keys as one command. */
  readonly mget: (keys: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<Option.Option<string>>, unknown>
  /** Present once `pipeline` exists: the batch path, for the bursts workload's extra row. */
  readonly pipeline?: (commands: ReadonlyArray<unknown>) => Effect.Effect<ReadonlyArray<unknown>, unknown>
}

/** `Command.get` when `@keyslot/core` exports it (for pipelines), else `undefined`. */
export const getCommand = (): ((key: string) => unknown) | undefined => {
  const command = (Core as Record<string, unknown>)["Command"] as Record<string, unknown> | undefined
  const get = command?.["get"]
  return typeof get === "function" ? (get as (key: string) => unknown) : undefined
}

interface ClusterModules {
  readonly tag: Context.Key<unknown, KeyslotCluster>
  readonly layer: (config: { readonly startupNodes: ReadonlyArray<Address> }) => Layer.Layer<unknown, unknown>
}

const find = (): ClusterModules | string => {
  const redisCluster = (Core as Record<string, unknown>)["RedisCluster"] as Record<string, unknown> | undefined
  const nodeRedisCluster = (KeyslotNode as Record<string, unknown>)["NodeRedisCluster"] as Record<string, unknown> | undefined
  if (redisCluster === undefined) return "@keyslot/core does not export RedisCluster yet"
  if (nodeRedisCluster === undefined) return "@keyslot/node does not export NodeRedisCluster yet"
  const tag = redisCluster["RedisCluster"]
  const layer = nodeRedisCluster["layer"]
  if (!Context.isKey(tag)) return "RedisCluster.RedisCluster is not a Context service"
  if (typeof layer !== "function") return "NodeRedisCluster.layer is not a function"
  return { tag: tag as Context.Key<unknown, KeyslotCluster>, layer: layer as ClusterModules["layer"] }
}

/** Why keyslot's cluster client cannot be benchmarked, or `undefined` when it can. */
export const unavailable = (): string | undefined => {
  const found = find()
  return typeof found === "string" ? found : undefined
}

/** Opens keyslot's cluster client in the current scope. */
export const open = (startupNodes: ReadonlyArray<Address>): Effect.Effect<KeyslotCluster, unknown, Scope.Scope> =>
  Effect.suspend(() => {
    const found = find()
    if (typeof found === "string") return Effect.die(new Error(found))
    return Layer.build(found.layer({ startupNodes })).pipe(Effect.map((context) => Context.get(context, found.tag)))
  })
