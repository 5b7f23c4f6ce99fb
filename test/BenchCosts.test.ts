/**
 * The cost breakdown (`npm run bench:costs`) in its quick mode, end to end: both sides run (a
 * private `redis-server`, and the library on a fake ioredis client in a child process) and the page
 * holds every row with a figure. The benchmark itself stops when a row's script calls fail, so a row
 * cannot measure an error path. Figures are not asserted (no timed assertions). Needs `redis-server`
 * on PATH: the Redis side measures a server of its own.
 */
import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { inject } from "vitest"
import { runQuickBench } from "./utils/quickBench.js"

/** The rows' names in a table of the page, under `heading`, each with its figures. */
const rowsUnder = (markdown: string, heading: string): Map<string, ReadonlyArray<string>> => {
  const section = markdown.split(/^## /m).find((part) => part.startsWith(heading)) ?? ""
  const rows = new Map<string, ReadonlyArray<string>>()
  for (const line of section.split("\n")) {
    const cells = line.split("|").slice(1, -1).map((cell) => cell.trim())
    if (cells.length >= 2 && !/^-+:?$/.test(cells[1]!) && cells[0] !== "call") rows.set(cells[0]!, cells.slice(1))
  }
  return rows
}

describe("npm run bench:costs (BENCH_QUICK=1)", () => {
  it.skipIf(inject("clusterPorts").length === 0)(
    "measures every row on both sides",
    () =>
      runQuickBench("bench/costs.ts", (out) => {
        const markdown = readFileSync(join(out, "costs.md"), "utf8")
        const redis = rowsUnder(markdown, "Redis CPU per call")
        for (
          const row of [
            "HSET of one data field (redisess's set, a plain command)",
            "FCALL exists, 16 calls per call",
            "FCALL data set, one key",
            "FCALL data set, one key, 16 calls per call",
            "EVALSHA, 16 data sets per call: a loop over the calls, nothing else",
            "EVALSHA, 16 data sets per call: each its HMGET and the HSET of its value, no other Lua"
          ]
        ) {
          const figures = redis.get(row)
          assert.isDefined(figures, row)
          assert.isAbove(Number(figures![0]), 0, row)
        }
        const node = rowsUnder(markdown, "Node time and allocation per call")
        for (const row of ["the edge alone: runPromise(Effect.promise(call))", "exists", "setData (one key)"]) {
          const figures = node.get(row)
          assert.isDefined(figures, row)
          assert.isAbove(Number(figures![0]), 0, row)
          assert.isAbove(Number(figures![1]!.replaceAll(",", "")), 0, row)
        }
      }),
    120_000
  )
})
