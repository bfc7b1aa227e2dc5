/**
 * Choosing free loopback ports: random in 20000–30999, below Linux's ephemeral range (32768+), so
 * outgoing connections never take them; reserved in-process and checked free by binding.
 * Another process may still take a port between the check and redis-server's bind: callers retry.
 *
 * @internal
 */
import * as Net from "node:net"
import * as Effect from "effect/Effect"
import { FixtureError } from "./errors.js"

const LOW = 20_000
const HIGH = 30_999

const reserved = new Set<number>()

const isFree = (port: number): Effect.Effect<boolean> =>
  Effect.callback<boolean>((resume) => {
    const server = Net.createServer()
    server.unref()
    server.once("error", () => resume(Effect.succeed(false)))
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => {
      server.close(() => resume(Effect.succeed(true)))
    })
  })

/**
 * Reserves `count` distinct free ports (checked by binding each one).
 *
 * @internal
 *
 * @since 0.1.0
 * @category utils
 */
export const reservePorts = Effect.fnUntraced(function*(count: number) {
  const chosen: Array<number> = []
  for (let attempt = 0; chosen.length < count; attempt++) {
    if (attempt > 500) {
      for (const p of chosen) reserved.delete(p)
      return yield* new FixtureError({ message: `no free loopback port found in ${LOW}-${HIGH}` })
    }
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW + 1))
    if (reserved.has(port)) continue
    reserved.add(port)
    if (yield* isFree(port)) {
      chosen.push(port)
    } else {
      reserved.delete(port)
    }
  }
  return chosen
})

/**
 * Returns ports to the pool. @internal
 *
 * @since 0.1.0
 * @category utils
 */
export const releasePorts = (ports: ReadonlyArray<number>): void => {
  for (const p of ports) reserved.delete(p)
}
