/**
 * The HTTP benchmark's results: what one timed run measured, the medians per target, the ratios to
 * connect-redis (medians of the per-repetition ratios), the goals, and `http.md`.
 */
import { median } from "../harness.js"
import type { Attribution, RedisSample } from "./redisStats.js"
import { countsInTotal } from "./redisStats.js"

/** The targets, in the order each repetition runs them. */
export const targetIds = ["ours-default", "ours-throttled", "connect-redis"] as const

/** A target's id. */
export type TargetId = typeof targetIds[number]

/** How each target is named in the report. */
export const targetNames: Readonly<Record<TargetId, string>> = {
  "ours-default": "ours, defaults (touch on every read)",
  "ours-throttled": "ours, `touchInterval: 60`",
  "connect-redis": "express-session + connect-redis"
}

/** One command's share of a run, per request. */
export interface CommandFigures {
  readonly calls: number
  readonly usec: number
  /** Run only inside scripts (its usec is already in the script's): not added to the total. */
  readonly inScripts: boolean
}

/** One timed run of one target. */
export interface Run {
  readonly rep: number
  readonly target: TargetId
  readonly requests: number
  readonly seconds: number
  readonly requestsPerSec: number
  /** Redis CPU time per request (`INFO cpu` user + system delta), µs. */
  readonly redisCpuUs: number
  /** commandstats usec per request, of the commands the clients sent (scripts' commands in their script's). */
  readonly commandUsec: number
  readonly commands: Readonly<Record<string, CommandFigures>>
  /** The server process's CPU time per request, µs. */
  readonly serverCpuUs: number
  /** The load generator's (this process's) CPU time per request, µs. */
  readonly loadCpuUs: number
  /**
   * The rest of the machine's CPU time during the run (the idle servers and any other process), in
   * cores: the machine's busy time less Redis's, the server's and the load generator's, over the run's time.
   */
  readonly otherCores: number
}

/** The per-request figures of a run, from what Redis reported and the attribution of its commands. */
export const runOf = (
  measured: Omit<Run, "requestsPerSec" | "redisCpuUs" | "commandUsec" | "commands">,
  redis: RedisSample,
  attribution: Attribution
): Run => {
  const n = measured.requests
  const commands: Record<string, CommandFigures> = {}
  let total = 0
  for (const [command, stat] of Object.entries(redis.commands)) {
    const inScripts = !countsInTotal(attribution, command)
    commands[command] = { calls: stat.calls / n, usec: stat.usec / n, inScripts }
    if (!inScripts) total += stat.usec
  }
  return {
    ...measured,
    requestsPerSec: n / measured.seconds,
    redisCpuUs: (redis.cpuSeconds * 1e6) / n,
    commandUsec: total / n,
    commands
  }
}

/** A target's medians over its timed runs. */
export interface Summary {
  readonly target: TargetId
  readonly name: string
  readonly runs: number
  readonly requestsPerSec: number
  readonly redisCpuUs: number
  readonly commandUsec: number
  readonly serverCpuUs: number
  readonly loadCpuUs: number
  readonly otherCores: number
  /** Per command: the medians of calls and usec per request (0 in a run without the command). */
  readonly commands: Readonly<Record<string, CommandFigures>>
}

/** The medians of each target's runs. */
export const summarize = (runs: ReadonlyArray<Run>): ReadonlyArray<Summary> =>
  targetIds.map((target) => {
    const own = runs.filter((run) => run.target === target)
    const of = (figure: (run: Run) => number) => median(own.map(figure))
    const names = [...new Set(own.flatMap((run) => Object.keys(run.commands)))].sort()
    const commands = Object.fromEntries(names.map((command) => [command, {
      calls: of((run) => run.commands[command]?.calls ?? 0),
      usec: of((run) => run.commands[command]?.usec ?? 0),
      inScripts: own.some((run) => run.commands[command]?.inScripts === true)
    }]))
    return {
      target,
      name: targetNames[target],
      runs: own.length,
      requestsPerSec: of((run) => run.requestsPerSec),
      redisCpuUs: of((run) => run.redisCpuUs),
      commandUsec: of((run) => run.commandUsec),
      serverCpuUs: of((run) => run.serverCpuUs),
      loadCpuUs: of((run) => run.loadCpuUs),
      otherCores: of((run) => run.otherCores),
      commands
    }
  })

/** Ours / connect-redis, each the median of the per-repetition ratios. */
export interface Ratios {
  readonly requestsPerSec: { readonly default: number; readonly throttled: number }
  readonly commandUsec: { readonly default: number; readonly throttled: number }
  readonly redisCpu: { readonly default: number; readonly throttled: number }
}

/** The ratios to connect-redis of each repetition, and their medians. */
export const ratiosOf = (runs: ReadonlyArray<Run>): Ratios => {
  const reps = [...new Set(runs.map((run) => run.rep))]
  const ratio = (variant: "ours-default" | "ours-throttled", figure: (run: Run) => number) =>
    median(reps.flatMap((rep) => {
      const ours = runs.find((run) => run.rep === rep && run.target === variant)
      const theirs = runs.find((run) => run.rep === rep && run.target === "connect-redis")
      return ours === undefined || theirs === undefined ? [] : [figure(ours) / figure(theirs)]
    }))
  const both = (figure: (run: Run) => number) => ({
    default: ratio("ours-default", figure),
    throttled: ratio("ours-throttled", figure)
  })
  return {
    requestsPerSec: both((run) => run.requestsPerSec),
    commandUsec: both((run) => run.commandUsec),
    redisCpu: both((run) => run.redisCpuUs)
  }
}

/** A goal, whether it was met, and the figures it was judged on. */
export interface Goal {
  readonly goal: string
  readonly met: boolean
  readonly measured: string
}

const fmt = (x: number, digits = 1) =>
  Number.isFinite(x)
    ? x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : "n/a"

const perSec = (x: number) => fmt(x, 0)

/** The two goals, judged on the medians of the per-repetition ratios. */
export const goalsOf = (summaries: ReadonlyArray<Summary>, ratios: Ratios): ReadonlyArray<Goal> => {
  const of = (target: TargetId) => summaries.find((s) => s.target === target)!
  const [ours, throttled, theirs] = [of("ours-default"), of("ours-throttled"), of("connect-redis")]
  return [
    {
      goal: "requests/s at least 1.0x connect-redis's",
      met: ratios.requestsPerSec.default >= 1 && ratios.requestsPerSec.throttled >= 1,
      measured: `ours default ${fmt(ratios.requestsPerSec.default, 3)}x, ours throttled ${
        fmt(ratios.requestsPerSec.throttled, 3)
      }x (medians: ${perSec(ours.requestsPerSec)} and ${perSec(throttled.requestsPerSec)} vs ${
        perSec(theirs.requestsPerSec)
      } requests/s)`
    },
    {
      goal: "Redis CPU per request (commandstats usec) within 2x of connect-redis's with the touch throttle on",
      met: ratios.commandUsec.throttled <= 2,
      measured: `ours throttled ${fmt(ratios.commandUsec.throttled, 2)}x (${fmt(throttled.commandUsec, 2)} vs ${
        fmt(theirs.commandUsec, 2)
      } usec per request, medians); by INFO cpu ${fmt(ratios.redisCpu.throttled, 2)}x (${
        fmt(throttled.redisCpuUs, 2)
      } vs ${fmt(theirs.redisCpuUs, 2)} µs)`
    }
  ]
}

/** Everything `http.json` holds. */
export interface Results {
  readonly env: Readonly<Record<string, unknown>> & {
    readonly date: string
    readonly machine: string
    readonly node: string
    readonly source: string
    readonly redis: string
    readonly server: string
    readonly packages: Readonly<Record<string, string>>
    readonly quick: boolean
    readonly loadAverage: string
    readonly totalSeconds: number
  }
  readonly sizes: {
    readonly reps: number
    readonly requests: number
    readonly warmup: number
    readonly concurrency: number
    readonly sessions: number
  }
  readonly attribution: Readonly<Record<TargetId, Attribution>>
  readonly runs: ReadonlyArray<Run>
  readonly targets: ReadonlyArray<Summary>
  readonly ratios: Ratios
  readonly goals: ReadonlyArray<Goal>
}

/** `http.md`: the set-up, the method, one table of the three targets, and the goals. */
export const markdown = (results: Results): string => {
  const { env, sizes, targets } = results
  const lines: Array<string> = []
  const p = (text = "") => lines.push(text)
  const row = (label: string, cells: ReadonlyArray<string>) => p(`| ${label} | ${cells.join(" | ")} |`)
  p("# HTTP end to end: the example server vs express-session + connect-redis")
  p()
  p(`Run ${env.date}${env.quick ? " (BENCH_QUICK: a smoke run, the figures are not meaningful)" : ""}, ${
    fmt(env.totalSeconds, 0)
  } s.`)
  p()
  p(`- Machine: ${env.machine}`)
  p(`- Node ${env.node}, Redis ${env.redis} (${env.server})`)
  p(`- Source: ${env.source}`)
  p(`- Load average: ${env.loadAverage}`)
  p(`- Packages: ${Object.entries(env.packages).map(([name, version]) => `${name} ${version}`).join(", ")}`)
  p()
  p("## Method")
  p()
  p(
    "Each server runs in a child Node process of its own (NODE_ENV=production; the TypeScript compiled by `tsc`, " +
      "`bench/library.ts`, as published code runs), all three on the same Redis, each " +
      "under its own keys: the example app (`examples/server/app.ts`, composed as `examples/server/main.ts` does, " +
      "`ttl` 15 minutes) with the defaults and with `touchInterval: 60`, and express 5 + express-session + " +
      "connect-redis on node-redis (`rolling: true`, `resave: false`, `saveUninitialized: false`, a 15-minute " +
      `cookie). The load generator, in the parent process, logs in ${
        sizes.sessions === 1 ? "once" : `${sizes.sessions} times (as many users)`
      } per server and sends \`GET /me\` with ${
        sizes.sessions === 1 ? "that one cookie" : "one of those cookies per connection"
      } over ${sizes.concurrency} keep-alive connections (undici \`Pool\`), ${sizes.concurrency} ` +
      `requests in flight, ${perSec(sizes.requests)} requests per timed run; every response must be a 200 naming ` +
      `the user. After a warm-up of ${perSec(sizes.warmup)} requests per server, ${sizes.reps} repetitions each run ` +
      "the three targets in turn. Before each run `CONFIG RESETSTAT`, after it `INFO commandstats` and `INFO cpu`."
  )
  p()
  p(
    sizes.sessions === 1
      ? "Every request carries the same session: a store that serves identical reads in flight together with one " +
        "Redis call (as ours does) makes fewer calls here than it would for as many requests of different " +
        "sessions (`BENCH_HTTP_SESSIONS=64 npm run bench:http`: `http-64-sessions.md`); connect-redis makes its " +
        "GET and EXPIRE for each request."
      : `The connections carry ${sizes.sessions} different sessions, so requests in flight together are mostly ` +
        "of different sessions: ours gathers them into shared script calls, but identical reads are rare " +
        "(the issue's goal is set on one cookie: `http.md`)."
  )
  p()
  p(
    "Figures are medians over the repetitions; the ratios are medians of the per-repetition ratios. Redis counts " +
      "a command run by a script twice, under its own name and inside the script's usec: such commands (found " +
      "with `MONITOR` in a short pass before the warm-up) are listed but not added to the total. The admin " +
      "connection's `INFO` and `CONFIG` are left out. Server and load-generator CPU are each process's own " +
      `\`process.cpuUsage()\` per request. The machine's ${env.machine.split(" x ")[0]} cores are shared by Redis, ` +
      "the server under test and the load generator."
  )
  p()
  p("## Results")
  p()
  row("per request (medians)", targets.map((t) => t.name))
  row("---", targets.map(() => "--:"))
  row("requests/s", targets.map((t) => perSec(t.requestsPerSec)))
  row("Redis CPU µs (`INFO cpu`)", targets.map((t) => fmt(t.redisCpuUs, 2)))
  row("commandstats usec, total", targets.map((t) => fmt(t.commandUsec, 2)))
  const commands = [...new Set(targets.flatMap((t) => Object.keys(t.commands)))].sort()
  for (const command of commands) {
    const inScripts = targets.some((t) => t.commands[command]?.inScripts === true)
    row(
      `\`${command}\`${inScripts ? " (in scripts)" : ""}: calls, usec`,
      targets.map((t) => {
        const c = t.commands[command]
        return c === undefined ? "-" : `${fmt(c.calls, 3)}, ${fmt(c.usec, 2)}`
      })
    )
  }
  row("server process CPU µs", targets.map((t) => fmt(t.serverCpuUs, 1)))
  row("load generator CPU µs", targets.map((t) => fmt(t.loadCpuUs, 1)))
  row("other processes' CPU during the run, cores", targets.map((t) => fmt(t.otherCores, 2)))
  p()
  const busiest = Math.max(...results.runs.map((run) => run.otherCores))
  if (busiest > 0.1) {
    p(
      `Other processes used up to ${fmt(busiest, 2)} cores during a run (by /proc/stat, less the measured ` +
        "processes): the machine was not quiet, and the figures of such runs are disturbed. Per run, in " +
        "`http.json`."
    )
    p()
  }
  const r = results.ratios
  p(
    `Ours / connect-redis: requests/s ${fmt(r.requestsPerSec.default, 3)}x (defaults), ${
      fmt(r.requestsPerSec.throttled, 3)
    }x (throttled); Redis CPU per request by commandstats usec ${fmt(r.commandUsec.default, 2)}x (defaults), ${
      fmt(r.commandUsec.throttled, 2)
    }x (throttled); by \`INFO cpu\` ${fmt(r.redisCpu.default, 2)}x (defaults), ${fmt(r.redisCpu.throttled, 2)}x ` +
      "(throttled)."
  )
  p()
  p("## Goals")
  p()
  for (const goal of results.goals) p(`- ${goal.met ? "met" : "missed"}: ${goal.goal}: ${goal.measured}`)
  return `${lines.join("\n")}\n`
}
