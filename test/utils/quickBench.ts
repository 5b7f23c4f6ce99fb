/**
 * Runs a benchmark script (`bench/run.ts`, `bench/http.ts`) in its quick mode, as a test: on a
 * private `redis-server` when one is on PATH, else on the tests' Redis (the benchmarks are
 * non-destructive there), its results written to a temporary directory removed afterwards.
 */
import { execFile } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { inject } from "vitest"

/** Runs `script` with `BENCH_QUICK=1`, then `check` on its output directory and its log (stderr). */
export const runQuickBench = async (
  script: string,
  check: (out: string, log: string) => void
): Promise<void> => {
  const out = mkdtempSync(join(tmpdir(), "bench-"))
  try {
    const privateServer = inject("clusterPorts").length > 0 // redis-server is on PATH
    const { REDIS_URL: _, ...env } = process.env
    const log = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ["--import", "tsx", script],
        {
          cwd: join(import.meta.dirname, "..", ".."),
          env: {
            ...env,
            BENCH_QUICK: "1",
            BENCH_OUT: out,
            ...(privateServer ? {} : { REDIS_URL: inject("redisUrl") })
          },
          maxBuffer: 16 * 1024 * 1024
        },
        (
          error,
          _stdout,
          stderr
        ) => (error === null ? resolve(stderr) : reject(new Error(`${error.message}\n${stderr}`)))
      )
    })
    check(out, log)
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
}
