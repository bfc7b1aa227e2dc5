/**
 * The command layer's reply decoders (issue #12): integers beyond `Number.MAX_SAFE_INTEGER` are
 * never rounded, records keep every field name (`__proto__` included), and `Command.raw` refuses
 * the commands that change a shared connection's state, as their typed constructors do.
 */
import { describe, expect, it } from "vitest"
import * as Command from "../src/Command.js"
import * as R from "../src/internal/command/reply.js"
import { DecodeFailure, Decoder, type RespValue } from "../src/Resp.js"

/** One value through the real wire decoder, so the test sees what the connection hands to commands. */
const wire = (text: string): RespValue => {
  const d = new Decoder()
  d.feed(Buffer.from(text, "latin1"))
  const v = d.next()
  if (v === undefined || v instanceof DecodeFailure) throw new Error(`no value decoded from ${JSON.stringify(text)}`)
  return v
}

/** The reason of a decoder's failure, or the value it gave. */
const reasonOf = (a: unknown): string | unknown => (a instanceof R.ReplyShape ? a.reason : a)

describe("integer replies beyond Number.MAX_SAFE_INTEGER", () => {
  const big = "9007199254740993"

  it("a `:` integer beyond the safe range fails with the exact value named, never a rounded number", () => {
    for (const text of [`:${big}\r\n`, `(${big}\r\n`]) {
      const a = R.integer(wire(text))
      expect(a).toBeInstanceOf(R.ReplyShape)
      expect(reasonOf(a)).toContain(big)
      expect(reasonOf(a)).toContain("beyond Number.MAX_SAFE_INTEGER")
      expect(a).not.toBe(9007199254740992)
    }
    const negative = R.integer(wire(`:-${big}\r\n`))
    expect(reasonOf(negative)).toContain(`-${big}`)
    expect(reasonOf(negative)).toContain("beyond Number.MAX_SAFE_INTEGER")
  })

  it("9007199254740992 (2^53, exact as a double but not safe) is refused too: …993 would read as it", () => {
    expect(R.integer(wire(":9007199254740992\r\n"))).toBeInstanceOf(R.ReplyShape)
  })

  it("digits in a RESP2 bulk string beyond the safe range fail the same way", () => {
    const a = R.integer(wire(`$16\r\n${big}\r\n`))
    expect(reasonOf(a)).toContain(big)
    expect(reasonOf(a)).toContain("beyond Number.MAX_SAFE_INTEGER")
  })

  it("safe integers stay numbers, including RESP3 big numbers within the range", () => {
    expect(R.integer(wire(":9007199254740991\r\n"))).toBe(Number.MAX_SAFE_INTEGER)
    expect(R.integer(wire(":-9007199254740991\r\n"))).toBe(Number.MIN_SAFE_INTEGER)
    expect(R.integer(wire("(42\r\n"))).toBe(42)
    expect(R.integer(wire("$2\r\n42\r\n"))).toBe(42)
    expect(R.integers(wire(`*2\r\n:1\r\n:${big}\r\n`))).toBeInstanceOf(R.ReplyShape)
  })

  it("bigInteger is exact over the whole signed 64-bit range", () => {
    expect(R.bigInteger(wire(`:${big}\r\n`))).toBe(9007199254740993n)
    expect(R.bigInteger(wire(":9223372036854775807\r\n"))).toBe(9223372036854775807n)
    expect(R.bigInteger(wire(":-9223372036854775808\r\n"))).toBe(-9223372036854775808n)
    expect(R.bigInteger(wire(":5\r\n"))).toBe(5n)
    expect(R.bigInteger(wire(`$16\r\n${big}\r\n`))).toBe(9007199254740993n)
    expect(R.bigInteger(wire("$3\r\n1.5\r\n"))).toBeInstanceOf(R.ReplyShape)
  })

  it("incr, incrby, decr, decrby, hincrby refuse an unsafe reply; their Big forms decode it", () => {
    const reply = wire(`:${big}\r\n`)
    for (const c of [Command.incr("k"), Command.incrby("k", 1), Command.decr("k"), Command.decrby("k", 1), Command.hincrby("k", "f", 1)]) {
      expect(reasonOf(c.decode(reply))).toContain("beyond Number.MAX_SAFE_INTEGER")
    }
    expect(Command.incrbyBig("k", 1n).decode(reply)).toBe(9007199254740993n)
    expect(Command.decrbyBig("k", 1).decode(reply)).toBe(9007199254740993n)
    expect(Command.hincrbyBig("k", "f", 1n).decode(reply)).toBe(9007199254740993n)
    // The increment goes out in full, not as a rounded number.
    expect(Command.incrbyBig("k", 9007199254740993n).args).toEqual(["INCRBY", "k", "9007199254740993"])
    expect(Command.hincrbyBig("k", "f", -9007199254740993n).args).toEqual(["HINCRBY", "k", "f", "-9007199254740993"])
  })
})

describe("records keep every field name", () => {
  const names = ["__proto__", "constructor", "toString", "hasOwnProperty"] as const
  const flat = `*8\r\n${names.map((n, i) => `$${n.length}\r\n${n}\r\n$2\r\nv${i}\r\n`).join("")}`
  const map = `%4\r\n${names.map((n, i) => `$${n.length}\r\n${n}\r\n$2\r\nv${i}\r\n`).join("")}`

  const expectAll = (record: unknown) => {
    const r = record as Record<string, unknown>
    expect(Object.keys(r).sort()).toEqual([...names].sort())
    names.forEach((n, i) => {
      expect(Object.hasOwn(r, n)).toBe(true)
      expect(r[n]).toBe(`v${i}`)
    })
  }

  it("R.record (HGETALL, CONFIG GET) from a RESP2 array and a RESP3 map", () => {
    expectAll(R.record(wire(flat)))
    expectAll(R.record(wire(map)))
    expectAll(Command.hgetall("h").decode(wire(flat)))
    expectAll(Command.configGet("*").decode(wire(map)))
  })

  it("a missing field reads as undefined, not as an inherited function", () => {
    const r = R.record(wire("*2\r\n$1\r\na\r\n$1\r\nb\r\n")) as Record<string, string>
    expect(r["constructor"]).toBeUndefined()
    expect(r["toString"]).toBeUndefined()
  })

  it("INFO lines", () => {
    const text = "# Section\r\n__proto__:v0\r\nconstructor:v1\r\ntoString:v2\r\nhasOwnProperty:v3\r\n"
    expectAll(R.infoLines(wire(`$${text.length}\r\n${text}\r\n`)))
  })

  it("stream entry fields (XRANGE)", () => {
    const entries = Command.xrange("s", "-", "+").decode(wire(`*1\r\n*2\r\n$3\r\n1-0\r\n${flat}`))
    expect(entries).not.toBeInstanceOf(R.ReplyShape)
    expectAll((entries as ReadonlyArray<{ readonly fields: unknown }>)[0]!.fields)
  })

  it("PUBSUB NUMSUB counts per channel, summed over nodes", () => {
    const command = Command.pubsubNumsub("__proto__", "constructor")
    const reply = wire("*4\r\n$9\r\n__proto__\r\n:2\r\n$11\r\nconstructor\r\n:3\r\n")
    const part = command.fanout!.decode(reply)
    const merged = command.fanout!.merge([{ address: "a:1", value: part }, { address: "b:2", value: part }]) as Record<string, number>
    expect(Object.hasOwn(merged, "__proto__")).toBe(true)
    expect(merged["__proto__"]).toBe(4)
    expect(merged["constructor"]).toBe(6)
  })
})

describe("Command.raw refuses connection-state commands", () => {
  const refused: ReadonlyArray<readonly [ReadonlyArray<string | Uint8Array>, Command.Command<unknown>]> = [
    [["multi"], Command.multi()],
    [["EXEC"], Command.exec()],
    [["Discard"], Command.discard()],
    [["watch", "k"], Command.watch("k")],
    [["unwatch"], Command.unwatch()],
    [["subscribe", "c"], Command.subscribe("c")],
    [["psubscribe", "c*"], Command.psubscribe("c*")],
    [["ssubscribe", "c"], Command.ssubscribe("c")],
    [["unsubscribe"], Command.unsubscribe()],
    [["punsubscribe"], Command.punsubscribe()],
    [["sunsubscribe"], Command.sunsubscribe()],
    [["monitor"], Command.monitor()],
    [["sync"], Command.sync()],
    [["psync", "?", "-1"], Command.psync("?", -1)],
    [["reset"], Command.reset()],
    [["hello", "3"], Command.hello()],
    [["auth", "user", "pass"], Command.auth()],
    [["quit"], Command.quit()],
    [["select", "1"], Command.select(1)],
    [["readonly"], Command.readonly()],
    [["readwrite"], Command.readwrite()],
    [["asking"], Command.asking()],
    [["client", "reply", "off"], Command.clientReply("OFF")],
    [["CLIENT", "Reply", "SKIP"], Command.clientReply("SKIP")],
    [["client", "tracking", "on"], Command.clientTracking(true)],
    [["client", "caching", "yes"], Command.clientCaching(true)],
    [["client", "setname", "x"], Command.clientSetname("x")],
    [["client", "no-evict", "on"], Command.clientNoEvict(true)],
    [["script", "debug", "yes"], Command.scriptDebug("YES")],
    [[new TextEncoder().encode("MULTI")], Command.multi()]
  ]

  it("each is an unsupported command with its typed constructor's reason", () => {
    for (const [args, typed] of refused) {
      const c = Command.raw(args, { keys: ["k"] })
      expect(c.route, String(args)).toBe("unsupported")
      expect(typed.route).toBe("unsupported")
      expect(c.unsupportedReason, String(args)).toBe(typed.unsupportedReason)
      expect(c.name).toBe(typed.name)
    }
  })

  it("other commands, and other subcommands of CLIENT and SCRIPT, still run", () => {
    for (
      const args of [["GET", "k"], ["select", "0"], ["client", "list"], ["client", "info"], ["script", "kill"], ["script", "flush"], ["CLIENT"]]
    ) {
      const c = Command.raw(args)
      expect(c.route, String(args)).toBe("any")
      expect(c.unsupportedReason).toBeUndefined()
    }
    expect(Command.raw(["get", "k"], { keys: ["k"] }).name).toBe("GET")
  })
})
