// Prints one plain closing line, "N passed, N failed, N skipped", after vitest's own report, so CI
// logs end with a count any tool can read.
import type { Reporter, TestModule } from "vitest/node"

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<unknown>): void {
    let passed = 0
    let failed = errors.length
    let skipped = 0
    for (const m of modules) {
      let tests = 0
      for (const test of m.children.allTests()) {
        tests++
        const state = test.result().state
        if (state === "passed") passed++
        else if (state === "failed") failed++
        else skipped++
      }
      // A file that failed to load has no tests but must count.
      if (tests === 0 && m.state() === "failed") failed++
    }
    // After the default reporter's own summary, which it prints in the same hook.
    setImmediate(() => process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`))
  }
}
