/**
 * The benchmarks beside `npm run bench` (`bench:costs`, `bench:spans`, `bench:young-gen`,
 * `bench:per-user`, `bench:longest-commands`, `bench:cluster`) in their quick mode, end to end: each
 * runs through and writes its page, marked as a smoke run, with its tables filled. `bench:costs`
 * also stops when a row's script calls fail, so a row cannot measure an error path. Figures are not
 * asserted (no timed assertions). Needs `redis-server` on PATH: each starts servers of its own.
 */
import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { inject } from "vitest"
import { runQuickBench } from "./utils/quickBench.js"

/** The rows of the tables of a page (or of its section under `heading`), header rows left out: their cells. */
const rowsOf = (markdown: string, heading?: string): Array<ReadonlyArray<string>> => {
  const section = heading === undefined
    ? markdown
    : markdown.split(/^## /m).find((part) => part.startsWith(heading)) ?? ""
  const rows: Array<ReadonlyArray<string>> = []
  const lines = section.split("\n")
  for (let i = 0; i < lines.length; i++) {
    const cells = lines[i]!.split("|").slice(1, -1).map((cell) => cell.trim())
    const isRule = cells.length > 0 && cells.every((cell) => /^:?-+:?$/.test(cell))
    const isHeader = /^\| :?-/.test(lines[i + 1] ?? "")
    if (cells.length >= 2 && !isRule && !isHeader) rows.push(cells)
  }
  return rows
}

/** The rows of a page's section by their first cell. */
const rowsByName = (markdown: string, heading: string): Map<string, ReadonlyArray<string>> =>
  new Map(rowsOf(markdown, heading).map((cells) => [cells[0]!, cells.slice(1)]))

/** Whether a cell holds a figure (digits, maybe with separators, a unit or a sign). */
const isFigure = (cell: string) => /\d/.test(cell)

/** Runs `script` quickly and checks its page `file`: marked as a smoke run, and `check`. */
const smoke = (script: string, file: string, title: string, check: (markdown: string) => void) =>
  runQuickBench(script, (out) => {
    const markdown = readFileSync(join(out, file), "utf8")
    assert.include(markdown.split("\n")[0], `# ${title} (BENCH_QUICK: not meaningful)`)
    check(markdown)
  })

/** Every row of the page's tables has figures, and there are at least `least` rows. */
const filled = (least: number) => (markdown: string) => {
  const rows = rowsOf(markdown)
  assert.isAtLeast(rows.length, least)
  for (const cells of rows) assert.isTrue(cells.slice(1).some(isFigure), cells.join(" | "))
}

const noServer = inject("clusterPorts").length === 0

describe("the other benchmarks (BENCH_QUICK=1)", () => {
  it.skipIf(noServer)(
    "bench:costs measures every row on both sides",
    () =>
      smoke("bench/costs.ts", "costs.md", "Where one call's cost goes", (markdown) => {
        const redis = rowsByName(markdown, "Redis CPU per call")
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
          const median = Number(figures![0])
          assert.isAbove(median, 0, row)
          // the runs' least and most, around their median
          const [least, most] = figures![1]!.split(" - ").map(Number)
          assert.isAtMost(least!, median, row)
          assert.isAtLeast(most!, median, row)
        }
        const node = rowsByName(markdown, "Node time and allocation per call")
        for (const row of ["the edge alone: runPromise(Effect.promise(call))", "exists", "setData (one key)"]) {
          const figures = node.get(row)
          assert.isDefined(figures, row)
          assert.isAbove(Number(figures![0]), 0, row)
          assert.isAbove(Number(figures![1]!.replaceAll(",", "")), 0, row)
        }
      }),
    120_000
  )

  it.skipIf(noServer)(
    "bench:spans",
    () => smoke("bench/spans.ts", "spans.md", "What the spans option costs", filled(12)),
    120_000
  )

  it.skipIf(noServer)(
    "bench:young-gen",
    () => smoke("bench/youngGeneration.ts", "young-generation.md", "Young generation size and throughput", filled(2)),
    120_000
  )

  it.skipIf(noServer)(
    "bench:per-user",
    () => smoke("bench/perUser.ts", "per-user.md", "One user with very many sessions", filled(4)),
    120_000
  )

  it.skipIf(noServer)("bench:longest-commands", () =>
    smoke(
      "bench/longestCommands.ts",
      "longest-commands.md",
      "The longest single Redis command of operations over large data",
      filled(8)
    ), 120_000)

  it.skipIf(noServer)(
    "bench:cluster",
    () => smoke("bench/cluster.ts", "cluster.md", "effect-redisess on a Redis Cluster: load spread", filled(3)),
    120_000
  )
})
