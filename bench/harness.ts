/**
 * Measuring tools of the benchmark: a fixed number of operations at a fixed number in flight,
 * medians, a PING loop (in a worker thread, on its own connection) that sees how long Redis
 * stalls, SLOWLOG reading, and key deletion by pattern.
 */
import type { Redis } from "ioredis"
import { performance } from "node:perf_hooks"
import { Worker } from "node:worker_threads"

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

/** {@link runConcurrent}, also measuring the CPU time per operation of this process and of Redis. */
export const runMeasured = async (
  admin: Redis,
  n: number,
  concurrency: number,
  op: (i: number) => Promise<unknown>
): Promise<Timing> => {
  const redisBefore = await redisCpuSeconds(admin)
  const nodeBefore = process.cpuUsage()
  const timing = await runConcurrent(n, concurrency, op)
  const node = process.cpuUsage(nodeBefore)
  const redisAfter = await redisCpuSeconds(admin)
  return { ...timing, nodeCpuUs: (node.user + node.system) / n, redisCpuUs: ((redisAfter - redisBefore) * 1e6) / n }
}

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
}

// Plain CommonJS for an eval worker: PING over a raw socket, one at a time, timing each reply.
const pingWorkerSource = `
const { parentPort, workerData } = require("node:worker_threads")
const net = require("node:net")
const socket = net.connect(workerData.port, workerData.host)
socket.setNoDelay(true)
const times = []
let running = true
let sentAt = 0
let buffer = ""
const send = () => { sentAt = process.hrtime.bigint(); socket.write("PING\\r\\n") }
socket.on("connect", () => { parentPort.postMessage({ ready: true }); send() })
socket.on("data", (chunk) => {
  buffer += chunk.toString("latin1")
  while (buffer.startsWith("+PONG\\r\\n")) {
    buffer = buffer.slice(7)
    times.push(Number(process.hrtime.bigint() - sentAt) / 1e6)
    if (running) send()
    else { socket.destroy(); parentPort.postMessage({ times }) }
  }
})
socket.on("error", (error) => parentPort.postMessage({ error: String(error) }))
parentPort.on("message", () => { running = false })
`

/** A PING loop on a separate connection, in a worker thread so that this thread's work does not add to it. */
export const startPingLoop = async (url: string): Promise<{ readonly stop: () => Promise<PingStats> }> => {
  const { hostname, port } = new URL(url)
  const worker = new Worker(pingWorkerSource, {
    eval: true,
    workerData: { host: hostname, port: Number(port || 6379) }
  })
  await new Promise<void>((resolve, reject) => {
    worker.once(
      "message",
      (message: { ready?: boolean; error?: string }) =>
        message.ready === true ? resolve() : reject(new Error(message.error ?? "ping worker failed"))
    )
    worker.once("error", reject)
  })
  return {
    stop: () =>
      new Promise<PingStats>((resolve, reject) => {
        worker.once("message", (message: { times?: Array<number>; error?: string }) => {
          void worker.terminate()
          if (message.times === undefined) return reject(new Error(message.error ?? "ping worker failed"))
          const times = [...message.times].sort((a, b) => a - b)
          resolve({
            pings: times.length,
            maxMs: times[times.length - 1] ?? Number.NaN,
            p99Ms: times[Math.floor(times.length * 0.99)] ?? Number.NaN
          })
        })
        worker.postMessage("stop")
      })
  }
}

/** Runs `work` while the PING loop runs; returns its result, its wall time and the PING stats. */
export const withPingLoop = async <A>(
  url: string,
  work: () => Promise<A>
): Promise<{ readonly result: A; readonly seconds: number; readonly ping: PingStats }> => {
  const loop = await startPingLoop(url)
  await new Promise((resolve) => setTimeout(resolve, 50))
  const started = performance.now()
  const result = await work()
  const seconds = (performance.now() - started) / 1000
  const ping = await loop.stop()
  return { result, seconds, ping }
}

/**
 * The server's own record of slow commands (private server only: it changes the SLOWLOG config).
 * `start` resets it; `maxMs` is the longest single command since then.
 */
export const slowlog = (admin: Redis) => ({
  start: async (): Promise<void> => {
    await admin.config("SET", "slowlog-log-slower-than", "200")
    await admin.config("SET", "slowlog-max-len", "100000")
    await admin.slowlog("RESET")
  },
  maxMs: async (): Promise<{ readonly maxMs: number; readonly command: string }> => {
    const entries = (await admin.call("SLOWLOG", "GET", "-1")) as Array<[number, number, number, Array<string>]>
    let maxUs = 0
    let command = ""
    for (const entry of entries) {
      if (entry[2] > maxUs) {
        maxUs = entry[2]
        command = entry[3].slice(0, 1).join(" ")
      }
    }
    return { maxMs: maxUs / 1000, command }
  }
})

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
