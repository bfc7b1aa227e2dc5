import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  Attributed,
  DecodeFailure,
  ErrorReply,
  Push,
  type RespArg,
  type RespValue,
  VerbatimString
} from "../src/Resp.js"
import { decodeChunks, expectSame } from "./helpers/respArbitraries.js"
import { RawConnection, type RawRedis, startRedis } from "./helpers/rawRedis.js"

// Golden bytes from a real redis-server (7.0): the exact frames it writes, and what they decode to.

let server: RawRedis
let resp3: RawConnection
let resp2: RawConnection

beforeAll(async () => {
  server = await startRedis()
  resp3 = await RawConnection.open(server.port)
  resp2 = await RawConnection.open(server.port)
  const hello = decodeChunks([await resp3.exchange([["HELLO", "3"]])], () => false)[0]
  expect(hello).toBeInstanceOf(Map)
  expect((hello as Map<RespValue, RespValue>).get("proto")).toBe(3)
  expect((hello as Map<RespValue, RespValue>).get("server")).toBe("redis")
})

afterAll(async () => {
  resp3?.close()
  resp2?.close()
  await server?.stop()
})

/** Splits into 1-byte chunks (or, for big inputs, chunks of 1 to 997 bytes). */
const tinyChunks = (raw: Buffer): Array<Buffer> => {
  const out: Array<Buffer> = []
  for (let at = 0, i = 0; at < raw.length; i++) {
    const size = raw.length <= 65536 ? 1 : 1 + ((i * 7919) % 997)
    out.push(raw.subarray(at, at + size))
    at += size
  }
  return out
}

/** Decodes raw bytes whole and byte by byte (both must agree); returns the values. */
const decodeRaw = (raw: Buffer, bytes = false): Array<RespValue | DecodeFailure> => {
  const whole = decodeChunks([raw], () => bytes)
  expectSame(decodeChunks(tinyChunks(raw), () => bytes), whole)
  for (const v of whole) expect(v).not.toBeInstanceOf(DecodeFailure)
  return whole
}

/** Sends one command, checks the exact reply bytes (when given) and returns the decoded replies. */
const golden = async (
  connection: RawConnection,
  command: ReadonlyArray<RespArg>,
  expectedRaw: string | undefined,
  replies = 1
): Promise<Array<RespValue | DecodeFailure>> => {
  const raw = await connection.exchange([command], replies)
  if (expectedRaw !== undefined) expect(raw.toString("latin1")).toBe(expectedRaw)
  const values = decodeRaw(raw)
  expect(values).toHaveLength(replies)
  return values
}

const ATTRIB_REPLY = "Some real reply following the attribute"
const PUSH_REPLY = "Some real reply following the push reply"

describe("DEBUG PROTOCOL under RESP3", () => {
  it("map", async () => {
    const [v] = await golden(resp3, ["DEBUG", "PROTOCOL", "map"], "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n")
    expect(v).toStrictEqual(new Map([[0, false], [1, true], [2, false]]))
  })

  it("set", async () => {
    const [v] = await golden(resp3, ["DEBUG", "PROTOCOL", "set"], "~3\r\n:0\r\n:1\r\n:2\r\n")
    expect(v).toStrictEqual(new Set([0, 1, 2]))
  })

  it("double", async () => {
    expect(await golden(resp3, ["DEBUG", "PROTOCOL", "double"], ",3.141\r\n")).toStrictEqual([3.141])
  })

  it("bignum", async () => {
    expect(await golden(resp3, ["DEBUG", "PROTOCOL", "bignum"], "(1234567999999999999999999999999999999\r\n"))
      .toStrictEqual([1234567999999999999999999999999999999n])
  })

  it("attrib: an attribute, then the value it belongs to", async () => {
    const [v] = await golden(
      resp3,
      ["DEBUG", "PROTOCOL", "attrib"],
      `|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\n${ATTRIB_REPLY}\r\n`
    )
    expect(v).toStrictEqual(new Attributed(new Map([["key-popularity", ["key:123", 90]]]), ATTRIB_REPLY))
  })

  it("push: a push frame, then the reply", async () => {
    const values = await golden(
      resp3,
      ["DEBUG", "PROTOCOL", "push"],
      `>2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$40\r\n${PUSH_REPLY}\r\n`,
      2
    )
    expect(values).toStrictEqual([new Push(["server-cpu-usage", 42]), PUSH_REPLY])
  })

  it("verbatim", async () => {
    const [v] = await golden(resp3, ["DEBUG", "PROTOCOL", "verbatim"], "=29\r\ntxt:This is a verbatim\nstring\r\n")
    expect(v).toStrictEqual(new VerbatimString("txt", "This is a verbatim\nstring"))
  })

  it("true, false, null", async () => {
    expect(await golden(resp3, ["DEBUG", "PROTOCOL", "true"], "#t\r\n")).toStrictEqual([true])
    expect(await golden(resp3, ["DEBUG", "PROTOCOL", "false"], "#f\r\n")).toStrictEqual([false])
    expect(await golden(resp3, ["DEBUG", "PROTOCOL", "null"], "_\r\n")).toStrictEqual([null])
  })

  it("all of them pipelined in one exchange", async () => {
    const kinds = ["map", "set", "double", "bignum", "attrib", "push", "verbatim", "true", "false", "null"]
    const raw = await resp3.exchange(kinds.map((k) => ["DEBUG", "PROTOCOL", k]), kinds.length + 1)
    const values = decodeRaw(raw)
    expect(values).toHaveLength(11)
    expect(values[4]).toBeInstanceOf(Attributed)
    expect(values[5]).toStrictEqual(new Push(["server-cpu-usage", 42]))
    expect(values[10]).toBeNull()
    // Bytes mode: every string of the value is a Buffer.
    const asBytes = decodeRaw(raw, true)
    expect(asBytes[4]).toStrictEqual(
      new Attributed(new Map([[Buffer.from("key-popularity"), [Buffer.from("key:123"), 90]]]), Buffer.from(ATTRIB_REPLY))
    )
    expect(asBytes[7]).toStrictEqual(new VerbatimString("txt", Buffer.from("This is a verbatim\nstring")))
  })
})

describe("DEBUG PROTOCOL under RESP2", () => {
  it("RESP2 shapes of the RESP3 types", async () => {
    const cases: ReadonlyArray<readonly [string, string, RespValue]> = [
      ["map", "*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n", [0, 0, 1, 1, 2, 0]],
      ["set", "*3\r\n:0\r\n:1\r\n:2\r\n", [0, 1, 2]],
      ["double", "$5\r\n3.141\r\n", "3.141"],
      ["bignum", "$37\r\n1234567999999999999999999999999999999\r\n", "1234567999999999999999999999999999999"],
      ["attrib", `$39\r\n${ATTRIB_REPLY}\r\n`, ATTRIB_REPLY],
      ["push", "-ERR RESP2 is not supported by this command\r\n", new ErrorReply("ERR RESP2 is not supported by this command")],
      ["verbatim", "$25\r\nThis is a verbatim\nstring\r\n", "This is a verbatim\nstring"],
      ["true", ":1\r\n", 1],
      ["false", ":0\r\n", 0],
      ["null", "$-1\r\n", null]
    ]
    for (const [kind, raw, value] of cases) {
      expect(await golden(resp2, ["DEBUG", "PROTOCOL", kind], raw)).toStrictEqual([value])
    }
  })
})

describe("real command replies", () => {
  it("HGETALL: a map under RESP3, a flat array under RESP2", async () => {
    await golden(resp3, ["HSET", "golden:h", "f1", "v1", "f2", "v2"], ":2\r\n")
    expect(await golden(resp3, ["HGETALL", "golden:h"], "%2\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n"))
      .toStrictEqual([new Map([["f1", "v1"], ["f2", "v2"]])])
    expect(await golden(resp2, ["HGETALL", "golden:h"], "*4\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n"))
      .toStrictEqual([["f1", "v1", "f2", "v2"]])
  })

  it("SMEMBERS: a set under RESP3, an array under RESP2", async () => {
    await golden(resp3, ["SADD", "golden:s", "a", "b", "c"], ":3\r\n")
    const [v3] = await golden(resp3, ["SMEMBERS", "golden:s"], undefined)
    expect(v3).toBeInstanceOf(Set)
    expect([...(v3 as Set<string>)].sort()).toStrictEqual(["a", "b", "c"])
    const [v2] = await golden(resp2, ["SMEMBERS", "golden:s"], undefined)
    expect([...(v2 as Array<string>)].sort()).toStrictEqual(["a", "b", "c"])
  })

  it("INFO: verbatim text under RESP3, a bulk string under RESP2", async () => {
    const [v3] = await golden(resp3, ["INFO", "server"], undefined)
    expect(v3).toBeInstanceOf(VerbatimString)
    expect((v3 as VerbatimString).format).toBe("txt")
    expect((v3 as VerbatimString).text).toMatch(/^# Server\r\nredis_version:7\./)
    const [v2] = await golden(resp2, ["INFO", "server"], undefined)
    expect(v2).toMatch(/^# Server\r\nredis_version:7\./)
  })

  it("error replies", async () => {
    await golden(resp3, ["SET", "golden:str", "abc"], "+OK\r\n")
    expect(await golden(resp3, ["INCR", "golden:str"], "-ERR value is not an integer or out of range\r\n"))
      .toStrictEqual([new ErrorReply("ERR value is not an integer or out of range")])
    expect(await golden(resp2, ["LPUSH", "golden:str", "x"], undefined)).toStrictEqual([
      new ErrorReply("WRONGTYPE Operation against a key holding the wrong kind of value")
    ])
  })

  it("nulls: `_` under RESP3; `$-1` and `*-1` under RESP2", async () => {
    expect(await golden(resp3, ["GET", "golden:missing"], "_\r\n")).toStrictEqual([null])
    expect(await golden(resp2, ["GET", "golden:missing"], "$-1\r\n")).toStrictEqual([null])
    expect(await golden(resp3, ["BLPOP", "golden:missing", "0.01"], "_\r\n")).toStrictEqual([null])
    expect(await golden(resp2, ["BLPOP", "golden:missing", "0.01"], "*-1\r\n")).toStrictEqual([null])
  })

  it("ZSCORE: a double under RESP3, its text under RESP2", async () => {
    await golden(resp3, ["ZADD", "golden:z", "1.5", "a", "inf", "b"], ":2\r\n")
    expect(await golden(resp3, ["ZSCORE", "golden:z", "a"], ",1.5\r\n")).toStrictEqual([1.5])
    expect(await golden(resp3, ["ZSCORE", "golden:z", "b"], ",inf\r\n")).toStrictEqual([Infinity])
    expect(await golden(resp2, ["ZSCORE", "golden:z", "a"], "$3\r\n1.5\r\n")).toStrictEqual(["1.5"])
  })

  it("pub/sub messages are push frames under RESP3", async () => {
    const subscriber = await RawConnection.open(server.port)
    try {
      await subscriber.exchange([["HELLO", "3"]])
      expect(await golden(subscriber, ["SUBSCRIBE", "golden:ch"], ">3\r\n$9\r\nsubscribe\r\n$9\r\ngolden:ch\r\n:1\r\n"))
        .toStrictEqual([new Push(["subscribe", "golden:ch", 1])])
      await golden(resp2, ["PUBLISH", "golden:ch", "hello"], ":1\r\n")
      // The message push, then PING's ordinary reply (RESP3 allows plain replies while subscribed).
      expect(await golden(subscriber, ["PING"], ">3\r\n$7\r\nmessage\r\n$9\r\ngolden:ch\r\n$5\r\nhello\r\n+PONG\r\n", 2))
        .toStrictEqual([new Push(["message", "golden:ch", "hello"]), "PONG"])
    } finally {
      subscriber.close()
    }
  })

  it("binary values, large values over many socket reads, and pipelines", async () => {
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
    await golden(resp3, ["SET", "golden:bin", binary], "+OK\r\n")
    const [bin] = decodeRaw(await resp3.exchange([["GET", "golden:bin"]]), true)
    expect(bin).toStrictEqual(binary)

    const big = Buffer.alloc(4 * 1024 * 1024, "xyz")
    await golden(resp3, ["SET", "golden:big", big], "+OK\r\n")
    const [bigValue] = decodeRaw(await resp3.exchange([["GET", "golden:big"]]), true)
    expect((bigValue as Buffer).equals(big)).toBe(true)

    const items = Array.from({ length: 5000 }, (_, i) => `item-${i}`)
    await golden(resp3, ["RPUSH", "golden:list", ...items], ":5000\r\n")
    expect(decodeRaw(await resp3.exchange([["LRANGE", "golden:list", 0, -1]]))).toStrictEqual([items])

    const incrs = Array.from({ length: 1000 }, () => ["INCR", "golden:counter"] as const)
    const raw = await resp2.exchange(incrs)
    expect(decodeRaw(raw)).toStrictEqual(Array.from({ length: 1000 }, (_, i) => i + 1))
  })
})
