import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import * as ClusterError from "../src/ClusterError.js"

describe("ClusterError", () => {
  it("errors survive a round trip through JSON with their class, fields and message", () => {
    const moved = new ClusterError.MovedError({ slot: 12, host: "10.0.0.1", port: 7001, command: "GET" })
    const samples = [
      moved,
      new ClusterError.ConnectionError({ host: "h", port: 7000, command: "SET", written: true, reason: "lost", cause: new Error("ECONNRESET") }),
      new ClusterError.RedirectLimitError({ command: "GET", redirects: 16, last: moved }),
      new ClusterError.TimeoutError({ host: "h", port: 7000, command: "GET", timeoutMillis: 250 }),
      new ClusterError.WatchError({ keys: ["a"], reason: "conflict", attempts: 10 }),
      new ClusterError.SubscriptionOverflowError({ kind: "shard", names: ["s"], bufferSize: 4 })
    ] as const
    for (const error of samples) {
      const schema = error.constructor as unknown as Schema.Codec<unknown, unknown>
      const wire = JSON.parse(JSON.stringify(Schema.encodeUnknownSync(schema)(error)))
      const back = Schema.decodeUnknownSync(schema)(wire) as ClusterError.RedisClusterError
      expect(back).toBeInstanceOf(error.constructor)
      expect(back._tag).toBe(error._tag)
      expect(back.message).toBe(error.message)
    }
    const limit = Schema.decodeUnknownSync(ClusterError.RedirectLimitError)(
      JSON.parse(JSON.stringify(Schema.encodeUnknownSync(ClusterError.RedirectLimitError)(samples[2])))
    )
    expect(limit.last).toBeInstanceOf(ClusterError.MovedError)
    expect(limit.last?.slot).toBe(12)
  })

  it("atIndex keeps the class, every field and the cause, and names the position", () => {
    const cause = new Error("ECONNRESET")
    const error = new ClusterError.ConnectionError({ host: "h", port: 7000, command: "SET", written: true, reason: "lost", cause })
    const indexed = ClusterError.atIndex(error, 3)
    expect(indexed).toBeInstanceOf(ClusterError.ConnectionError)
    expect(indexed.index).toBe(3)
    expect(indexed.written).toBe(true)
    expect(indexed.cause).toBe(cause)
    expect(indexed.message).toBe("connection to h:7000 failed: lost (command SET, at index 3)")
  })

  it("fromReply types the cluster's error replies; an empty MOVED host is the node that replied", () => {
    const moved = ClusterError.fromReply("MOVED 3999 :7002", { host: "10.0.0.5", port: 7000, command: "GET" })
    expect(moved).toBeInstanceOf(ClusterError.MovedError)
    expect(moved).toMatchObject({ slot: 3999, host: "10.0.0.5", port: 7002 })
    expect(ClusterError.fromReply("TRYAGAIN Multiple keys request during rehashing of slot", {})._tag).toBe("TryAgainError")
    const reply = ClusterError.fromReply("WRONGTYPE Operation against a key holding the wrong kind of value", { command: "LPUSH" })
    expect(reply._tag).toBe("ReplyError")
    expect((reply as ClusterError.ReplyError).code).toBe("WRONGTYPE")
  })
})
