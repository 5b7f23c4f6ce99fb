/**
 * The HTTP benchmark (`npm run bench:http`) in its quick mode, end to end: the three servers start,
 * answer every request, and the report holds each target's figures and both goal lines. Figures are
 * not asserted beyond being measured (no timed assertions). On a private `redis-server` when one is
 * on PATH, else on the tests' Redis (the benchmark only writes keys of its own there).
 */
import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { runQuickBench } from "./utils/quickBench.js"

interface Report {
  readonly targets: ReadonlyArray<
    { readonly target: string; readonly requestsPerSec: number; readonly commandUsec: number; readonly runs: number }
  >
  readonly goals: ReadonlyArray<{ readonly goal: string; readonly met: boolean; readonly measured: string }>
}

const goals = [
  "requests/s at least 1.0x connect-redis's",
  "Redis CPU per request (commandstats usec) within 2x of connect-redis's with the touch throttle on"
]

describe("npm run bench:http (BENCH_QUICK=1)", () => {
  it("runs the three targets and reports both goals", () =>
    runQuickBench("bench/http.ts", (out, log) => {
      const markdown = readFileSync(join(out, "http.md"), "utf8")
      const report = JSON.parse(readFileSync(join(out, "http.json"), "utf8")) as Report

      for (const target of ["ours-default", "ours-throttled", "connect-redis"]) {
        const found = report.targets.filter((t) => t.target === target)
        assert.strictEqual(found.length, 1, target)
        assert.strictEqual(found[0]!.runs, 1, target)
        assert.isTrue(found[0]!.requestsPerSec > 0, `${target}: ${found[0]!.requestsPerSec} requests/s`)
        assert.isTrue(found[0]!.commandUsec > 0, `${target}: ${found[0]!.commandUsec} usec per request`)
      }
      for (const goal of goals) {
        assert.match(markdown, new RegExp(`^- (met|missed): ${goal.replace(/[.()]/g, "\\$&")}: `, "m"))
        assert.include(log, goal)
        assert.isTrue(report.goals.some((g) => g.goal === goal), goal)
      }
    }), 120_000)
})
