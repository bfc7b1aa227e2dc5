/**
 * CI's chaos run: 60 s of seeded faults under load (see run.ts), then the SIGKILL phase. The
 * schedule follows the seed; what is asserted does not depend on timing: whatever faults landed
 * and whenever they did, the checker must find no breach (nothing lost, nothing duplicated, no read
 * of a value never written or overwritten, no hang, no call past its deadline, no untyped failure,
 * recovery within its bound), and the run must really have injected faults under real load.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Chaos from "./run.js"

const SEED = 12

describe("chaos", () => {
  it.live(`60 s of seeded chaos (seed ${SEED}) then a master SIGKILL: nothing lost or duplicated, no hang, every failure typed and on time`, () =>
    Effect.gen(function*() {
      const report = yield* Chaos.run({ seed: SEED, chaosMillis: 60_000, log: (line) => console.log(line) })
      console.log(Chaos.format(report))
      expect(report.breaches, Chaos.format(report)).toEqual([])
      expect([report.hung, report.lost, report.duplicated]).toEqual([0, 0, 0])
      expect(report.chaos.untyped + (report.kill?.untyped ?? 0)).toBe(0)
      expect(report.chaos.late + (report.kill?.late ?? 0)).toBe(0)
      expect(report.recoveredMillis).toBeDefined()
      expect(report.kill?.recoveredMillis).toBeDefined()
      // The run did what it claims: faults of both schedules, under real load, with the fixture
      // doing every step asked of it.
      expect(report.harnessErrors).toEqual([])
      const faults = Object.entries(report.faults)
      const count = (prefix: string) => faults.filter(([k]) => k.startsWith(prefix)).reduce((n, [, v]) => n + v, 0)
      expect(count("proxy-")).toBeGreaterThanOrEqual(10)
      expect(count("") - count("proxy-") - count("master-kill")).toBeGreaterThanOrEqual(5)
      expect(report.faults["master-kill"]).toBe(1)
      expect(report.chaos.ops).toBeGreaterThan(10_000)
      expect(report.counters.acked).toBeGreaterThan(1_000)
      expect(report.readsChecked).toBeGreaterThan(1_000)
    }), 180_000)
})
