/**
 * The chaos checker on made-up histories: each breach it exists to find must be found, with its
 * evidence, and a clean history must give none. (The chaos run itself rarely shows a breach, so
 * this is where the checker is shown to be able to.)
 */
import { describe, expect, it } from "@effect/vitest"
import { ClusterError } from "@keyslot/core"
import { Cause, Exit, Option } from "effect"
import { Checker, isUnknownOutcome, type Outcome, outcomeOf } from "./checker.js"

const ok = (value: unknown): Outcome => ({ _tag: "Ok", value })
const failed = (error: ClusterError.RedisClusterError): Outcome => ({ _tag: "Failed", error })
const timeout = () => new ClusterError.TimeoutError({ command: "INCR", timeoutMillis: 2000 })
const lostConnection = (written: boolean) =>
  new ClusterError.ConnectionError({ host: "127.0.0.1", port: 7000, command: "INCR", written, reason: "closed" })

const checker = () => new Checker(2000, 500, true)

describe("chaos checker", () => {
  it("classifies exits: one ClusterError is typed; a defect, an interruption or a foreign error is not", () => {
    expect(outcomeOf(Exit.succeed(1))).toEqual({ _tag: "Ok", value: 1 })
    expect(outcomeOf(Exit.fail(timeout()))._tag).toBe("Failed")
    expect(outcomeOf(Exit.die(new Error("boom")))._tag).toBe("Untyped")
    expect(outcomeOf(Exit.fail(new Error("not ours")))._tag).toBe("Untyped")
    expect(outcomeOf(Exit.failCause(Cause.interrupt()))._tag).toBe("Untyped")
    expect(outcomeOf(Exit.failCause(Cause.combine(Cause.fail(timeout()), Cause.fail(lostConnection(true)))))._tag).toBe("Untyped")
  })

  it("counts timeouts and written-then-lost commands as unknown, the rest as failed for sure", () => {
    expect(isUnknownOutcome(timeout())).toBe(true)
    expect(isUnknownOutcome(lostConnection(true))).toBe(true)
    expect(isUnknownOutcome(lostConnection(false))).toBe(false)
    expect(isUnknownOutcome(new ClusterError.ClusterDownError({ command: "INCR", reply: "CLUSTERDOWN" }))).toBe(false)
  })

  it("counters: acknowledged plus at most the unknown ones; anything else is lost or duplicated", () => {
    const c = checker()
    for (const key of ["a", "b", "c"]) {
      c.incr(key, ok(1))
      c.incr(key, ok(2))
      c.incr(key, failed(timeout()))
      c.incr(key, failed(lostConnection(false)))
    }
    const verdict = c.verifyCounters(new Map([["a", 3], ["b", 1], ["c", 4]]))
    expect(verdict).toMatchObject({ acked: 6, unknown: 3, failed: 3, lost: 1, duplicated: 1, unknownApplied: 1 })
    expect(c.breaches.samples.get("lost")).toEqual(["b: 2 INCRs acknowledged (highest reply 2), final value 1 (1 unknown, 1 failed)"])
    expect(c.breaches.samples.get("duplicated")).toEqual(["c: final value 4 > 2 acknowledged + 1 unknown (1 failed for sure)"])
  })

  it("counters: two acknowledged INCRs with one reply, or a reply above the final value, are breaches", () => {
    const c = checker()
    c.incr("a", ok(1))
    c.incr("a", ok(1))
    c.incr("b", ok(5))
    c.incr("b", failed(timeout()))
    c.verifyCounters(new Map([["a", 2], ["b", 2]]))
    expect(c.breaches.counts.get("duplicate-reply")).toBe(1)
    expect(c.breaches.counts.get("lost")).toBe(1)
  })

  it("reads: nil after an acknowledged write, a value never written, a failed write's value, an overwritten value", () => {
    const c = checker()
    const before = c.beginGet("k")
    const first = c.beginSet("k", 0)
    c.endSet("k", first, ok(Option.some("OK")), 10)
    const second = c.beginSet("k", 20)
    c.endSet("k", second, ok(Option.some("OK")), 30)
    const refused = c.beginSet("k", 40)
    c.endSet("k", refused, failed(new ClusterError.ClusterDownError({ command: "SET", reply: "CLUSTERDOWN" })), 50)
    const uncertain = c.beginSet("k", 60)
    c.endSet("k", uncertain, failed(timeout()), 70)
    // Fine: nil before any write; the latest value; an unknown write's value, even if older.
    c.endGet(before, ok(Option.none()))
    c.endGet(c.beginGet("k"), ok(Option.some(second.value)))
    c.endGet(c.beginGet("k"), ok(Option.some(uncertain.value)))
    expect(c.breaches.total).toBe(0)
    c.endGet(c.beginGet("k"), ok(Option.none()))
    c.endGet(c.beginGet("k"), ok(Option.some("k#99")))
    c.endGet(c.beginGet("k"), ok(Option.some(refused.value)))
    c.endGet(c.beginGet("k"), ok(Option.some(first.value)))
    expect(Object.fromEntries(c.breaches.counts)).toEqual({ "stale-nil": 1, "foreign-value": 1, "phantom-write": 1, "stale-read": 1 })
  })

  it("deadlines, hangs and untyped failures are counted with what they were", () => {
    const c = checker()
    c.recordOp("get", "GET x", 2400, ok(Option.none()))
    c.recordOp("get", "GET y", 2600, failed(timeout()))
    c.recordHung("INCR z", 9000)
    c.incr("z", { _tag: "Untyped", detail: "Error: boom" })
    expect(c.stats).toMatchObject({ late: 1, hung: 1, untyped: 1, maxMillis: 2600 })
    expect(c.breaches.samples.get("late")).toEqual(["GET y failed with TimeoutError after 2600 ms (deadline 2000 ms + 500 ms allowance)"])
  })
})
