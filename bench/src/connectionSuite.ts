/**
 * Suite "connection": one standalone redis-server, one connection per client. keyslot's
 * `NodeConnection` against one ioredis connection (plain and with auto-pipelining) and one
 * node-redis connection, on GET and SET of a fixed key with 1, 100 and 1000 commands in flight.
 */
import { NodeConnection } from "@keyslot/core"
import { NodeConnector } from "@keyslot/node"
import { RedisServer } from "@keyslot/test-utils"
import { Effect } from "effect"
import type { Contender, Settings, WorkloadResult } from "./harness.js"
import { formatSummary, measure } from "./harness.js"
import { effectWorkers, type LoopStyle, loopStyles, promiseWorkers } from "./loops.js"
import * as Peers from "./peers.js"

export interface ConnectionSuiteOptions extends Settings {
  readonly inFlight: ReadonlyArray<number>
  /** Also measure keyslot's other loop styles (GET only). */
  readonly variants: boolean
  /** The loop style reported as "keyslot". */
  readonly primaryStyle: LoopStyle
}

const KEY = "bench:key"
const VALUE = "v".repeat(32)

export const run = (options: ConnectionSuiteOptions, log: (line: string) => void) =>
  Effect.scoped(
    Effect.gen(function*() {
      const server = yield* RedisServer.make()
      const address = { host: server.host, port: server.port }
      yield* server.command("SET", KEY, VALUE)
      log(`\n== suite: connection — standalone redis-server on ${server.host}:${server.port}, one connection per client ==`)

      const conn = yield* NodeConnection.make({ host: address.host, port: address.port }).pipe(Effect.provide(NodeConnector.layer))
      const io = yield* Peers.ioredis(address, false)
      const ioAp = yield* Peers.ioredis(address, true)
      const nr = yield* Peers.nodeRedis(address)

      const getArgs = () => ["GET", KEY]
      const results: Array<WorkloadResult> = []
      for (const command of ["GET", "SET"] as const) {
        for (const n of options.inFlight) {
          const ksOp = command === "GET" ? () => conn.send(getArgs()) : () => conn.send(["SET", KEY, VALUE])
          const peerOp = (c: Peers.PeerClient) => command === "GET" ? () => c.get(KEY) : () => c.set(KEY, VALUE)
          const styles = command === "GET" && options.variants ? loopStyles : [options.primaryStyle]
          const keyslot: Array<Contender> = styles.map((style) => ({
            name: style === options.primaryStyle ? "keyslot" : `keyslot[${style}]`,
            role: style === options.primaryStyle ? "keyslot" : "keyslot-variant",
            run: effectWorkers(style, n, ksOp)
          }))
          const contenders: Array<Contender> = [
            ...keyslot,
            { name: "ioredis", role: "peer", run: promiseWorkers(n, peerOp(io)) },
            { name: "ioredis+ap", role: "peer", run: promiseWorkers(n, peerOp(ioAp)) },
            { name: "node-redis", role: "peer", run: promiseWorkers(n, peerOp(nr)) }
          ]
          results.push(yield* measure(`${command} ×${n} in flight`, contenders, options, log))
        }
      }
      log(formatSummary(
        `connection suite summary — ops/s, best of ${options.rounds} rounds of ${options.durationMs} ms ("keyslot" = ${options.primaryStyle} loop)`,
        results,
        ["ioredis", "ioredis+ap"]
      ))
      return results
    })
  )
