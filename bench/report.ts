/**
 * Turns the measurements into the results: medians and same-repetition ratios, the target checks,
 * a markdown report and a hand-written SVG bar chart of the ratios.
 */
import type { AllocationResult } from "./allocation.js"
import type { ServerStall } from "./harness.js"
import { median } from "./harness.js"
import type { CallLatency, Sample, Target } from "./ops.js"
import type { MemoryResult, MemoryTarget, Stall } from "./storage.js"
import { floors } from "./storage.js"
import { benchData } from "./targets.js"

/** Where and with what the run happened. */
export interface Environment {
  readonly date: string
  readonly commit: string
  readonly cpus: string
  readonly memory: string
  readonly node: string
  readonly redis: string
  readonly server: string
  readonly packages: Readonly<Record<string, string>>
  readonly sizes: string
  readonly totalSeconds: number
  readonly loadAverage: string
}

/** Everything measured. */
export interface Results {
  readonly env: Environment
  readonly samples: ReadonlyArray<Sample>
  /** Per-call latency at 1 in flight, the targets taking turns call by call. */
  readonly latency: ReadonlyArray<CallLatency>
  readonly memory: ReadonlyArray<MemoryResult>
  readonly wipe: { readonly loadSeconds: number; readonly stall: Stall; readonly keysLeft: number }
  readonly listingStalls: { readonly lib: Stall; readonly redisess: Stall; readonly pages: number }
  /** Node heap allocated per operation, with few and with many sessions present. */
  readonly allocation: ReadonlyArray<AllocationResult>
}

/** Allocation per operation by op: bytes with the fewest and with the most sessions, and GCs seen. */
const allocationRows = (results: ReadonlyArray<AllocationResult>) => {
  const counts = [...new Set(results.map((r) => r.sessions))].sort((a, b) => a - b)
  const few = counts[0]
  const many = counts[counts.length - 1]
  return [...new Set(results.map((r) => r.op))].map((op) => {
    const at = (sessions: number | undefined) => results.find((r) => r.op === op && r.sessions === sessions)
    const [small, large] = [at(few), at(many)]
    return {
      op,
      few: few ?? Number.NaN,
      many: many ?? Number.NaN,
      small: small?.bytesPerOp ?? Number.NaN,
      large: large?.bytesPerOp ?? Number.NaN,
      gcs: (small?.gcs ?? 0) + (large?.gcs ?? 0),
      library: !op.includes("HGETALL")
    }
  })
}

/** An operation of the table (its raw baseline is measured with it, under its name), and whether its script is timed raw. */
interface RowSpec {
  readonly op: string
  readonly hasScript: boolean
}

const rowSpecs: ReadonlyArray<RowSpec> = [
  { op: "create", hasScript: true },
  { op: "get (update)", hasScript: true },
  { op: "get (noUpdate)", hasScript: true },
  { op: "exists", hasScript: true },
  { op: "kill", hasScript: true },
  { op: "killUser (2 sessions)", hasScript: false },
  { op: "data set", hasScript: true },
  { op: "data get", hasScript: true },
  { op: "count()", hasScript: false },
  { op: "count(60)", hasScript: false },
  { op: "getAllSessions(60)", hasScript: false },
  { op: "getAllUsers()", hasScript: false }
]

/** The medians of one row. */
export interface Row {
  readonly op: string
  readonly inFlight: number
  readonly baseline: string
  readonly rawOps: number
  readonly libOps: number
  readonly rsOps: number
  readonly scriptOps: number
  /** The raw baseline through the Effect edge alone (`runPromise(Effect.promise(...))`); NaN where not measured. */
  readonly edgeOps: number
  readonly edgeVsRaw: number
  readonly edgeUs: number
  readonly edgeOverRaw: number
  /** The raw baseline through the edge over redisess (same repetition): what any library called that way could reach. */
  readonly edgeVsRs: number
  /**
   * The library's read path with no Effect per call over redisess (same repetition): what any
   * promise API over that path could reach; NaN where not measured (`exists` only).
   */
  readonly bareVsRs: number
  /** The library through `PromiseApi` (calls made together run as one program); NaN where not measured. */
  readonly promiseOps: number
  /** The library through `PromiseApi` over redisess (same repetition). */
  readonly promiseVsRs: number
  /** The library called from fibers of one Effect program (no edge per operation); NaN where not measured. */
  readonly fiberOps: number
  readonly fiberVsRaw: number
  readonly fiberUs: number
  /** fiber latency / own script sent raw - 1. */
  readonly fiberOverScript: number
  /** The raw baseline called from fibers of one Effect program; NaN where not measured. */
  readonly rawFiberOps: number
  /** The library from fibers over the raw baseline from fibers (same repetition). */
  readonly fiberVsRawFiber: number
  /** The library through one `runPromise` per call over the raw baseline through the same edge. */
  readonly libVsEdge: number
  /** Medians over repetitions of the same-repetition ratios. */
  readonly libVsRaw: number
  readonly rsVsRaw: number
  readonly libVsRs: number
  readonly rawUs: number
  readonly libUs: number
  readonly rsUs: number
  readonly scriptUs: number
  /** CPU µs per operation: Node process and Redis server, for baseline, lib script, lib, redisess. */
  readonly cpu: {
    readonly raw: readonly [number, number]
    readonly edge: readonly [number, number]
    readonly script: readonly [number, number]
    readonly lib: readonly [number, number]
    readonly fiber: readonly [number, number]
    readonly rawFiber: readonly [number, number]
    readonly rs: readonly [number, number]
  }
  /** lib latency / raw baseline latency - 1. */
  readonly libOverRaw: number
  /** lib latency / own script sent raw - 1: the Effect layer's cost. */
  readonly libOverScript: number
  /**
   * The lowest and highest of a goal's same-repetition ratios (the figure above is their median):
   * how far the verdict stands from the run's own noise.
   */
  readonly spread: {
    readonly redisCpuVsRs: Range
    readonly fiberVsRawFiber: Range
    readonly libVsEdge: Range
    readonly libVsRs: Range
    readonly promiseVsRs: Range
  }
}

/** The lowest and highest of a set of ratios (NaN when there are none). */
export type Range = readonly [low: number, high: number]

/** Computes the table rows from the samples. */
export const rows = (samples: ReadonlyArray<Sample>): Array<Row> => {
  const reps = [...new Set(samples.map((s) => s.rep))].filter((r) => r > 0)
  const inFlights = [...new Set(samples.map((s) => s.inFlight))].sort((a, b) => b - a)
  const find = (op: string, inFlight: number, rep: number, target: Target) =>
    samples.find((s) => s.op === op && s.inFlight === inFlight && s.rep === rep && s.target === target)
  const out: Array<Row> = []
  for (const inFlight of inFlights) {
    for (const spec of rowSpecs) {
      const per = reps.map((rep) => ({
        raw: find(spec.op, inFlight, rep, "raw"),
        edge: find(spec.op, inFlight, rep, "edge"),
        lib: find(spec.op, inFlight, rep, "lib"),
        fiber: find(spec.op, inFlight, rep, "fiber"),
        rawFiber: find(spec.op, inFlight, rep, "rawFiber"),
        rs: find(spec.op, inFlight, rep, "redisess"),
        bare: find(spec.op, inFlight, rep, "bare"),
        promise: find(spec.op, inFlight, rep, "promise"),
        script: spec.hasScript ? find(spec.op, inFlight, rep, "libScript") : undefined
      }))
      if (per.every((p) => p.lib === undefined)) continue
      const m = (f: (p: (typeof per)[number]) => number | undefined) =>
        median(per.map(f).filter((x): x is number => x !== undefined && Number.isFinite(x)))
      const ratio = (a: Sample | undefined, b: Sample | undefined) =>
        a === undefined || b === undefined ? undefined : a.timing.opsPerSec / b.timing.opsPerSec
      const over = (a: Sample | undefined, b: Sample | undefined) =>
        a === undefined || b === undefined ? undefined : a.timing.usPerOp / b.timing.usPerOp - 1
      const range = (f: (p: (typeof per)[number]) => number | undefined): Range => {
        const xs = per.map(f).filter((x): x is number => x !== undefined && Number.isFinite(x))
        return xs.length === 0 ? [NaN, NaN] : [Math.min(...xs), Math.max(...xs)]
      }
      const redisCpu = (a: Sample | undefined, b: Sample | undefined) =>
        a?.timing.redisCpuUs === undefined || b?.timing.redisCpuUs === undefined
          ? undefined
          : a.timing.redisCpuUs / b.timing.redisCpuUs
      out.push({
        op: spec.op,
        inFlight,
        baseline: per.find((p) => p.raw !== undefined)?.raw?.baseline ?? "",
        rawOps: m((p) => p.raw?.timing.opsPerSec),
        libOps: m((p) => p.lib?.timing.opsPerSec),
        rsOps: m((p) => p.rs?.timing.opsPerSec),
        scriptOps: m((p) => p.script?.timing.opsPerSec),
        edgeOps: m((p) => p.edge?.timing.opsPerSec),
        edgeVsRaw: m((p) => ratio(p.edge, p.raw)),
        edgeUs: m((p) => p.edge?.timing.usPerOp),
        edgeOverRaw: m((p) => over(p.edge, p.raw)),
        edgeVsRs: m((p) => ratio(p.edge, p.rs)),
        bareVsRs: m((p) => ratio(p.bare, p.rs)),
        promiseOps: m((p) => p.promise?.timing.opsPerSec),
        promiseVsRs: m((p) => ratio(p.promise, p.rs)),
        fiberOps: m((p) => p.fiber?.timing.opsPerSec),
        fiberVsRaw: m((p) => ratio(p.fiber, p.raw)),
        fiberUs: m((p) => p.fiber?.timing.usPerOp),
        fiberOverScript: m((p) => over(p.fiber, p.script)),
        rawFiberOps: m((p) => p.rawFiber?.timing.opsPerSec),
        fiberVsRawFiber: m((p) => ratio(p.fiber, p.rawFiber)),
        libVsEdge: m((p) => ratio(p.lib, p.edge)),
        libVsRaw: m((p) => ratio(p.lib, p.raw)),
        rsVsRaw: m((p) => ratio(p.rs, p.raw)),
        libVsRs: m((p) => ratio(p.lib, p.rs)),
        rawUs: m((p) => p.raw?.timing.usPerOp),
        libUs: m((p) => p.lib?.timing.usPerOp),
        rsUs: m((p) => p.rs?.timing.usPerOp),
        scriptUs: m((p) => p.script?.timing.usPerOp),
        cpu: {
          raw: [m((p) => p.raw?.timing.nodeCpuUs), m((p) => p.raw?.timing.redisCpuUs)],
          edge: [m((p) => p.edge?.timing.nodeCpuUs), m((p) => p.edge?.timing.redisCpuUs)],
          script: [m((p) => p.script?.timing.nodeCpuUs), m((p) => p.script?.timing.redisCpuUs)],
          lib: [m((p) => p.lib?.timing.nodeCpuUs), m((p) => p.lib?.timing.redisCpuUs)],
          fiber: [m((p) => p.fiber?.timing.nodeCpuUs), m((p) => p.fiber?.timing.redisCpuUs)],
          rawFiber: [m((p) => p.rawFiber?.timing.nodeCpuUs), m((p) => p.rawFiber?.timing.redisCpuUs)],
          rs: [m((p) => p.rs?.timing.nodeCpuUs), m((p) => p.rs?.timing.redisCpuUs)]
        },
        libOverRaw: m((p) => over(p.lib, p.raw)),
        libOverScript: m((p) => over(p.lib, p.script)),
        spread: {
          redisCpuVsRs: range((p) => redisCpu(p.lib, p.rs)),
          fiberVsRawFiber: range((p) => ratio(p.fiber, p.rawFiber)),
          libVsEdge: range((p) => ratio(p.lib, p.edge)),
          libVsRs: range((p) => ratio(p.lib, p.rs)),
          promiseVsRs: range((p) => ratio(p.promise, p.rs))
        }
      })
    }
  }
  return out
}

/** The operations of the interleaved latency table and their raw baselines (target names as `runInterleavedLatency`'s). */
const interleavedOps: ReadonlyArray<readonly [op: string, baseline: string]> = [
  ["create", "EVALSHA touch"],
  ["get (update)", "EVALSHA touch"],
  ["get (noUpdate)", "HGETALL"],
  ["exists", "HGETALL"],
  ["kill", "EVALSHA touch"]
]

/**
 * One operation's interleaved latencies: baseline, baseline via the edge, its script sent raw, the
 * same through the edge, the library; and from the run inside one fiber (where measured), its
 * script sent from that fiber and the library called from it.
 */
const interleavedRow = (latency: ReadonlyArray<CallLatency>, op: string, baseline: string) => {
  const find = (target: string) => latency.find((l) => l.target === target)
  const raw = find(`${baseline}, raw`)
  const edge = find(`${baseline} via the edge`)
  const script = find(`${op}: lib script, raw`)
  const scriptEdge = find(`${op}: lib script via the edge`)
  const lib = find(`${op}: effect-redisess`)
  if (
    raw === undefined || edge === undefined || script === undefined || scriptEdge === undefined || lib === undefined
  ) return undefined
  const fiberScript = find(`${op}: lib script from a fiber`)
  const fiberLib = find(`${op}: effect-redisess from a fiber`)
  const fiber = fiberScript === undefined || fiberLib === undefined ? undefined : { script: fiberScript, lib: fiberLib }
  return { op, baseline, raw, edge, script, scriptEdge, lib, fiber }
}

/**
 * `a`'s statistic over `b`'s, minus 1, as the median over the passes of the interleaved run of the
 * ratio within each pass.
 */
const withinPasses = (a: CallLatency, b: CallLatency, stat: "p50" | "mean"): number =>
  median(a.passes.map((pass, k) => pass[stat] / b.passes[k]![stat])) - 1

/** A target check. */
export interface Check {
  readonly target: string
  readonly measured: string
  readonly met: boolean
}

const fmt = (x: number, digits = 2) => Number.isFinite(x) ? x.toFixed(digits) : "n/a"

/**
 * `fmt`, with one digit more where rounding would show a value on the wrong side of its goal's
 * threshold as equal to it (a missed 1.004x printed as 1.00x).
 */
export const fmtNear = (x: number, threshold: number, digits = 2) =>
  fmt(x, digits) === fmt(threshold, digits) && x !== threshold ? fmt(x, digits + 1) : fmt(x, digits)

/** A goal's spread over the repetitions, for its measured column. */
const spreadOf = ([low, high]: Range) => Number.isFinite(low) ? `repetitions ${fmt(low)}-${fmt(high)}x; ` : ""
const int = (x: number) => Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "n/a"
const latency = (s: ServerStall) => s.latencyMs > 0 ? `${s.latencyMs} ms (${s.latencyEvent})` : "< 1 ms"
/** The next longest command in SLOWLOG, ms; none there means none reached its 200 µs threshold. */
const nextLongest = (s: ServerStall) => s.nextMs > 0 ? fmt(s.nextMs) : "< 0.2"
const pct = (x: number) => Number.isFinite(x) ? `${x >= 0 ? "+" : ""}${(x * 100).toFixed(0)}%` : "n/a"

/**
 * A "never blocks Redis > 10 ms" target, judged on the longest single command Redis timed itself
 * (SLOWLOG); the PING loop's maximum is shown next to it. Without SLOWLOG (shared server) it falls
 * back on the PING maximum, and says so.
 */
const blockCheck = (target: string, s: Stall): Check => {
  const ping = `max PING from another process ${fmt(s.ping.maxMs)} ms`
  if (s.server === undefined) {
    return { target: `${target} (max PING; no SLOWLOG on a shared server)`, measured: ping, met: s.ping.maxMs <= 10 }
  }
  return {
    target: `${target} (longest command in SLOWLOG)`,
    measured: `${fmt(s.server.maxMs)} ms (${s.server.command}); the next longest ${
      nextLongest(s.server)
    } ms, p99 of the commands over 200 µs ${fmt(s.server.p99Ms)} ms; latency monitor ${latency(s.server)}; ${ping}`,
    met: s.server.maxMs <= 10
  }
}

/** The operations of goal 1: Redis CPU per operation at 64 in flight, at or below redisess's. */
const redisCpuOps = [
  "create",
  "get (update)",
  "get (noUpdate)",
  "exists",
  "kill",
  "data set",
  "data get",
  "count()",
  "count(60)"
]

/** The point operations of goal 2 (from fibers vs the raw baseline from fibers). */
const pointOps = ["create", "get (update)", "get (noUpdate)", "exists", "kill", "data set", "data get"]

/** The reads of goal 3 (through one `runPromise` per call vs the raw baseline through the same edge). */
const readOps = ["get (noUpdate)", "exists", "data get", "count()", "count(60)"]

/**
 * What the bare edge reached against redisess in the same run (the raw baseline through one
 * `runPromise` per call, nothing else): the most any library called that way could.
 */
const edgeCeiling = (r: Row): string =>
  Number.isFinite(r.edgeVsRs) ? `; the raw ${r.baseline} through the same edge: ${fmt(r.edgeVsRs)}x redisess` : ""

/**
 * What the library's read path reached against redisess with no Effect per call (`bareExists` in
 * `targets.ts`): the most any promise API over that path could, however it runs its calls.
 */
const bareCeiling = (r: Row): string =>
  Number.isFinite(r.bareVsRs)
    ? `; the library's read path with no Effect per call: ${fmt(r.bareVsRs)}x redisess`
    : ""

/** The memory goals of goal 6, by shape: bytes per session with the default settings. */
const memoryGoals: ReadonlyArray<readonly [shape: string, bytes: number]> = [
  ["10,000 users x 10 sessions, 2 fields", 400],
  ["100,000 users x 1 session", 530]
]

/** Checks the performance issue's goals (numbered as in the issue). */
export const checks = (results: Results, table: ReadonlyArray<Row>): Array<Check> => {
  const row = (op: string, inFlight: number) => table.find((r) => r.op === op && r.inFlight === inFlight)
  const out: Array<Check> = []
  for (const op of redisCpuOps) {
    const r = row(op, 64)
    if (r === undefined) continue
    const [ours, theirs] = [r.cpu.lib[1], r.cpu.rs[1]]
    out.push({
      target: `1. ${op}: Redis CPU per operation <= redisess's (64 in flight)`,
      measured: `${fmtNear(ours, theirs, 1)} vs ${fmtNear(theirs, ours, 1)} µs (${fmtNear(ours / theirs, 1)}x; ${
        spreadOf(r.spread.redisCpuVsRs)
      }from fibers ${fmt(r.cpu.fiber[1], 1)} µs)`,
      met: ours <= theirs
    })
  }
  const touch = row("get (update)", 64)
  if (touch !== undefined) {
    const [ours, raw] = [touch.cpu.lib[1], touch.cpu.raw[1]]
    out.push({
      target: "1. get (update): Redis CPU per operation <= 1.5x the raw EVALSHA touch's (64 in flight)",
      measured: `${fmt(ours, 1)} vs ${fmt(raw, 1)} µs (${fmtNear(ours / raw, 1.5)}x)`,
      met: ours <= 1.5 * raw
    })
  }
  for (const op of pointOps) {
    const r = row(op, 64)
    if (r === undefined || !Number.isFinite(r.fiberVsRawFiber)) continue
    out.push({
      target: `2. ${op} from fibers >= 1.0x the raw baseline (${r.baseline}) from the same fibers (64 in flight)`,
      measured: `${fmtNear(r.fiberVsRawFiber, 1)}x (${spreadOf(r.spread.fiberVsRawFiber)}${int(r.fiberOps)} vs ${
        int(r.rawFiberOps)
      } ops/s; CPU µs per op, Node + Redis, which share the cores: ${fmt(r.cpu.fiber[0] + r.cpu.fiber[1], 1)} vs ${
        fmt(r.cpu.rawFiber[0] + r.cpu.rawFiber[1], 1)
      })`,
      met: r.fiberVsRawFiber >= 1
    })
  }
  for (const op of ["create", "get (update)", "kill", "killUser (2 sessions)"]) {
    const r = row(op, 64)
    if (r === undefined) continue
    out.push({
      target: `3. ${op} through one runPromise per call >= 1.5x redisess (64 in flight)`,
      measured: `${fmtNear(r.libVsRs, 1.5)}x (${spreadOf(r.spread.libVsRs)}${int(r.libOps)} vs ${int(r.rsOps)} ops/s)${
        edgeCeiling(r)
      }`,
      met: r.libVsRs >= 1.5
    })
  }
  for (const op of readOps) {
    const r = row(op, 64)
    if (r === undefined || !Number.isFinite(r.libVsEdge)) continue
    out.push({
      target:
        `3. ${op} through one runPromise per call >= 0.9x the raw ${r.baseline} through the same edge (64 in flight)`,
      measured: `${fmtNear(r.libVsEdge, 0.9)}x (${spreadOf(r.spread.libVsEdge)}${int(r.libOps)} vs ${
        int(r.edgeOps)
      } ops/s)`,
      met: r.libVsEdge >= 0.9
    })
  }
  for (const r of table.filter((r) => r.inFlight === 64 && Number.isFinite(r.rsOps))) {
    if (r.op.startsWith("getAll")) continue
    // through PromiseApi where measured, one runPromise per call beside it; else that alone, with the edge
    const promised = Number.isFinite(r.promiseVsRs)
    const [how, ratio, spread, ops] = promised
      ? ["PromiseApi", r.promiseVsRs, r.spread.promiseVsRs, r.promiseOps] as const
      : ["one runPromise per call", r.libVsRs, r.spread.libVsRs, r.libOps] as const
    out.push({
      target: `4. ${r.op} from plain promises (${how}) >= 1.0x redisess (64 in flight)`,
      measured: `${fmtNear(ratio, 1)}x (${spreadOf(spread)}${int(ops)} vs ${int(r.rsOps)} ops/s${
        promised ? `; one runPromise per call: ${fmt(r.libVsRs)}x)` : `)${edgeCeiling(r)}`
      }${bareCeiling(r)}`,
      met: ratio >= 1
    })
  }
  for (const op of ["create", "get (update)", "get (noUpdate)", "exists", "kill"]) {
    const r = row(op, 1)
    if (r === undefined) continue
    const i = interleavedRow(results.latency, op, r.baseline)
    if (i === undefined) continue
    const overMedian = withinPasses(i.lib, i.script, "p50")
    const overMean = withinPasses(i.lib, i.script, "mean")
    out.push({
      target:
        `5. ${op}: the Effect layer adds <= 10% over its own script at 1 in flight (calls interleaved, median and mean)`,
      measured: `median ${pct(overMedian)}, mean ${pct(overMean)} (each the median over passes; the whole run's mean: ${
        pct(i.lib.mean / i.script.mean - 1)
      }; its own script through the same edge, nothing else: median ${
        pct(withinPasses(i.scriptEdge, i.script, "p50"))
      }, mean ${pct(withinPasses(i.scriptEdge, i.script, "mean"))}; the edge alone on the raw baseline: median ${
        pct(withinPasses(i.edge, i.raw, "p50"))
      }, mean ${pct(withinPasses(i.edge, i.raw, "mean"))}${
        i.fiber === undefined ?
          "" :
          `; called from a fiber, no runPromise per call: median ${
            pct(withinPasses(i.fiber.lib, i.fiber.script, "p50"))
          }, mean ${pct(withinPasses(i.fiber.lib, i.fiber.script, "mean"))}`
      })`,
      met: overMedian <= 0.1 && overMean <= 0.1
    })
  }
  for (const [shape, goal] of memoryGoals) {
    const l = results.memory.find((m) => m.shape.name === shape && m.target === "lib")
    if (l === undefined) continue
    const floor = results.memory.find((m) => m.shape.name === shape && m.target === "floor, native TTLs")
    out.push({
      target: `6. memory per session <= ${goal} B (${shape}; default settings, indexes exact)`,
      measured: `${int(l.perSession)} B${
        floor === undefined
          ? ""
          : `; the floor, native TTLs (the same structures holding the least they can, raw commands): ${
            int(floor.perSession)
          } B`
      }`,
      met: l.perSession <= goal
    })
  }
  const grown = allocationRows(results.allocation).filter((r) => r.library)
  if (grown.length > 0) {
    const worst = grown.reduce((a, b) => b.large / b.small > a.large / a.small ? b : a)
    const ratio = worst.large / worst.small
    out.push({
      target: `no per-operation Node allocation grows with the number of sessions (${int(worst.few)} vs ${
        int(worst.many)
      } present)`,
      measured: `largest ratio ${fmt(ratio)}x (${worst.op}: ${int(worst.small)} vs ${int(worst.large)} B/op)${
        grown.some((r) => r.gcs > 0) ? "; a GC ran inside a batch, see the table" : ""
      }`,
      met: ratio <= 1.1 && grown.every((r) => r.gcs === 0)
    })
  }
  out.push(blockCheck("wipe never blocks Redis > 10 ms", results.wipe.stall))
  const w = results.wipe.stall
  const rate = w.items / w.seconds
  out.push({ target: "wipe clears >= 50,000 sessions/s", measured: `${int(rate)}/s`, met: rate >= 50_000 })
  out.push(blockCheck("getAllSessions(60) never holds Redis > 10 ms per call", results.listingStalls.lib))
  return out
}

const kb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`

/** The raw baselines that are one plain command (not a script, not a listing). */
const plainBaselines = ["HGETALL", "HGET", "HSET (1 field)", "ZCOUNT all", "ZCOUNT window"]

const span = (values: ReadonlyArray<number>) => {
  const finite = values.filter(Number.isFinite)
  if (finite.length === 0) return "n/a"
  const [low, high] = [Math.min(...finite), Math.max(...finite)]
  return fmt(low, 1) === fmt(high, 1) ? fmt(low, 1) : `${fmt(low, 1)}-${fmt(high, 1)}`
}

/**
 * What one command costs on the machine of the run: the CPU of the raw baselines at 64 in flight,
 * which send one command per operation. The library sends many operations per command, so its
 * ratios gain where a command costs more: the line says which kind of machine a run had.
 */
const commandCost = (table: ReadonlyArray<Row>): string => {
  const at64 = table.filter((r) => r.inFlight === 64)
  const plain = at64.filter((r) => plainBaselines.includes(r.baseline))
  const touch = at64.filter((r) => r.baseline === "EVALSHA touch")
  return `a plain command (${plainBaselines.join(", ")}) ${span(plain.map((r) => r.cpu.raw[1]))} µs of Redis CPU and ${
    span(plain.map((r) => r.cpu.raw[0]))
  } µs of Node's, the raw EVALSHA touch ${span(touch.map((r) => r.cpu.raw[1]))} µs of Redis's`
}

/** The markdown report. */
export const markdown = (results: Results): string => {
  const table = rows(results.samples)
  const { env } = results
  const lines: Array<string> = []
  const p = (line = "") => lines.push(line)
  p("# effect-redisess benchmark")
  p()
  p(`Run ${env.date} at commit \`${env.commit}\`, in one Node process, ${int(env.totalSeconds)} s in all.`)
  p()
  p(`- Machine: ${env.cpus}, ${env.memory} RAM`)
  p(`- Node ${env.node}; Redis ${env.redis} (${env.server})`)
  p(`- Packages: ${Object.entries(env.packages).map(([k, v]) => `${k} ${v}`).join(", ")}`)
  p(`- Sizes: ${env.sizes}`)
  p(`- Machine load average: ${env.loadAverage}`)
  p(`- One command on this machine (the raw baselines at 64 in flight): ${commandCost(table)}. effect-redisess`)
  p("  sends many operations per command (a script call carries up to 16, a write of plain reads up to 32), redisess")
  p("  and the raw baselines one each: the more a command costs, the more the ratios move effect-redisess's way, so")
  p("  compare verdicts of runs on different machines with this line in mind (docs/benchmarks.md, \"Two machines,")
  p("  one library\").")
  p()
  p("Each figure is the median over the repetitions; each ratio is the median of the ratios taken within one")
  p("repetition. Within a repetition, the targets of one point operation or count (its raw baseline, by itself,")
  p("through the edge and from fibers, and the libraries every way they are called) take turns: each makes its calls")
  p("in as many slices as there are targets (twice as many when that is odd), the rounds of slices in the orders of a")
  p("Williams design, so that each target runs first, and right after each other target, equally often; all see the")
  p("same moments of the machine and a ratio compares runs made side by side, not seconds apart (the listings, a few")
  p("calls of 100,000 ids each, still run one target after another: slices would cut how many are in flight).")
  p("effect-redisess is")
  p("called through `ManagedRuntime.runPromise` (one call per operation); redisess through its promises. Raw")
  p("baselines are plain ioredis calls: `EVALSHA touch` is a small script doing HSET of 2 fields and 3 ZADD.")
  p("`lib script, raw` sends effect-redisess's own Redis calls without Effect: its script call (FCALL of its function),")
  p("or for the reads that change nothing (get noUpdate, exists, data get) its `TIME`, `HMGET`, `TIME` in one write, one")
  p("call at a time (not gathered with others); so `lib script` vs `effect-redisess` at 1 in flight is the cost of the")
  p("Effect layer, and `lib script` vs the baseline the cost of its Lua or of reading the times.")
  p("`baseline via the edge` sends the raw baseline call through the same edge and nothing else,")
  p("`runtime.runPromise(Effect.promise(() => call))`: the best any library reached through one `runPromise` per operation")
  p("could do. `from fibers` calls effect-redisess from as many fibers of one Effect program (one `runPromise` for")
  p("the whole run), as an Effect app does (an HTTP handler on `@effect/platform`, say): no edge per operation;")
  p("`baseline from fibers` makes the raw baseline call from as many fibers (`Effect.promise`), as an Effect app")
  p("hand-writing its ioredis calls would. For `exists`, goal 4 also names what the library's own read path reached")
  p("with no Effect per call (the token checked, its id, the read gathered with the turn's others between two `TIME`s,")
  p("its liveness judged: `bareExists` in `bench/targets.ts`), the most a promise API over that path could reach.")
  p("Goal 4 measures the library's promise API, `PromiseApi` (at 64 in flight, on the same runtime), where the")
  p("`exists`, `get` without update and data calls made together run as one program and identical counts share a run.")
  p()
  p("## Throughput (operations per second)")
  p()
  p("| operation | in flight | raw baseline | baseline ops/s | effect-redisess ops/s | x baseline | redisess ops/s | x baseline | effect-redisess / redisess | lib script, raw ops/s | baseline via the edge, x baseline | effect-redisess / baseline via the edge | effect-redisess from fibers, x baseline | baseline from fibers, ops/s | effect-redisess from fibers / baseline from fibers |")
  p("| --- | --: | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |")
  for (const r of table) {
    p(
      `| ${r.op} | ${r.inFlight} | ${r.baseline} | ${int(r.rawOps)} | ${int(r.libOps)} | ${fmt(r.libVsRaw)} | ${
        int(r.rsOps)
      } | ${fmt(r.rsVsRaw)} | ${fmt(r.libVsRs)} | ${int(r.scriptOps)} | ${fmt(r.edgeVsRaw)} | ${fmt(r.libVsEdge)} | ${
        fmt(r.fiberVsRaw)
      } | ${int(r.rawFiberOps)} | ${fmt(r.fiberVsRawFiber)} |`
    )
  }
  p()
  p("Rows from `count()` down run with 100,000 sessions (10,000 users x 10) present in each library's namespace.")
  p("The `(60)` window is counted from the end of that load (60 s plus the seconds since), so all 100,000 stay inside")
  p("it however long the suite runs: each call returns what `(60)` returns right after the load.")
  p("`killUser` is compared with `EVALSHA touch` only for scale (it removes 2 sessions).")
  p(`\`data set\` / \`data get\` write / read one key holding a ${benchData.value.length}-character string on a live`)
  p("session: effect-redisess by `setData(sessionId, key, value)` / `getData(sessionId, key)`, redisess by")
  p("`session.set(key, value)` / `session.get(key)` on Session objects fetched (`get(sessionId, true)`) before the")
  p("timing; the raw baselines are HSET / HGET of one field (the library's encoding of the value) of a session hash.")
  p()
  p("## Latency at 1 in flight (microseconds per operation)")
  p()
  p("| operation | raw baseline | baseline µs | baseline via the edge µs | lib script, raw µs | effect-redisess µs | over baseline | Effect layer (over its own script) | from a fiber µs (over its own script) | redisess µs |")
  p("| --- | --- | --: | --: | --: | --: | --: | --: | --: | --: |")
  for (const r of table.filter((r) => r.inFlight === 1)) {
    p(
      `| ${r.op} | ${r.baseline} | ${fmt(r.rawUs, 0)} | ${fmt(r.edgeUs, 0)} (${pct(r.edgeOverRaw)}) | ${
        fmt(r.scriptUs, 0)
      } | ${fmt(r.libUs, 0)} | ${pct(r.libOverRaw)} | ${pct(r.libOverScript)} | ${fmt(r.fiberUs, 0)} (${
        pct(r.fiberOverScript)
      }) | ${fmt(r.rsUs, 0)} |`
    )
  }
  p()
  p("## Latency at 1 in flight, calls interleaved (microseconds per call)")
  p()
  p("The targets above run one after another, each for a whole run, and their means count the slowest calls in full.")
  p("Here every target makes one call in turn (the rounds in the orders of a Williams design, so that each target runs")
  p("first, and right after each other target, equally often), so all see the same moments of the machine; each")
  p(`figure is over ${int(results.latency[0]?.calls ?? Number.NaN)} calls per target after a warm-up tenth, and each`)
  p(`ratio (the columns in %) the median over the run's ${
    results.latency[0]?.passes.length ?? 0
  } consecutive passes of the ratio within each pass.`)
  p("The 1-in-flight targets are judged on this table, median and mean both: in the sequential runs above even the")
  p("bare edge, which adds nothing but one `runPromise`, moves with the machine from run to run. `lib script via")
  p("the edge` is the library's own calls, sent raw, through that edge and nothing else: of the Effect layer's cost,")
  p("the part one `runPromise` per call takes by itself, whatever the library does inside it. A mean here is")
  p("carried by the slowest hundredth of calls (pauses of milliseconds, on a machine whose 2 cores Redis, this")
  p("process and other services share); the last column leaves them out, for scale only. The last two columns come")
  p("from a second interleaved run inside one fiber of one Effect program, as an Effect app calls: the library's")
  p("operation against its own calls sent raw from the same fiber (`Effect.promise`), so the Effect layer with no")
  p("`runPromise` per call.")
  p()
  p("| operation | raw baseline p50 | via the edge p50 | lib script, raw p50 | lib script via the edge p50 | effect-redisess p50 (p10 / p90) | Effect layer over its script, p50 | the same, mean | the edge over the raw baseline, mean | the edge over its script, mean | Effect layer over its script, mean of the fastest 99% | from a fiber: lib script / effect-redisess p50 | from a fiber: Effect layer over its script, p50 / mean |")
  p("| --- | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |")
  for (const [op, baseline] of interleavedOps) {
    const i = interleavedRow(results.latency, op, baseline)
    if (i === undefined) continue
    p(
      `| ${op} | ${baseline} ${fmt(i.raw.p50, 0)} | ${fmt(i.edge.p50, 0)} (${
        pct(withinPasses(i.edge, i.raw, "p50"))
      }) | ${fmt(i.script.p50, 0)} | ${fmt(i.scriptEdge.p50, 0)} (${
        pct(withinPasses(i.scriptEdge, i.script, "p50"))
      }) | ${fmt(i.lib.p50, 0)} (${fmt(i.lib.p10, 0)} / ${fmt(i.lib.p90, 0)}) | ${
        pct(withinPasses(i.lib, i.script, "p50"))
      } | ${pct(withinPasses(i.lib, i.script, "mean"))} | ${pct(withinPasses(i.edge, i.raw, "mean"))} | ${
        pct(withinPasses(i.scriptEdge, i.script, "mean"))
      } | ${pct(i.lib.mean99 / i.script.mean99 - 1)} | ${
        i.fiber === undefined ? "n/a" : `${fmt(i.fiber.script.p50, 0)} / ${fmt(i.fiber.lib.p50, 0)}`
      } | ${
        i.fiber === undefined
          ? "n/a"
          : `${pct(withinPasses(i.fiber.lib, i.fiber.script, "p50"))} / ${
            pct(withinPasses(i.fiber.lib, i.fiber.script, "mean"))
          }`
      } |`
    )
  }
  p()
  p("## CPU per operation at 64 in flight (microseconds: Node process / Redis server)")
  p()
  p("Node: `process.cpuUsage()` of this process (all threads, so GC included); Redis: `INFO cpu` of the server.")
  p("On 2 cores the two compete with each other (and with anything else running on the machine).")
  p()
  p("| operation | raw baseline | baseline via the edge | baseline from fibers | lib script, raw | effect-redisess | from fibers | redisess |")
  p("| --- | --: | --: | --: | --: | --: | --: | --: |")
  const cpu = (pair: readonly [number, number]) => `${fmt(pair[0], 1)} / ${fmt(pair[1], 1)}`
  for (const r of table.filter((r) => r.inFlight === 64)) {
    p(
      `| ${r.op} | ${cpu(r.cpu.raw)} | ${cpu(r.cpu.edge)} | ${cpu(r.cpu.rawFiber)} | ${cpu(r.cpu.script)} | ${
        cpu(r.cpu.lib)
      } | ${cpu(r.cpu.fiber)} | ${cpu(r.cpu.rs)} |`
    )
  }
  p()
  p("## Node heap allocated per operation (bytes)")
  p()
  p("One operation at a time in a child process with a 256 MB young generation, so that no garbage collection runs")
  p("inside a measured batch of 2,000: the heap's growth over the batch, garbage included, divided by 2,000. The")
  p("HGETALL rows are a raw ioredis call and the same call through the Effect edge alone, for scale.")
  p()
  const allocation = allocationRows(results.allocation)
  const first = allocation[0]
  if (first !== undefined) {
    p(`| operation | ${int(first.few)} sessions | ${int(first.many)} sessions | ratio | GCs inside the batches |`)
    p("| --- | --: | --: | --: | --: |")
    for (const r of allocation) {
      p(`| ${r.op} | ${int(r.small)} | ${int(r.large)} | ${fmt(r.large / r.small)} | ${r.gcs} |`)
    }
  }
  p()
  p("## Memory per session (`INFO memory` used_memory delta / sessions)")
  p()
  p("Each figure is measured alone on an emptied server. effect-redisess by default gives every key a native TTL")
  p("(a safety net for when no wipe runs); `nativeTtl: false` sets none, as redisess. The floors are written by raw")
  p("commands, no library: per session a hash holding only its user id (and the shape's fields as the library")
  p("stores them), the session in its user's sorted set and in the activity index `r`: the structures the API's")
  p("queries need, each holding the least it can. `floor, native TTLs` adds a TTL to the session hash and the user's")
  p("set; `floor with U` adds an index of users by latest access (as redisess's `USERS`; the library lists users")
  p("from its sessions instead).")
  p()
  p(
    "| shape | effect-redisess B/session | ratio | with `nativeTtl: false` B/session | ratio | redisess B/session | floor, native TTLs | floor | floor with U | effect-redisess load | redisess load |"
  )
  p("| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |")
  for (const shape of [...new Set(results.memory.map((m) => m.shape.name))]) {
    const of = (target: MemoryTarget) => results.memory.find((m) => m.shape.name === shape && m.target === target)
    const l = of("lib")
    const s = of("redisess")
    if (l === undefined || s === undefined) continue
    const cell = (m: MemoryResult | undefined, ratio: "column" | "inline") =>
      m === undefined
        ? ratio === "column" ? "n/a | n/a" : "n/a"
        : ratio === "column"
        ? `${int(m.perSession)} (${kb(m.bytes)}) | ${fmt(m.perSession / s.perSession)}`
        : `${int(m.perSession)} (${fmt(m.perSession / s.perSession)}x)`
    p(
      `| ${shape} | ${cell(l, "column")} | ${cell(of("lib, nativeTtl: false"), "column")} | ${int(s.perSession)} (${
        kb(s.bytes)
      }) | ${floors.map((f) => cell(of(f), "inline")).join(" | ")} | ${fmt(l.loadSeconds, 1)} s | ${
        fmt(s.loadSeconds, 1)
      } s |`
    )
  }
  p()
  p("Where the bytes go (per session, `MEMORY USAGE`: session hashes and user sets sampled, indexes exact; the rest of")
  p("the delta is the keyspace's and the expires table's entries):")
  p()
  for (const m of results.memory) {
    const parts = Object.entries(m.breakdown)
    const sum = parts.reduce((acc, [, v]) => acc + v, 0)
    p(
      `- ${m.target}, ${m.shape.name}: ${parts.map(([k, v]) => `${k} ${int(v)}`).join(", ")}; sum ${int(sum)}, other ${
        int(m.perSession - sum)
      }`
    )
  }
  p()
  p("## Stalls")
  p()
  p("Redis's own timing of each command (SLOWLOG: every command over 200 µs, µs resolution; the latency monitor:")
  p("threshold 1 ms, whole ms), next to a PING loop on another connection, run from a separate Node process.")
  p()
  p("| what | items | wall time | items/s | longest command (SLOWLOG) | next longest / p99 (SLOWLOG) | SLOWLOG entries > 10 ms | latency monitor max | max PING | p99 PING | PINGs > 10 ms | pings |")
  p("| --- | --: | --: | --: | --- | --: | --: | --: | --: | --: | --: | --: |")
  const na = "n/a (shared server)"
  const stallRow = (label: string, s: Stall) =>
    p(
      `| ${label} | ${int(s.items)} | ${fmt(s.seconds * 1000, 0)} ms | ${int(s.items / s.seconds)} | ${
        s.server === undefined ? na : `${fmt(s.server.maxMs)} ms (${s.server.command})`
      } | ${s.server === undefined ? na : `${nextLongest(s.server)} / ${fmt(s.server.p99Ms)} ms`} | ${
        s.server === undefined ? na : int(s.server.over10)
      } | ${s.server === undefined ? na : latency(s.server)} | ${fmt(s.ping.maxMs)} ms | ${fmt(s.ping.p99Ms)} ms | ${
        int(s.ping.over10)
      } | ${int(s.ping.pings)} |`
    )
  stallRow("effect-redisess wipe of expired sessions", results.wipe.stall)
  stallRow(
    `effect-redisess getAllSessions(60) of 100,000 (${results.listingStalls.pages} pages)`,
    results.listingStalls.lib
  )
  stallRow("redisess getAllSessions(60) of 100,000 (one ZREVRANGEBYSCORE)", results.listingStalls.redisess)
  p()
  p(
    `The wipe's sessions were loaded in ${fmt(results.wipe.loadSeconds, 1)} s, then the library's clock was moved past`
  )
  p(`their ttl (\`clockOffset\`); ${int(results.wipe.keysLeft)} keys of the namespace were left after the wipe.`)
  p()
  p("The \"never blocks Redis > 10 ms\" targets are judged on the longest command in SLOWLOG: the longest time Redis")
  p("spent on one command, during which every other client waited. SLOWLOG also lists the commands a script calls, each")
  p("inside its script's time. Both SLOWLOG and the latency monitor use the wall clock, so a command during which the")
  p("Redis process was descheduled counts that time too; the next longest command and the 99th percentile of those over")
  p("200 µs say whether the longest stands alone. A PING's round trip also includes the time the PING process and")
  p("Redis (between commands) wait for a CPU: with Redis, this process and the PING process sharing a few cores, the max")
  p("PING can exceed the longest command without any command having run that long.")
  p()
  p("## Targets")
  p()
  p("| target | measured | met |")
  p("| --- | --- | --- |")
  for (const c of checks(results, table)) p(`| ${c.target} | ${c.measured} | ${c.met ? "yes" : "**no**"} |`)
  p()
  p("![ratios](latest.svg)")
  p()
  return lines.join("\n")
}

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

/** A horizontal bar chart of the ratios to the raw baseline (effect-redisess and redisess, per operation). */
export const svg = (results: Results): string => {
  const table = rows(results.samples)
  const left = 250
  const width = 900
  const plot = width - left - 70
  const barH = 11
  const rowH = 2 * barH + 10
  const top = 60
  const height = top + table.length * rowH + 40
  const max = Math.max(1.2, ...table.flatMap((r) => [r.libVsRaw, r.rsVsRaw].filter(Number.isFinite)))
  const x = (v: number) => left + (Math.min(v, max) / max) * plot
  const out: Array<string> = []
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`
  )
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`)
  out.push(
    `<text x="10" y="20" font-size="14" font-weight="bold">Throughput as a multiple of the raw ioredis baseline (same repetition, median)</text>`
  )
  out.push(`<rect x="10" y="32" width="12" height="10" fill="#2b6cb0"/><text x="26" y="41">effect-redisess</text>`)
  out.push(`<rect x="130" y="32" width="12" height="10" fill="#c05621"/><text x="146" y="41">redisess 2.6</text>`)
  out.push(`<text x="250" y="41" fill="#555">dashed: 1.0 (baseline) and 0.8</text>`)
  table.forEach((r, i) => {
    const y = top + i * rowH
    out.push(`<text x="${left - 8}" y="${y + barH + 4}" text-anchor="end">${escape(`${r.op} @${r.inFlight}`)}</text>`)
    const bar = (v: number, dy: number, color: string) => {
      if (!Number.isFinite(v)) return
      out.push(`<rect x="${left}" y="${y + dy}" width="${(x(v) - left).toFixed(1)}" height="${barH}" fill="${color}"/>`)
      out.push(`<text x="${(x(v) + 4).toFixed(1)}" y="${y + dy + barH - 2}">${v.toFixed(2)}</text>`)
    }
    bar(r.libVsRaw, 0, "#2b6cb0")
    bar(r.rsVsRaw, barH + 1, "#c05621")
  })
  const bottom = top + table.length * rowH
  for (const v of [0.8, 1]) {
    out.push(
      `<line x1="${x(v).toFixed(1)}" y1="${top - 6}" x2="${
        x(v).toFixed(1)
      }" y2="${bottom}" stroke="#333" stroke-dasharray="4 3"/>`
    )
    out.push(`<text x="${x(v).toFixed(1)}" y="${bottom + 14}" text-anchor="middle">${v.toFixed(1)}</text>`)
  }
  out.push(`<line x1="${left}" y1="${top - 6}" x2="${left}" y2="${bottom}" stroke="#333"/>`)
  out.push(`<text x="${left}" y="${bottom + 14}" text-anchor="middle">0</text>`)
  out.push(
    `<text x="${width - 10}" y="${bottom + 30}" text-anchor="end" fill="#555">${escape(results.env.date)}</text>`
  )
  out.push("</svg>")
  return out.join("\n") + "\n"
}
