/**
 * One user with very many sessions (20,000 and 100,000, as repeated logins with no cap make): how
 * long the longest single Redis command runs while "log out other devices" (`killOtherSessions`),
 * `killUser` and a capped `create` (a cap of 10 met by all of them) do their work. Redis's SLOWLOG
 * times every command (threshold 0) on a private server.
 *
 * Writes bench/results/per-user.md. Run: npm run bench:per-user
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { Redis } from "ioredis"
import { performance } from "node:perf_hooks"
import type { Options } from "../src/SessionManager.js"
import { startRedisServer } from "../test/utils/redisServer.js"
import { quick, resultsPage, runConcurrent, runMain, scriptCalls } from "./harness.js"
import { RedisLayer, SessionManager } from "./library.js"

interface Row {
  readonly sessions: number
  readonly operation: string
  readonly result: number
  readonly seconds: number
  readonly calls: number
  readonly longestMs: number
  readonly over10: number
}

/** The commands Redis ran since the last reset: the longest (ms), and how many took over 10 ms. */
const commands = async (admin: Redis) => {
  // the benchmark's own SLOWLOG RESET and CONFIG SET are logged too (freeing the old log takes a while)
  const entries = ((await admin.call("SLOWLOG", "GET", "-1")) as Array<[number, number, number, Array<string>]>)
    .filter((entry) => !/^(slowlog|config)$/i.test(entry[3][0] ?? ""))
  return {
    longestMs: entries.reduce((longest, entry) => Math.max(longest, entry[2] / 1000), 0),
    over10: entries.filter((entry) => entry[2] > 10_000).length
  }
}

const main = async () => {
  const server = await startRedisServer()
  const admin = new Redis(server.url)
  await admin.config("SET", "slowlog-max-len", "1000000")
  const rows: Array<Row> = []
  try {
    for (const sessions of quick ? [500, 2_000] : [20_000, 100_000]) {
      const namespace = `per-user-${sessions}`
      const open = (options: Partial<Options> = {}) =>
        ManagedRuntime.make(
          SessionManager.layer({ namespace, wipeInterval: 0, ...options }).pipe(
            Layer.provide(RedisLayer.layer({ url: server.url }))
          )
        )
      const runtime = open()
      const capped = open({ maxSessionsPerUser: 10 })
      const sm = await runtime.runPromise(SessionManager.SessionManager)
      const cappedSm = await capped.runPromise(SessionManager.SessionManager)
      const load = () => runConcurrent(sessions, 64, () => runtime.runPromise(sm.create("heavy")))
      const measure = async (operation: string, run: () => Promise<number>) => {
        await admin.config("SET", "slowlog-log-slower-than", "0")
        await admin.slowlog("RESET")
        const before = await scriptCalls(admin)
        const started = performance.now()
        const result = await run()
        const seconds = (performance.now() - started) / 1000
        await admin.config("SET", "slowlog-log-slower-than", "-1")
        const calls = (await scriptCalls(admin)) - before
        rows.push({ sessions, operation, result, seconds, calls, ...(await commands(admin)) })
        process.stderr.write(`${sessions} ${operation}: ${result} in ${seconds.toFixed(2)} s\n`)
      }
      await runtime.runPromise(sm.killUser("warm-up"))
      await capped.runPromise(cappedSm.create("warm-up"))
      await admin.config("SET", "slowlog-log-slower-than", "-1")

      await load()
      const keep = await runtime.runPromise(sm.create("heavy"))
      await measure("killOtherSessions", () => runtime.runPromise(sm.killOtherSessions(keep.sessionId)))
      await load()
      await measure("killUser", () => runtime.runPromise(sm.killUser("heavy")))
      await load()
      await measure("create with maxSessionsPerUser 10", async () => {
        await capped.runPromise(cappedSm.create("heavy"))
        return capped.runPromise(cappedSm.countForUser("heavy"))
      })
      await load()
      // 16 made together share script calls: each makes room in turn within the call's batch time
      await measure("16 creates made together, maxSessionsPerUser 10", async () => {
        await capped.runPromise(Effect.all(Array.from({ length: 16 }, () => cappedSm.create("heavy")), {
          concurrency: "unbounded"
        }))
        return capped.runPromise(cappedSm.countForUser("heavy"))
      })
      await runtime.runPromise(sm.killAll)
      await runtime.dispose()
      await capped.dispose()
    }
  } finally {
    await admin.quit()
    await server.stop()
  }
  const page = resultsPage("One user with very many sessions")
  const p = page.line
  p()
  p("Every command timed by Redis's SLOWLOG (threshold 0) on a private server; one user holds all the sessions; the")
  p("library's default batches (at most 200 sessions per script call, and a call stops once it has run 2 ms by Redis's")
  p("clock; SLOWLOG at threshold 0 also times each command a script runs, which slows scripts). `result`: sessions")
  p("removed, or the user's sessions left after the capped create.")
  p()
  p("| sessions of the user | operation | result | seconds | script calls | longest command, ms | commands over 10 ms |")
  p("| --: | --- | --: | --: | --: | --: | --: |")
  for (const r of rows) {
    p(
      `| ${r.sessions.toLocaleString("en-US")} | ${r.operation} | ${r.result.toLocaleString("en-US")} | ` +
        `${r.seconds.toFixed(2)} | ${r.calls.toLocaleString("en-US")} | ${r.longestMs.toFixed(2)} | ${r.over10} |`
    )
  }
  page.write("per-user.md")
}

runMain(main)
