/**
 * What the `spans` option costs: the same operations on two managers of one private Redis, one
 * with spans and one without, on Effect's default tracer (what an app that provides no tracer
 * gets; an exporting tracer such as OpenTelemetry's adds its own cost on top). Called from 64
 * fibers (one Effect program) and at 1 in flight through one `runPromise` per call; the two
 * managers take turns within each repetition, and each ratio is taken within one repetition.
 *
 * Writes bench/results/spans.md. Run: npm run bench:spans
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import type { Redis } from "ioredis"
import type { SessionManager as SessionManagerServiceTag, SessionManagerService } from "../src/SessionManager.js"
import { startRedisServer } from "../test/utils/redisServer.js"
import { median, resultsPage, runConcurrent, runMain, runMeasuredBatch, sized, type Timing } from "./harness.js"
import { RedisLayer, SessionManager } from "./library.js"
import { connect } from "./targets.js"

type Manager = SessionManagerService

const repetitions = sized(7, 1)
const sessionsPerManager = sized(2_000, 200)

/** A manager measured: with spans or without, the tokens of its live sessions, a raw connection. */
interface Target {
  readonly spans: boolean
  readonly runtime: ManagedRuntime.ManagedRuntime<SessionManagerServiceTag, unknown>
  readonly sm: Manager
  readonly tokens: ReadonlyArray<string>
  readonly raw: Redis
}

/** An operation measured: how its `i`th call is made on a target. */
interface Operation {
  readonly name: string
  readonly run: (target: Target, i: number) => Effect.Effect<unknown, unknown>
}

const token = (target: Target, i: number) => target.tokens[i % target.tokens.length]!

const operations: ReadonlyArray<Operation> = [
  { name: "create", run: ({ sm }, i) => sm.create(`user-${i % 1_000}`) },
  { name: "get (update)", run: (t, i) => t.sm.get(token(t, i)) },
  { name: "get (noUpdate)", run: (t, i) => t.sm.get(token(t, i), { noUpdate: true }) },
  { name: "exists", run: (t, i) => t.sm.exists(token(t, i)) },
  { name: "data set", run: (t, i) => t.sm.setData(token(t, i), "lang", "en") },
  {
    // the span alone, with the options the library gives its own, around a raw call
    name: "raw HGETALL (`Effect.promise`), in `Effect.withSpan` or not",
    run: (t, i) => {
      const call = Effect.promise(() => t.raw.hgetall(`spans-raw-${i % 1_000}`))
      return t.spans
        ? Effect.withSpan(call, "raw", { kind: "client", captureStackTrace: false, attributes: { namespace: "raw" } })
        : call
    }
  }
]

/** How calls are made: from many fibers of one program, or one `runPromise` per call. */
const ways = [
  { name: "64 in flight, from fibers", inFlight: 64, calls: sized(10_000, 640) },
  { name: "1 in flight, one runPromise per call", inFlight: 1, calls: sized(2_000, 100) }
] as const

/** A manager on its own runtime, with or without spans, and tokens of its live sessions. */
const open = async (url: string, spans: boolean): Promise<Target> => {
  const runtime = ManagedRuntime.make(
    SessionManager.layer({ namespace: `spans-${spans}-${Date.now()}`, wipeInterval: 0, spans }).pipe(
      Layer.provide(RedisLayer.layer({ url }))
    )
  )
  const sm = await runtime.runPromise(SessionManager.SessionManager)
  const tokens: Array<string> = []
  await runConcurrent(sessionsPerManager, 64, async (i) => {
    const session = await runtime.runPromise(sm.create(`owner-${i % 100}`))
    tokens.push(Redacted.value(session.token))
  })
  return { spans, runtime, sm, tokens, raw: await connect(url) }
}

const measure = async (
  admin: Redis,
  target: Target,
  operation: Operation,
  way: (typeof ways)[number]
): Promise<Timing> =>
  runMeasuredBatch(admin, way.calls, () =>
    way.inFlight === 1
      ? runConcurrent(way.calls, 1, (i) => target.runtime.runPromise(operation.run(target, i)))
      : target.runtime.runPromise(
        Effect.forEach(
          Array.from({ length: way.inFlight }, (_, fiber) => fiber),
          (fiber) =>
            Effect.gen(function*() {
              for (let i = fiber; i < way.calls; i += way.inFlight) yield* operation.run(target, i)
            }),
          { concurrency: "unbounded", discard: true }
        )
      ))

const main = async () => {
  const server = await startRedisServer()
  const admin = await connect(server.url)
  const rows: Array<{ way: string; operation: string; off: Timing; on: Timing; ratio: number; cpuRatio: number }> = []
  try {
    const off = await open(server.url, false)
    const on = await open(server.url, true)
    for (const way of ways) {
      for (const operation of operations) {
        const offs: Array<Timing> = []
        const ons: Array<Timing> = []
        // a warm-up of each, then repetitions that alternate which goes first
        await measure(admin, off, operation, way)
        await measure(admin, on, operation, way)
        for (let rep = 0; rep < repetitions; rep++) {
          const pair = rep % 2 === 0 ? [off, on] as const : [on, off] as const
          const first = await measure(admin, pair[0], operation, way)
          const second = await measure(admin, pair[1], operation, way)
          offs.push(pair[0] === off ? first : second)
          ons.push(pair[0] === off ? second : first)
        }
        const row = {
          way: way.name,
          operation: operation.name,
          off: pick(offs),
          on: pick(ons),
          ratio: median(ons.map((t, k) => t.opsPerSec / offs[k]!.opsPerSec)),
          cpuRatio: median(ons.map((t, k) => t.nodeCpuUs! / offs[k]!.nodeCpuUs!))
        }
        rows.push(row)
        process.stderr.write(`${way.name}, ${operation.name}: ${row.ratio.toFixed(2)}x\n`)
      }
    }
    for (const target of [off, on]) {
      await target.runtime.dispose()
      target.raw.disconnect()
    }
  } finally {
    admin.disconnect()
    await server.stop()
  }
  const page = resultsPage("What the spans option costs")
  const p = page.line
  p()
  p(`Two managers on one private Redis, one with \`spans: true\`, on Effect's default tracer (no exporter: what an`)
  p(`app that provides no tracer gets). ${repetitions} repetitions, the two taking turns within each (which goes first`)
  p("alternates); figures are medians over the repetitions, each ratio the median of the ratios within one.")
  p("Node CPU is this process's, per operation. The raw rows put `Effect.withSpan` alone (with the options the")
  p("library gives its spans) around a raw `HGETALL` or not: what a span costs with no library in it.")
  p()
  p("| calls | operation | ops/s without | ops/s with | with / without | Node CPU µs/op without | with | CPU with / without |")
  p("| --- | --- | --: | --: | --: | --: | --: | --: |")
  for (const r of rows) {
    p(
      `| ${r.way} | ${r.operation} | ${fmt(r.off.opsPerSec)} | ${fmt(r.on.opsPerSec)} | ${r.ratio.toFixed(2)} | ` +
        `${r.off.nodeCpuUs!.toFixed(1)} | ${r.on.nodeCpuUs!.toFixed(1)} | ${r.cpuRatio.toFixed(2)} |`
    )
  }
  page.write("spans.md")
}

/** The median repetition's figures (ops/s and Node CPU medians taken apart). */
const pick = (timings: ReadonlyArray<Timing>): Timing => {
  const opsPerSec = median(timings.map((t) => t.opsPerSec))
  return { ...timings[0]!, opsPerSec, nodeCpuUs: median(timings.map((t) => t.nodeCpuUs!)) }
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US")

runMain(main)
