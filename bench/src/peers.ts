/**
 * The peer clients, each opened as a scoped resource so that closing the suite's scope closes
 * every connection they hold (the process must exit by itself afterwards).
 */
import { GlideClusterClient } from "@valkey/valkey-glide"
import { Effect } from "effect"
import { Cluster, Redis } from "ioredis"
import { createClient, createCluster } from "redis"

export interface Address {
  readonly host: string
  readonly port: number
}

/** A peer reduced to what the workloads need. */
export interface PeerClient {
  readonly get: (key: string) => Promise<unknown>
  readonly set: (key: string, value: string) => Promise<unknown>
}

/** The workloads' view of any client with `get` and `set`. */
const asPeer = (client: { get(key: string): Promise<unknown>; set(key: string, value: string): Promise<unknown> }): PeerClient => ({
  get: (k) => client.get(k),
  set: (k, v) => client.set(k, v)
})

const scoped = <C>(open: () => Promise<C>, close: (c: C) => Promise<unknown> | void) =>
  Effect.acquireRelease(
    Effect.promise(open),
    (c) =>
      Effect.promise(async () => {
        try {
          await close(c)
        } catch {
          // already closed
        }
      })
  )

/** One ioredis connection. */
export const ioredis = (address: Address, autoPipelining: boolean) =>
  scoped(
    async () => {
      const client = new Redis({
        host: address.host,
        port: address.port,
        lazyConnect: true,
        enableAutoPipelining: autoPipelining,
        maxRetriesPerRequest: 0
      })
      await client.connect()
      return client
    },
    async (client) => {
      await client.quit()
      client.disconnect()
    }
  ).pipe(Effect.map(asPeer))

/** One node-redis connection (it pipelines whatever is issued in the same tick by itself). */
export const nodeRedis = (address: Address) =>
  scoped(
    async () => {
      const client = createClient({ url: `redis://${address.host}:${address.port}` })
      client.on("error", () => {})
      await client.connect()
      return client
    },
    (client) => client.close()
  ).pipe(Effect.map(asPeer))

/** An ioredis `Cluster` itself (the pipeline suite drives its per-node pipelines). */
export const openIoredisCluster = (startupNodes: ReadonlyArray<Address>, autoPipelining: boolean) =>
  scoped(
    async () => {
      const client = new Cluster(startupNodes.map((n) => ({ host: n.host, port: n.port })), {
        lazyConnect: true,
        enableAutoPipelining: autoPipelining
      })
      await client.connect()
      return client
    },
    async (client) => {
      await client.quit()
      client.disconnect()
    }
  )

/** ioredis `Cluster`. */
export const ioredisCluster = (startupNodes: ReadonlyArray<Address>, autoPipelining: boolean) =>
  Effect.map(openIoredisCluster(startupNodes, autoPipelining), asPeer)

/** A node-redis `createCluster` client itself. */
export const openNodeRedisCluster = (startupNodes: ReadonlyArray<Address>) =>
  scoped(
    async () => {
      const client = createCluster({ rootNodes: startupNodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })) })
      client.on("error", () => {})
      await client.connect()
      return client
    },
    (client) => client.close()
  )

/** node-redis `createCluster`. */
export const nodeRedisCluster = (startupNodes: ReadonlyArray<Address>) => Effect.map(openNodeRedisCluster(startupNodes), asPeer)

/** A valkey-glide `GlideClusterClient` itself, with the given request timeout (its default is 250 ms). */
export const openGlideCluster = (startupNodes: ReadonlyArray<Address>, requestTimeout: number) =>
  scoped(
    () =>
      GlideClusterClient.createClient({
        addresses: startupNodes.map((n) => ({ host: n.host, port: n.port })),
        requestTimeout
      }),
    (client) => client.close()
  )

/**
 * valkey-glide `GlideClusterClient`. Its default request timeout (250 ms) is raised so that a
 * burst of 1000 on a loaded 2-core machine measures throughput rather than timeouts.
 */
export const glideCluster = (startupNodes: ReadonlyArray<Address>) => Effect.map(openGlideCluster(startupNodes, 5000), asPeer)
