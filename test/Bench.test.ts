/**
 * The benchmark (`npm run bench`) in its quick mode, end to end: it must finish and write a report
 * that checks every target of the issue, with memory for each implementation and floor in both
 * shapes and the interleaved latency cut into passes. Figures are not asserted (no timed
 * assertions); what the report is made of is. On a private `redis-server` when one is on PATH,
 * else on the tests' Redis (the benchmark is non-destructive there).
 */
import { assert, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { inject } from "vitest"

interface Report {
  readonly memory: ReadonlyArray<
    { readonly target: string; readonly shape: { readonly name: string }; readonly perSession: number }
  >
  readonly latency: ReadonlyArray<{ readonly target: string; readonly passes: ReadonlyArray<unknown> }>
}

const runBench = (env: Record<string, string | undefined>): Promise<string> =>
  new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "bench/run.ts"],
      { cwd: join(import.meta.dirname, ".."), env, maxBuffer: 16 * 1024 * 1024 },
      (error, _stdout, stderr) => (error === null ? resolve(stderr) : reject(new Error(`${error.message}\n${stderr}`)))
    )
  })

describe("npm run bench (BENCH_QUICK=1)", () => {
  it("runs to the end and reports every target", async () => {
    const out = mkdtempSync(join(tmpdir(), "bench-"))
    try {
      const privateServer = inject("clusterPorts").length > 0 // redis-server is on PATH
      const { REDIS_URL: _, ...env } = process.env
      const log = await runBench({
        ...env,
        BENCH_QUICK: "1",
        BENCH_OUT: out,
        ...(privateServer ? {} : { REDIS_URL: inject("redisUrl") })
      })
      const markdown = readFileSync(join(out, "latest.md"), "utf8")
      const report = JSON.parse(readFileSync(join(out, "latest.json"), "utf8")) as Report
      assert.include(readFileSync(join(out, "latest.svg"), "utf8"), "<svg")

      for (
        const target of [
          "get (update) >= 0.8x EVALSHA touch at 64 in flight",
          "create >= 2.5x redisess at 64 in flight",
          "exists >= 0.9x HGETALL at 64 in flight",
          "kill: Effect layer adds <= 15% at 1 in flight",
          "memory per session <= 0.7x redisess (100,000 users x 1 session; `nativeTtl: false`, as redisess)",
          "no per-operation Node allocation grows with the number of sessions",
          "wipe clears >= 50,000 sessions/s",
          "getAllSessions(60) never holds Redis > 10 ms per call"
        ]
      ) {
        assert.include(markdown, `| ${target}`)
        assert.include(log, target)
      }
      // the memory targets name the floor they are over, when they are
      assert.match(markdown, /the floor(, native TTLs)? \(the same structures holding the least they can/)

      const targets = ["lib", "redisess", "lib, nativeTtl: false", "floor, native TTLs", "floor", "floor without U"]
      for (const shape of ["10,000 users x 10 sessions, 2 fields", "100,000 users x 1 session"]) {
        for (const target of targets) {
          const found = report.memory.filter((m) => m.shape.name === shape && m.target === target)
          assert.strictEqual(found.length, 1, `${target}, ${shape}`)
          assert.isTrue(found[0]!.perSession > 0, `${target}, ${shape}: ${found[0]!.perSession} B/session`)
        }
      }
      assert.isAbove(report.latency.length, 0)
      for (const l of report.latency) assert.strictEqual(l.passes.length, 3, l.target)
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  }, 180_000)
})
