/**
 * What Node's young-generation size does to the hot operations: the same measurements at 64 in
 * flight in child processes started with the default young generation and with larger ones
 * (`--max-semi-space-size`), taking turns against one private redis-server, each ratio taken
 * within one child (raw baseline next to the library). Writes bench/results/young-generation.md.
 *
 * Every operation allocates (Effect's fiber and this library's objects, ioredis's command and
 * reply), so with 64 in flight the young generation fills and is scavenged many times a second;
 * a larger one is scavenged less often, for the same live data.
 *
 * Run: npm run bench:young-gen   (a child: node [flags] --import tsx bench/youngGeneration.ts child <url>)
 */
import { fileURLToPath } from "node:url"
import { startRedisServer } from "../test/utils/redisServer.js"
import type { Timing } from "./harness.js"
import { median, resultsPage, runChild, runMain, runMeasured, runMeasuredBatch, sized } from "./harness.js"
import { connect, lib, newSessionId, raw } from "./targets.js"

const inFlight = 64
const ops = sized(10_000, 640)
const reps = sized(8, 1)
const configs: ReadonlyArray<{ readonly name: string; readonly flags: ReadonlyArray<string> }> = [
  { name: "default", flags: [] },
  { name: "--max-semi-space-size=32", flags: ["--max-semi-space-size=32"] },
  { name: "--max-semi-space-size=64", flags: ["--max-semi-space-size=64"] }
]

/** What one child measured: one timing per operation. */
type ChildResult = Record<string, Timing>

/** The rows: operation, its raw baseline (measured in the same child). */
const rowsOf: ReadonlyArray<readonly [op: string, baseline: string]> = [
  ["EVALSHA touch", "EVALSHA touch"],
  ["HGETALL", "HGETALL"],
  ["EVALSHA touch via the edge", "EVALSHA touch"],
  ["get (update)", "EVALSHA touch"],
  ["get (update), from fibers", "EVALSHA touch"],
  ["get (noUpdate)", "HGETALL"],
  ["get (noUpdate), from fibers", "HGETALL"],
  ["exists", "HGETALL"],
  ["create", "EVALSHA touch"]
]

const child = async (url: string): Promise<ChildResult> => {
  const namespace = `young-${process.pid}`
  const admin = await connect(url)
  const l = await lib(url, namespace)
  const r = await raw(url, `${namespace}-raw`, namespace)
  const ids = await Promise.all(Array.from({ length: 1000 }, (_, i) => l.create(`u${i}`)))
  const rawIds = Array.from({ length: 1000 }, newSessionId)
  const id = (i: number) => ids[i % 1000]!
  const user = (i: number) => `u${i % 1000}`
  const runs: ReadonlyArray<readonly [string, () => Promise<Timing>]> = [
    ["EVALSHA touch", () => runMeasured(admin, ops, inFlight, (i) => r.touch(rawIds[i % 1000]!, user(i)))],
    ["HGETALL", () => runMeasured(admin, ops, inFlight, (i) => r.hgetall(id(i)))],
    [
      "EVALSHA touch via the edge",
      () => runMeasured(admin, ops, inFlight, (i) => l.edge(() => r.touch(rawIds[i % 1000]!, user(i))))
    ],
    ["get (update)", () => runMeasured(admin, ops, inFlight, (i) => l.get(id(i), false))],
    [
      "get (update), from fibers",
      () => runMeasuredBatch(admin, ops, () => l.inFibers(ops, inFlight, (sm, i) => sm.get(id(i))))
    ],
    ["get (noUpdate)", () => runMeasured(admin, ops, inFlight, (i) => l.get(id(i), true))],
    [
      "get (noUpdate), from fibers",
      () => runMeasuredBatch(admin, ops, () => l.inFibers(ops, inFlight, (sm, i) => sm.get(id(i), { noUpdate: true })))
    ],
    ["exists", () => runMeasured(admin, ops, inFlight, (i) => l.exists(id(i)))],
    ["create", () => runMeasured(admin, ops, inFlight, (i) => l.create(user(i)))]
  ]
  const result: ChildResult = {}
  for (const [name, run] of runs) {
    await run() // warm-up
    result[name] = await run()
  }
  await l.close()
  await r.close()
  await admin.quit()
  return result
}

const fmt = (x: number, digits = 2) => Number.isFinite(x) ? x.toFixed(digits) : "n/a"
const int = (x: number) => Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "n/a"

const main = async () => {
  const server = await startRedisServer()
  const admin = await connect(server.url)
  try {
    const results = new Map<string, Array<ChildResult>>(configs.map((c) => [c.name, []]))
    for (let rep = 1; rep <= reps; rep++) {
      for (const config of configs) {
        results.get(config.name)!.push(
          runChild<ChildResult>(fileURLToPath(import.meta.url), ["child", server.url], config.flags)
        )
        process.stderr.write(`  repetition ${rep}: ${config.name}\n`)
        await admin.flushall()
      }
    }
    const page = resultsPage("Young generation size and throughput")
    const p = page.line
    p(`${inFlight} in flight, ${
      ops.toLocaleString("en-US")
    } operations per run after a warm-up run, ${reps} repetitions;`)
    p("each configuration is a separate Node process (taking turns), against one private redis-server. Figures are")
    p("medians; `x raw` is the median of the ratios to the raw baseline measured in the same process.")
    p()
    p("| operation | raw baseline | " + configs.map((c) => `${c.name}: ops/s, x raw, Node µs/op`).join(" | ") + " |")
    p("| --- | --- | " + configs.map(() => "--:").join(" | ") + " |")
    for (const [op, baseline] of rowsOf) {
      const cells = configs.map((c) => {
        const runs = results.get(c.name)!
        const opsPerSec = median(runs.map((r) => r[op]!.opsPerSec))
        const ratio = median(runs.map((r) => r[op]!.opsPerSec / r[baseline]!.opsPerSec))
        const node = median(runs.map((r) => r[op]!.nodeCpuUs ?? Number.NaN))
        return `${int(opsPerSec)}, ${fmt(ratio)}x, ${fmt(node, 1)}`
      })
      p(`| ${op} | ${baseline} | ${cells.join(" | ")} |`)
    }
    page.write("young-generation.md")
  } finally {
    await admin.quit().catch(() => undefined)
    await server.stop()
  }
}

if (process.argv[2] === "child") runMain(() => child(process.argv[3]!), { printResult: true })
else runMain(main)
