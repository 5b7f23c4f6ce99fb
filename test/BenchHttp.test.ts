/**
 * The HTTP benchmark (`npm run bench:http`) in its quick mode, end to end: the three servers start,
 * answer every request, and the report holds each target's figures and both goal lines. Figures are
 * not asserted beyond being measured (no timed assertions). On a private `redis-server` when one is
 * on PATH, else on the tests' Redis (the benchmark only writes keys of its own there).
 */
import { assert, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { inject } from "vitest"

interface Report {
  readonly targets: ReadonlyArray<
    { readonly target: string; readonly requestsPerSec: number; readonly commandUsec: number; readonly runs: number }
  >
  readonly goals: ReadonlyArray<{ readonly goal: string; readonly met: boolean; readonly measured: string }>
}

const runBench = (env: Record<string, string | undefined>): Promise<string> =>
  new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "bench/http.ts"],
      { cwd: join(import.meta.dirname, ".."), env, maxBuffer: 16 * 1024 * 1024 },
      (error, _stdout, stderr) => (error === null ? resolve(stderr) : reject(new Error(`${error.message}\n${stderr}`)))
    )
  })

const goals = [
  "requests/s at least 1.0x connect-redis's",
  "Redis CPU per request (commandstats usec) within 2x of connect-redis's with the touch throttle on"
]

describe("npm run bench:http (BENCH_QUICK=1)", () => {
  it("runs the three targets and reports both goals", async () => {
    const out = mkdtempSync(join(tmpdir(), "bench-http-"))
    try {
      const privateServer = inject("clusterPorts").length > 0 // redis-server is on PATH
      const { REDIS_URL: _, ...env } = process.env
      const log = await runBench({
        ...env,
        BENCH_QUICK: "1",
        BENCH_OUT: out,
        ...(privateServer ? {} : { REDIS_URL: inject("redisUrl") })
      })
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
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  }, 120_000)
})
