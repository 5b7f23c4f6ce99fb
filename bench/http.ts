/**
 * HTTP end to end, in one run on one Redis: the example server (`examples/server/app.ts`) with the
 * defaults and with the touch throttle on (`touchInterval: 60`), against express 5 +
 * express-session + connect-redis 9 on node-redis. Each server in a child process
 * (`bench/http/ours.ts`, `bench/http/connectRedis.ts`, run as compiled by `bench/library.ts`, the
 * way published code runs, not through tsx); the load generator here: 64 keep-alive
 * connections, one session cookie, `GET /me`. Per request: requests/s, Redis CPU (`INFO cpu`), the
 * `INFO commandstats` breakdown, and each process's CPU. 5 interleaved repetitions; medians.
 *
 * On a private `redis-server` (stopped at the end), or on `REDIS_URL` when set: there it only
 * writes keys of its own (deleted at the end), but it resets the server's stats (`CONFIG
 * RESETSTAT`) and counts every client's commands. `BENCH_QUICK=1`: 1 repetition of 2,000 requests
 * (a smoke run); `BENCH_OUT=dir`: where `http.md` and `http.json` go (default bench/results/).
 * `BENCH_HTTP_SESSIONS=64`: each connection sends a session of its own (64 users) instead of all one
 * cookie; the results go to `http-64-sessions.md` / `.json`.
 *
 * Run: npm run bench:http
 */
import { Redis } from "ioredis"
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { cpus, loadavg, totalmem } from "node:os"
import { dirname, join } from "node:path"
import { performance } from "node:perf_hooks"
import { fileURLToPath } from "node:url"
import type { RedisServer } from "../test/utils/redisServer.js"
import { startRedisServer } from "../test/utils/redisServer.js"
import { deleteByPattern, quick, runMain, writeResult } from "./harness.js"
import type { ServerProcess } from "./http/child.js"
import { startServer } from "./http/child.js"
import type { Load } from "./http/load.js"
import { makeLoad } from "./http/load.js"
import type { Attribution } from "./http/redisStats.js"
import { attribute, measureRedis } from "./http/redisStats.js"
import type { Results, Run, TargetId } from "./http/report.js"
import { goalsOf, markdown, ratiosOf, runOf, summarize, targetIds } from "./http/report.js"
import { compiled } from "./library.js"

const here = dirname(fileURLToPath(import.meta.url))
const sizes = {
  reps: quick ? 1 : 5,
  requests: quick ? 2_000 : 20_000,
  warmup: quick ? 500 : 20_000,
  concurrency: 64,
  /** Session cookies the connections share out (1: every request the same session). */
  sessions: Number(process.env.BENCH_HTTP_SESSIONS ?? 1)
}
/** Requests watched through MONITOR to find which commands run inside scripts. */
const attributionRequests = 50
const userName = "bench-user"

const log = (text: string) => process.stderr.write(`${text}\n`)

/** A package's installed version. */
const packageVersion = (name: string): string => {
  const file = name === "effect-redisess"
    ? join(here, "..", "package.json")
    : join(here, "..", "node_modules", name, "package.json")
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version
  } catch {
    return "not installed"
  }
}

/** Each target's process: which script, with which environment, and the keys it writes. */
const serverOf = (target: TargetId, run: string): {
  readonly script: string
  readonly env: Readonly<Record<string, string>>
  readonly keys: string
} => {
  switch (target) {
    case "ours-default":
    case "ours-throttled": {
      const variant = target === "ours-default" ? "default" : "throttled"
      const namespace = `bench-http-${variant}-${run}`
      return { script: "bench/http/ours.ts", env: { VARIANT: variant, NAMESPACE: namespace }, keys: `{${namespace}}*` }
    }
    case "connect-redis": {
      const prefix = `bench-http-cr-${run}:`
      return { script: "bench/http/connectRedis.ts", env: { PREFIX: prefix }, keys: `${prefix}*` }
    }
  }
}

/** Starts every target's server; if one fails, stops the others. */
const startServers = async (url: string, run: string): Promise<Record<TargetId, ServerProcess>> => {
  const started = await Promise.allSettled(targetIds.map((target) => {
    const { env, script } = serverOf(target, run)
    return startServer(target, compiled(script), { ...env, REDIS_URL: url, PORT: "0", NODE_ENV: "production" })
  }))
  const failed = started.find((s) => s.status === "rejected")
  if (failed !== undefined) {
    await Promise.all(started.map((s) => s.status === "fulfilled" ? s.value.stop() : undefined))
    throw failed.reason
  }
  return Object.fromEntries(
    targetIds.map((target, i) => [target, (started[i] as PromiseFulfilledResult<ServerProcess>).value])
  ) as Record<TargetId, ServerProcess>
}

/**
 * The whole machine's busy CPU time (every process's, from /proc/stat: all but idle and iowait),
 * seconds; NaN where there is no /proc/stat. Clock ticks of 10 ms (USER_HZ 100, as on every Linux
 * Node supports).
 */
const machineBusySeconds = (): number => {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number)
    const [user = 0, nice = 0, system = 0, _idle, _iowait, irq = 0, softirq = 0, steal = 0] = fields
    return (user + nice + system + irq + softirq + steal) / 100
  } catch {
    return Number.NaN
  }
}

/** The commit measured, and whether the library's or the servers' sources differ from it. */
const sourceVersion = (): string => {
  try {
    const git = (...args: Array<string>) =>
      execFileSync("git", args, { cwd: join(here, ".."), encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()
    const changed = git("status", "--porcelain", "--", "src", "examples", "bench/http").split("\n").filter((l) =>
      l !== ""
    )
    return `commit ${git("rev-parse", "--short", "HEAD")}${
      changed.length > 0 ? ` with ${changed.length} uncommitted or new path(s) in src, examples, bench/http` : ""
    }`
  } catch {
    return "unknown (no git)"
  }
}

const redisVersion = async (admin: Redis): Promise<string> =>
  /redis_version:(\S+)/.exec(await admin.info("server"))?.[1] ?? "unknown"

const main = async () => {
  const started = performance.now()
  const loadBefore = loadavg()
  const source = sourceVersion() // as compiled: bench/library.ts compiled the sources when this module loaded
  const sharedUrl = process.env.REDIS_URL === "" ? undefined : process.env.REDIS_URL
  const redisServer: RedisServer | undefined = sharedUrl === undefined ? await startRedisServer() : undefined
  const url = sharedUrl ?? redisServer!.url
  const run = `${process.pid}`
  const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  admin.on("error", () => {}) // a failed command rejects; the connection's errors are not ours to log
  let servers: Record<TargetId, ServerProcess> | undefined
  const loads: Array<Load> = []
  try {
    await admin.connect()
    log(
      `HTTP benchmark on ${sharedUrl === undefined ? "a private redis-server" : "REDIS_URL"}${
        quick ? " (BENCH_QUICK)" : ""
      }: starting the servers`
    )
    servers = await startServers(url, run)
    const byTarget = {} as Record<TargetId, { readonly server: ServerProcess; readonly load: Load }>
    const attribution = {} as Record<TargetId, Attribution>
    for (const target of targetIds) {
      const server = servers[target]
      const load = makeLoad(server.origin, sizes.concurrency)
      loads.push(load)
      await load.login(userName, sizes.sessions)
      byTarget[target] = { server, load }
      attribution[target] = await attribute(admin, () => load.run(attributionRequests))
      await load.run(sizes.warmup)
      log(
        `${target}: warmed up; clients sent ${attribution[target].sent.join(", ")}${
          attribution[target].inScripts.length > 0 ? `; scripts ran ${attribution[target].inScripts.join(", ")}` : ""
        }`
      )
    }

    const runs: Array<Run> = []
    for (let rep = 1; rep <= sizes.reps; rep++) {
      for (const target of targetIds) {
        const { load, server } = byTarget[target]
        const serverBefore = await server.cpuSeconds()
        const generatorBefore = process.cpuUsage()
        const machineBefore = machineBusySeconds()
        const { redis, result } = await measureRedis(admin, () => load.run(sizes.requests))
        const machine = machineBusySeconds() - machineBefore
        const loadCpu = process.cpuUsage(generatorBefore)
        const serverCpu = (await server.cpuSeconds()) - serverBefore
        // what the rest of the machine did meanwhile: the other servers (idle) and anything else running
        const others = machine - redis.cpuSeconds - serverCpu - (loadCpu.user + loadCpu.system) / 1e6
        const measured = runOf(
          {
            rep,
            target,
            requests: sizes.requests,
            seconds: result.seconds,
            serverCpuUs: (serverCpu * 1e6) / sizes.requests,
            loadCpuUs: (loadCpu.user + loadCpu.system) / sizes.requests,
            otherCores: Math.max(0, others) / result.seconds
          },
          redis,
          attribution[target]
        )
        runs.push(measured)
        log(
          `rep ${rep} ${target}: ${Math.round(measured.requestsPerSec)} requests/s, Redis CPU ${
            measured.redisCpuUs.toFixed(2)
          } µs, commandstats ${measured.commandUsec.toFixed(2)} usec per request; other processes ${
            measured.otherCores.toFixed(2)
          } cores`
        )
      }
    }

    const targets = summarize(runs)
    const ratios = ratiosOf(runs)
    const results: Results = {
      env: {
        date: new Date().toISOString(),
        machine: `${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
        node: process.version,
        source,
        redis: await redisVersion(admin),
        server: sharedUrl === undefined ? "a private redis-server started by the benchmark" : "REDIS_URL",
        packages: Object.fromEntries(
          [
            "effect-redisess",
            "effect",
            "@effect/platform",
            "ioredis",
            "express",
            "express-session",
            "connect-redis",
            "redis"
          ]
            .map((name) => [name, packageVersion(name)])
        ),
        quick,
        loadAverage: `${loadBefore.map((x) => x.toFixed(2)).join(" ")} at the start, ${
          loadavg().map((x) => x.toFixed(2)).join(" ")
        } at the end (1, 5, 15 min)`,
        totalSeconds: (performance.now() - started) / 1000
      },
      sizes,
      attribution,
      runs,
      targets,
      ratios,
      goals: goalsOf(targets, ratios)
    }
    const text = markdown(results)
    const name = sizes.sessions === 1 ? "http" : `http-${sizes.sessions}-sessions`
    const page = writeResult(`${name}.md`, text)
    writeResult(`${name}.json`, `${JSON.stringify(results, null, 2)}\n`)
    process.stdout.write(text)
    for (const goal of results.goals) log(`${goal.met ? "met " : "MISS"}  ${goal.goal}: ${goal.measured}`)
    log(`Wrote ${page} and ${name}.json (${Math.round(results.env.totalSeconds)} s)`)
  } finally {
    await Promise.all(loads.map((load) => load.close().catch(() => undefined)))
    if (servers !== undefined) await Promise.all(Object.values(servers).map((server) => server.stop()))
    if (sharedUrl !== undefined && admin.status === "ready") {
      for (const target of targetIds) await deleteByPattern(admin, serverOf(target, run).keys).catch(() => 0)
    }
    await admin.quit().catch(() => undefined)
    await redisServer?.stop()
  }
}

runMain(main)
