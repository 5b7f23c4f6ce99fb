/**
 * The longest single Redis command of the operations whose work grows with the data: reading all of
 * a session's data, many-key data writes made together, and the listings over 200,000 sessions.
 * Redis's SLOWLOG times every command over 200 µs on a private server (a script call is one
 * command, whatever it runs); each case runs three times.
 *
 * Writes bench/results/longest-commands.md. Run: npm run bench:longest-commands
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import type { Redis } from "ioredis"
import type { StoreOptions } from "../src/RedisLayer.js"
import type { Options, SessionManager as SessionManagerTag, SessionManagerService } from "../src/SessionManager.js"
import { startRedisServer } from "../test/utils/redisServer.js"
import { resultsPage, runConcurrent, runMain, scriptCalls, sized } from "./harness.js"
import { RedisLayer, SessionManager } from "./library.js"
import { connect } from "./targets.js"

const runs = sized(3, 1)
/** The keys of the case where only the byte limit bounds a session's data, and the sessions and users listed. */
const manyKeys = sized(150_000, 2_000)
const listedSessions = sized(200_000, 2_000)
const listedUsers = listedSessions / 10
const int = (n: number) => n.toLocaleString("en-US")
const thresholdUs = 200

interface Row {
  readonly case: string
  readonly longestMs: ReadonlyArray<number>
  readonly command: string
  /** Over all runs: script calls run, and how many commands took over 2 and 5 ms. */
  readonly calls: number
  readonly over2: number
  readonly over5: number
}

type Runtime = ManagedRuntime.ManagedRuntime<SessionManagerTag, unknown>

let opened = 0

/** A manager on its own runtime and connection. */
const open = async (url: string, manager: Partial<Options>, store: StoreOptions = {}) => {
  const runtime: Runtime = ManagedRuntime.make(
    SessionManager.layer({ namespace: `longest-${opened++}`, wipeInterval: 0, ...manager }).pipe(
      Layer.provide(RedisLayer.layer({ url, timeout: "60 seconds", ...store }))
    )
  )
  const sm: SessionManagerService = await runtime.runPromise(SessionManager.SessionManager)
  const run = <A, E>(effect: Effect.Effect<A, E, never>) => runtime.runPromise(effect)
  return { runtime, sm, run }
}

/** `n` entries from key `from` on (keys in base 36, short), each a string of `valueBytes` characters. */
const entries = (from: number, n: number, valueBytes: number) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [(from + i).toString(36), "v".repeat(valueBytes)]))

/** The commands over the threshold since the last reset: the longest (ms and name), and how many took over 2 and 5 ms. */
const slowest = async (admin: Redis) => {
  const log = (await admin.call("SLOWLOG", "GET", "-1")) as Array<[number, number, number, Array<string>]>
  let longestMs = 0
  let command = "(none over 0.2 ms)"
  let over2 = 0
  let over5 = 0
  for (const [, , us, args] of log) {
    const name = (args[0] ?? "").toUpperCase()
    if (name === "SLOWLOG" || name === "CONFIG" || name === "INFO") continue
    if (us > 2_000) over2++
    if (us > 5_000) over5++
    if (us / 1000 > longestMs) {
      longestMs = us / 1000
      command = name === "FCALL" || name === "EVALSHA" ? `${name} ${args[1]}` : name
    }
  }
  return { longestMs, command, over2, over5 }
}

const main = async () => {
  const server = await startRedisServer()
  const admin = await connect(server.url)
  await admin.config("SET", "slowlog-max-len", "100000")
  const rows: Array<Row> = []
  /** Times `work` `runs` times (after `before`, untimed, each time). */
  const measure = async (
    name: string,
    work: () => Promise<unknown>,
    before: () => Promise<unknown> = async () => {}
  ) => {
    const longestMs: Array<number> = []
    let command = ""
    let calls = 0
    let over2 = 0
    let over5 = 0
    for (let r = 0; r < runs; r++) {
      await before()
      await admin.config("SET", "slowlog-log-slower-than", String(thresholdUs))
      await admin.slowlog("RESET")
      const ran = await scriptCalls(admin)
      await work()
      calls += (await scriptCalls(admin)) - ran
      await admin.config("SET", "slowlog-log-slower-than", "-1")
      const slow = await slowest(admin)
      longestMs.push(slow.longestMs)
      command = slow.command
      over2 += slow.over2
      over5 += slow.over5
    }
    rows.push({ case: name, longestMs, command, calls, over2, over5 })
    process.stderr.write(
      `${name}: ${longestMs.map((ms) => ms.toFixed(2)).join(" / ")} ms (${command}); ` +
        `over 2 ms: ${over2}, over 5 ms: ${over5}; script calls: ${calls}\n`
    )
  }
  try {
    await admin.config("SET", "slowlog-log-slower-than", "-1")
    // all of a session's data, at the default key limit and at what only the byte limit allowed
    for (
      const [label, manager, store, keys, valueBytes] of [
        ["default limits, 1,000 keys of 1,000 bytes (1 MiB)", {}, {}, 1_000, 1_000],
        ["default limits, 1,000 keys of 1 byte", {}, {}, 1_000, 1],
        ["by script (`plainReads: false`), 1,000 keys of 1,000 bytes", {}, { plainReads: false }, 1_000, 1_000],
        [
          `\`maxDataKeys: ${manyKeys}\`, ${int(manyKeys)} keys of 1 byte (under 1 MiB)`,
          { maxDataKeys: manyKeys },
          {},
          manyKeys,
          1
        ]
      ] as const
    ) {
      const { run, runtime, sm } = await open(server.url, manager, store)
      const token = Redacted.value((await run(sm.create("data"))).token)
      for (let from = 0; from < keys; from += 1_000) await run(sm.setData(token, entries(from, 1_000, valueBytes)))
      await measure(`getAllData, ${label}`, () => run(sm.getAllData(token)))
      await runtime.dispose()
    }
    {
      // eight sessions at the key limit, their getAllData in one turn, with reads by the reads function
      const { run, runtime, sm } = await open(server.url, {}, { readBatches: "script" })
      const tokens = await Promise.all(
        Array.from({ length: 8 }, async (_, i) => Redacted.value((await run(sm.create(`whole${i}`))).token))
      )
      for (const token of tokens) await run(sm.setData(token, entries(0, 1_000, 100)))
      await measure(
        "8 getAllData made together, `readBatches: \"script\"`, 1,000 keys each",
        () => run(Effect.all(tokens.map((token) => sm.getAllData(token)), { concurrency: "unbounded" }))
      )
      // many-key writes and removals made together
      const writers = await Promise.all(
        Array.from({ length: 16 }, async (_, i) => Redacted.value((await run(sm.create(`writer${i}`))).token))
      )
      const keys = Object.keys(entries(0, 1_000, 1))
      await measure(
        "16 setData of 1,000 new keys made together",
        () =>
          run(
            Effect.all(writers.map((token) => sm.setData(token, entries(0, 1_000, 8))), { concurrency: "unbounded" })
          ),
        () => run(Effect.all(writers.map((token) => sm.removeData(token, keys)), { concurrency: "unbounded" }))
      )
      await measure(
        "16 removeData of 1,000 keys made together",
        () => run(Effect.all(writers.map((token) => sm.removeData(token, keys)), { concurrency: "unbounded" })),
        () =>
          run(Effect.all(writers.map((token) => sm.setData(token, entries(0, 1_000, 8))), { concurrency: "unbounded" }))
      )
      await runtime.dispose()
    }
    // listings over 200,000 sessions of 20,000 users (a smoke run: fewer), half on the namespace's ttl, half on their own
    const listed = { namespace: "longest-listings" }
    for (const pageSize of [undefined, 1_000]) {
      const { run, runtime, sm } = await open(server.url, listed, pageSize === undefined ? {} : { pageSize })
      if (pageSize === undefined) {
        await runConcurrent(
          listedSessions,
          64,
          (i) => run(sm.create(`user${i % listedUsers}`, i % 2 === 0 ? {} : { ttl: 3_600 }))
        )
      }
      const label = pageSize === undefined ? "the default page size" : `\`pageSize: ${pageSize}\``
      await measure(`getAllSessions(), ${int(listedSessions)} sessions, ${label}`, () => run(sm.getAllSessions()))
      await measure(
        `getAllUsers(), ${int(listedSessions)} sessions of ${int(listedUsers)} users, ${label}`,
        () => run(sm.getAllUsers())
      )
      if (pageSize !== undefined) await run(sm.killAll)
      await runtime.dispose()
    }
  } finally {
    admin.disconnect()
    await server.stop()
  }
  const page = resultsPage("The longest single Redis command of operations over large data")
  const p = page.line
  p()
  p(`A private Redis's SLOWLOG, timing every command over ${thresholdUs} µs (a script call is one command, whatever it`)
  p(`runs), ${runs} runs of each case; the library's defaults unless a case says otherwise.`)
  p()
  p("| case | longest command, ms (each run) | command | commands over 2 ms / over 5 ms, the runs together | script calls |")
  p("| --- | --: | --- | --: | --: |")
  for (const r of rows) {
    p(
      `| ${r.case} | ${r.longestMs.map((ms) => ms.toFixed(2)).join(" / ")} | ${r.command} | ` +
        `${r.over2} / ${r.over5} | ${r.calls.toLocaleString("en-US")} |`
    )
  }
  page.write("longest-commands.md")
}

runMain(main)
