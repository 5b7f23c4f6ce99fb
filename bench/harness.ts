/**
 * Measuring tools of the benchmark: a fixed number of operations at a fixed number in flight,
 * medians, a PING loop (in a separate process, on its own connection) that times Redis's answers,
 * Redis's own SLOWLOG and latency monitor, and key deletion by pattern.
 */
import type { Redis } from "ioredis"
import { execFileSync, spawn } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { cpus } from "node:os"
import { dirname, join } from "node:path"
import { performance } from "node:perf_hooks"
import { fileURLToPath } from "node:url"

/** The outcome of one timed run. */
export interface Timing {
  readonly ops: number
  readonly seconds: number
  readonly opsPerSec: number
  /** Mean wall time per operation (at 1 in flight: the latency), microseconds. */
  readonly usPerOp: number
  /** CPU time per operation of this Node process (all threads), microseconds. */
  readonly nodeCpuUs?: number
  /** CPU time per operation of the Redis server (`INFO cpu`, every client's), microseconds. */
  readonly redisCpuUs?: number
}

/** Runs `op(0..n-1)` with at most `concurrency` in flight and times the whole. */
export const runConcurrent = async (
  n: number,
  concurrency: number,
  op: (i: number) => Promise<unknown>
): Promise<Timing> => {
  let next = 0
  const worker = async () => {
    for (let i = next++; i < n; i = next++) await op(i)
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker))
  const seconds = (performance.now() - started) / 1000
  return { ops: n, seconds, opsPerSec: n / seconds, usPerOp: (seconds * 1e6) / n }
}

/** The Redis server's CPU time (user + system), seconds. */
export const redisCpuSeconds = async (client: Redis): Promise<number> => {
  const info = await client.info("cpu")
  const user = /used_cpu_user:([\d.]+)/.exec(info)
  const sys = /used_cpu_sys:([\d.]+)/.exec(info)
  return user === null || sys === null ? Number.NaN : Number(user[1]) + Number(sys[1])
}

/**
 * Times `runAll`, which runs `n` operations however it likes, also measuring the CPU time per
 * operation of this process and of Redis.
 */
export const runMeasuredBatch = async (admin: Redis, n: number, runAll: () => Promise<unknown>): Promise<Timing> => {
  const redisBefore = await redisCpuSeconds(admin)
  const nodeBefore = process.cpuUsage()
  const started = performance.now()
  await runAll()
  const seconds = (performance.now() - started) / 1000
  const node = process.cpuUsage(nodeBefore)
  const redisAfter = await redisCpuSeconds(admin)
  return {
    ops: n,
    seconds,
    opsPerSec: n / seconds,
    usPerOp: (seconds * 1e6) / n,
    nodeCpuUs: (node.user + node.system) / n,
    redisCpuUs: ((redisAfter - redisBefore) * 1e6) / n
  }
}

/** Timings of slices of one run as one: their operations and seconds summed, CPU per operation over all. */
export const sumTimings = (timings: ReadonlyArray<Timing>): Timing => {
  let ops = 0
  let seconds = 0
  let nodeCpu = 0
  let redisCpu = 0
  for (const t of timings) {
    ops += t.ops
    seconds += t.seconds
    nodeCpu += (t.nodeCpuUs ?? Number.NaN) * t.ops
    redisCpu += (t.redisCpuUs ?? Number.NaN) * t.ops
  }
  return {
    ops,
    seconds,
    opsPerSec: ops / seconds,
    usPerOp: (seconds * 1e6) / ops,
    nodeCpuUs: nodeCpu / ops,
    redisCpuUs: redisCpu / ops
  }
}

/** {@link runConcurrent}, also measuring the CPU time per operation of this process and of Redis. */
export const runMeasured = (
  admin: Redis,
  n: number,
  concurrency: number,
  op: (i: number) => Promise<unknown>
): Promise<Timing> => runMeasuredBatch(admin, n, () => runConcurrent(n, concurrency, op))

/** Script calls the server has run (FCALL, EVALSHA, EVAL; the commands a script runs are counted apart). */
export const scriptCalls = async (client: Redis): Promise<number> =>
  [...(await client.info("commandstats")).matchAll(/cmdstat_(?:fcall|evalsha|eval):calls=(\d+)/g)]
    .reduce((sum, m) => sum + Number(m[1]), 0)

/**
 * How many rounds make {@link turnOrder}'s design balanced for `n` targets: `n` when `n` is even,
 * `2n` when it is odd (the rows, then the same rows reversed).
 */
export const balancedRounds = (n: number): number => n % 2 === 0 ? n : 2 * n

/**
 * The order in which `n` targets take their turn in round `round`: the rows of a Williams design,
 * so that over {@link balancedRounds} rounds every target runs at each position, and right after
 * each other target, equally often. Whatever a target leaves behind (garbage, a timer, a write still
 * going out) falls on each of the others alike. (A fixed order started one target further on each
 * round would put every target right after the same other one in all rounds but one.)
 */
export const turnOrder = (n: number, round: number): Array<number> => {
  const r = round % balancedRounds(n)
  const shift = r % n
  const order: Array<number> = [0]
  for (let j = 1, low = 1, high = n - 1; j < n; j++) order.push(j % 2 === 1 ? low++ : high--)
  for (let j = 0; j < n; j++) order[j] = (order[j]! + shift) % n
  return r < n ? order : order.reverse()
}

/** Whether this is a smoke run (`BENCH_QUICK=1`): every benchmark runs through, at sizes whose figures mean nothing. */
export const quick = process.env.BENCH_QUICK === "1"

/** What a smoke run's page says after its title (nothing in a real run). */
export const quickMark = quick ? " (BENCH_QUICK: not meaningful)" : ""

/** Where results pages go: bench/results/, or the directory `BENCH_OUT` names. */
const resultsDir = (): string => process.env.BENCH_OUT ?? join(dirname(fileURLToPath(import.meta.url)), "results")

/** Writes `text` to `fileName` in {@link resultsDir} (made when missing); returns the file's path. */
export const writeResult = (fileName: string, text: string): string => {
  const dir = resultsDir()
  mkdirSync(dir, { recursive: true })
  const file = join(dir, fileName)
  writeFileSync(file, text)
  return file
}

/** `full`, or `smoke` in a smoke run (see {@link quick}). */
export const sized = (full: number, smoke: number): number => quick ? smoke : full

/** Median of numbers (NaN when empty). */
export const median = (values: ReadonlyArray<number>): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** What the PING loop saw. */
export interface PingStats {
  readonly pings: number
  readonly maxMs: number
  readonly p99Ms: number
  /** PINGs whose round trip took more than 10 ms. */
  readonly over10: number
}

// Plain CommonJS for `node -e`: PING over a raw socket, one at a time, timing each reply. Prints "ready"
// once connected; on "start" (stdin) it forgets the round trips so far; on "stop" it stops after the
// PING in flight and prints the round trips as JSON.
const pingProcessSource = `
const net = require("node:net")
const socket = net.connect(Number(process.argv[2]), process.argv[1])
socket.setNoDelay(true)
const times = []
let running = true
let sentAt = 0n
let buffer = ""
const send = () => { sentAt = process.hrtime.bigint(); socket.write("PING\\r\\n") }
socket.on("connect", () => { process.stdout.write("ready\\n"); send() })
socket.on("data", (chunk) => {
  buffer += chunk.toString("latin1")
  while (buffer.startsWith("+PONG\\r\\n")) {
    buffer = buffer.slice(7)
    times.push(Number(process.hrtime.bigint() - sentAt) / 1e6)
    if (running) send()
    else { socket.destroy(); process.stdin.destroy(); process.stdout.write(JSON.stringify({ times }) + "\\n") }
  }
})
socket.on("error", (error) => { process.stdout.write(JSON.stringify({ error: String(error) }) + "\\n"); process.exit(1) })
process.stdin.on("data", (data) => {
  if (data.includes("start")) times.length = 0
  if (data.includes("stop")) running = false
})
`

/**
 * A PING loop on a separate connection, in a separate Node process: neither this process's work nor
 * its garbage collection runs on the PING loop's thread. (The machine's cores are still shared with it.)
 */
export const startPingLoop = async (
  url: string
): Promise<{ readonly start: () => void; readonly stop: () => Promise<PingStats> }> => {
  const { hostname, port } = new URL(url)
  const child = spawn(process.execPath, ["-e", pingProcessSource, hostname, port || "6379"], {
    stdio: ["pipe", "pipe", "inherit"]
  })
  child.stdin.on("error", () => {}) // a failed process is reported by its output or exit below
  let output = ""
  let ready = false
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()))
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8")
  })
  await new Promise<void>((resolve, reject) => {
    const fail = (what: string) => {
      child.kill()
      reject(new Error(`ping process ${what}: ${output.trim().slice(0, 200)}`))
    }
    const check = () => {
      if (output.startsWith("ready\n")) {
        ready = true
        child.stdout.off("data", check)
        resolve()
      } else if (output.includes("\n")) fail("failed")
    }
    child.stdout.on("data", check)
    void exited.then(() => ready ? undefined : fail("exited"))
  })
  return {
    start: () => {
      child.stdin.write("start\n")
    },
    stop: async () => {
      child.stdin.write("stop\n")
      await exited
      const last = output.trim().split("\n").pop() ?? ""
      const message = JSON.parse(last) as { times?: Array<number>; error?: string }
      if (message.times === undefined) throw new Error(message.error ?? "ping process failed")
      const times = [...message.times].sort((a, b) => a - b)
      return {
        pings: times.length,
        maxMs: times[times.length - 1] ?? Number.NaN,
        p99Ms: times[Math.floor(times.length * 0.99)] ?? Number.NaN,
        over10: times.filter((t) => t > 10).length
      }
    }
  }
}

/** Runs `work` while the PING loop runs; returns its result, its wall time and the PING stats. */
export const withPingLoop = async <A>(
  url: string,
  work: () => Promise<A>
): Promise<{ readonly result: A; readonly seconds: number; readonly ping: PingStats }> => {
  const loop = await startPingLoop(url)
  await new Promise((resolve) => setTimeout(resolve, 50))
  loop.start() // round trips from here on only
  const started = performance.now()
  const result = await work().catch(async (error: unknown) => {
    await loop.stop().catch(() => undefined)
    throw error
  })
  const seconds = (performance.now() - started) / 1000
  const ping = await loop.stop()
  return { result, seconds, ping }
}

/** What Redis itself recorded about its commands (private server only). */
export interface ServerStall {
  /** The longest single command in SLOWLOG, ms (microsecond resolution), and its name. */
  readonly maxMs: number
  readonly command: string
  /**
   * The second longest command in SLOWLOG and the 99th percentile of all its entries (every
   * command over 200 µs), ms: whether the longest stands alone or the commands run that long as a rule
   * (`nextMs` 0: no second entry).
   */
  readonly nextMs: number
  readonly p99Ms: number
  /** Commands in SLOWLOG that took more than 10 ms. */
  readonly over10: number
  /** The latency monitor's longest event (whole ms), and the event's name; 0 and "" when none reached 1 ms. */
  readonly latencyMs: number
  readonly latencyEvent: string
}

/** A SLOWLOG entry as Redis 7 gives it: id, when, µs, the command and its arguments (then client fields). */
type SlowlogEntry = [id: number, at: number, micros: number, command: Array<string>]

/**
 * Redis's own record of how long it was busy: SLOWLOG (every command over 200 µs) and the latency
 * monitor (threshold 1 ms). Both time a command inside Redis, by the wall clock. Private server only:
 * it changes the SLOWLOG and latency monitor config. `start` resets both; `read` reports since then.
 */
export const slowlog = (admin: Redis) => {
  // SLOWLOG RESET frees the old entries and may log itself as the first new one: entries up to this id are skipped
  let afterId = -1
  return {
    start: async (): Promise<void> => {
      await admin.config("SET", "slowlog-log-slower-than", "200")
      await admin.config("SET", "slowlog-max-len", "100000")
      await admin.config("SET", "latency-monitor-threshold", "1")
      await admin.slowlog("RESET")
      const last = (await admin.call("SLOWLOG", "GET", "1")) as Array<[number]>
      afterId = last[0]?.[0] ?? -1
      await admin.call("LATENCY", "RESET")
    },
    read: async (): Promise<ServerStall> => {
      // longest first (a stable sort: of equally long ones, the one SLOWLOG lists first, the newest)
      const entries = ((await admin.call("SLOWLOG", "GET", "-1")) as Array<SlowlogEntry>)
        .filter((entry) => entry[0] > afterId)
        .sort((a, b) => b[2] - a[2])
      const ms = (entry: SlowlogEntry | undefined) => (entry?.[2] ?? 0) / 1000
      const longest = entries[0]
      const over10 = entries.filter((entry) => entry[2] > 10_000).length
      // LATENCY LATEST: [event, time of the latest, latest ms, max ms] per event
      const events = (await admin.call("LATENCY", "LATEST")) as Array<[string, number, number, number]>
      let latencyMs = 0
      let latencyEvent = ""
      for (const [event, , , max] of events) {
        if (max > latencyMs) {
          latencyMs = max
          latencyEvent = event
        }
      }
      return {
        maxMs: ms(longest),
        command: longest === undefined ? "" : longest[3].slice(0, 1).join(" "),
        nextMs: ms(entries[1]),
        p99Ms: ms(entries[Math.floor(0.01 * (entries.length - 1))]),
        over10,
        latencyMs,
        latencyEvent
      }
    }
  }
}

/** Deletes every key matching a pattern (SCAN + UNLINK in batches); safe on a shared server. */
export const deleteByPattern = async (client: Redis, pattern: string): Promise<number> => {
  let cursor = "0"
  let deleted = 0
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", pattern, "COUNT", "2000")
    cursor = next
    if (keys.length > 0) deleted += await client.unlink(...keys)
  } while (cursor !== "0")
  return deleted
}

/** `INFO memory` used_memory, bytes. */
export const usedMemory = async (client: Redis): Promise<number> => {
  const info = await client.info("memory")
  const match = /used_memory:(\d+)/.exec(info)
  return match === null ? Number.NaN : Number(match[1])
}

/** Node flags for a child that measures allocation: a 256 MB young generation, so no collection runs inside a batch. */
export const noGcFlags = ["--expose-gc", "--min-semi-space-size=256", "--max-semi-space-size=256"] as const

/**
 * Runs a benchmark script in a child Node process (with `flags`, through tsx, from the project
 * folder) and returns what it printed on stdout, parsed as JSON; its stderr goes to ours.
 */
export const runChild = <A>(script: string, args: ReadonlyArray<string>, flags: ReadonlyArray<string> = []): A =>
  JSON.parse(
    execFileSync(process.execPath, [...flags, "--import", "tsx", script, ...args], {
      cwd: join(dirname(fileURLToPath(import.meta.url)), ".."),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"]
    })
  ) as A

/**
 * Runs a benchmark script's `main` and exits the process: 0 when it succeeds (a child printing its
 * result, as JSON, for `runChild`), 1 with the error on stderr. The exit is explicit: after a
 * failure, connections of the failed phase may still be open.
 */
export const runMain = <A>(main: () => Promise<A>, options: { readonly printResult?: boolean } = {}): void => {
  main().then(
    (result) => {
      if (options.printResult === true) process.stdout.write(`${JSON.stringify(result)}\n`)
      process.exit(0)
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
      process.exit(1)
    }
  )
}

/**
 * A results page in bench/results/ (or the directory `BENCH_OUT` names): a title and the machine it
 * was measured on, then what `line` adds; `write` saves it under `fileName` and prints it.
 */
export const resultsPage = (title: string) => {
  const lines = [
    `# ${title}${quickMark}`,
    "",
    `Run ${new Date().toISOString()}: ${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}.`
  ]
  return {
    line: (text = "") => {
      lines.push(text)
    },
    write: (fileName: string) => {
      const text = `${lines.join("\n")}\n`
      const file = writeResult(fileName, text)
      process.stdout.write(text)
      process.stderr.write(`Wrote ${file}\n`)
    }
  }
}
