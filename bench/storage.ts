/**
 * Storage suites: memory per session for two shapes (from `INFO memory` deltas, with a per-key
 * breakdown from `MEMORY USAGE`), the wipe of expired sessions and the longest stall a listing
 * page causes, both timed by Redis itself (SLOWLOG, latency monitor) and by a PING loop in another
 * process.
 */
import type { Redis } from "ioredis"
import type { PingStats, ServerStall } from "./harness.js"
import { runConcurrent, slowlog, usedMemory, withPingLoop } from "./harness.js"
import type { BenchFields, LibSessions, Sessions } from "./targets.js"

/** A session population: `users` x `perUser` sessions, with or without the 2 additional fields. */
export interface Shape {
  readonly name: string
  readonly users: number
  readonly perUser: number
  readonly withFields: boolean
}

const fields: BenchFields = { groupId: 111, peerIp: "10.20.30.40" }

/** Creates a shape's sessions, `inFlight` at a time (user of session i: i modulo users). */
export const load = (sessions: Sessions, shape: Shape, inFlight = 256) =>
  runConcurrent(
    shape.users * shape.perUser,
    inFlight,
    (i) => sessions.create(`user-${i % shape.users}`, shape.withFields ? fields : undefined)
  )

/** Bytes of keys by role, per session, from `MEMORY USAGE` (exact for the big indexes, sampled for the rest). */
export interface Breakdown {
  readonly [role: string]: number
}

const memoryUsage = async (client: Redis, key: string, samples?: number): Promise<number> => {
  const reply = samples === undefined
    ? await client.call("MEMORY", "USAGE", key)
    : await client.call("MEMORY", "USAGE", key, "SAMPLES", String(samples))
  return typeof reply === "number" ? reply : 0
}

const randomKeys = async (client: Redis, pattern: string, n: number): Promise<Array<string>> => {
  const keys: Array<string> = []
  let cursor = "0"
  do {
    const [next, batch] = await client.scan(cursor, "MATCH", pattern, "COUNT", "1000")
    cursor = next
    keys.push(...batch)
  } while (cursor !== "0" && keys.length < n)
  return keys.slice(0, n)
}

const meanUsage = async (client: Redis, pattern: string, n = 200): Promise<number> => {
  const keys = await randomKeys(client, pattern, n)
  if (keys.length === 0) return 0
  let total = 0
  for (const key of keys) total += await memoryUsage(client, key)
  return total / keys.length
}

/** Per-session bytes by key role, for the library's layout and redisess's. */
export const breakdown = async (
  client: Redis,
  layout: MemoryTarget,
  namespace: string,
  shape: Shape
): Promise<Breakdown> => {
  const sessions = shape.users * shape.perUser
  if (layout !== "redisess") {
    const p = `{${namespace}}:`
    return {
      "session hash": await meanUsage(client, `${p}s:*`),
      "user zsets": (await meanUsage(client, `${p}u:*`)) * shape.users / sessions,
      "r (regular)": (await memoryUsage(client, `${p}r`, 0)) / sessions,
      "a (activity)": (await memoryUsage(client, `${p}a`, 0)) / sessions,
      "x (expiries)": (await memoryUsage(client, `${p}x`, 0)) / sessions,
      "U (users)": (await memoryUsage(client, `${p}U`, 0)) / sessions
    }
  }
  const p = `${namespace}:`
  return {
    "session hash": await meanUsage(client, `${p}sess_*`),
    "user zsets": (await meanUsage(client, `${p}user_*`)) * shape.users / sessions,
    "ACTIVITY": (await memoryUsage(client, `${p}ACTIVITY`, 0)) / sessions,
    "EXPIRES": (await memoryUsage(client, `${p}EXPIRES`, 0)) / sessions,
    "USERS": (await memoryUsage(client, `${p}USERS`, 0)) / sessions
  }
}

/** What a memory figure was measured on: the library by default, without native TTLs, or redisess. */
export type MemoryTarget = "lib" | "lib, nativeTtl: false" | "redisess"

/** Memory of one implementation for one shape. */
export interface MemoryResult {
  readonly shape: Shape
  readonly target: MemoryTarget
  readonly bytes: number
  readonly perSession: number
  readonly loadSeconds: number
  readonly breakdown: Breakdown
}

/** Loads a shape and measures the used_memory delta. */
export const measureMemory = async (
  admin: Redis,
  sessions: Sessions,
  target: MemoryTarget,
  namespace: string,
  shape: Shape
): Promise<MemoryResult> => {
  const before = await usedMemory(admin)
  const timing = await load(sessions, shape)
  const after = await usedMemory(admin)
  const bytes = after - before
  return {
    shape,
    target,
    bytes,
    perSession: bytes / (shape.users * shape.perUser),
    loadSeconds: timing.seconds,
    breakdown: await breakdown(admin, target, namespace, shape)
  }
}

/** A bulk operation watched by the PING loop (and by Redis's SLOWLOG and latency monitor on a private server). */
export interface Stall {
  readonly what: string
  readonly seconds: number
  readonly items: number
  /** Round trips of a PING loop in a separate process. */
  readonly ping: PingStats
  /** What Redis recorded itself (private server only). */
  readonly server?: ServerStall
}

/** Runs `work` under the PING loop, with SLOWLOG and the latency monitor when `useSlowlog`. */
export const watch = async (
  url: string,
  admin: Redis,
  useSlowlog: boolean,
  what: string,
  work: () => Promise<number>
): Promise<Stall> => {
  const log = slowlog(admin)
  if (useSlowlog) await log.start()
  const { ping, result, seconds } = await withPingLoop(url, work)
  const server = useSlowlog ? await log.read() : undefined
  return { what, seconds, items: result, ping, ...(server === undefined ? {} : { server }) }
}

/** Creates `users x perUser` sessions, moves the library's clock past their ttl, and wipes them. */
export const wipeBench = async (
  url: string,
  admin: Redis,
  useSlowlog: boolean,
  lib: LibSessions,
  shape: Shape
): Promise<{ readonly loadSeconds: number; readonly stall: Stall }> => {
  const timing = await load(lib, shape)
  lib.clock.offsetMs = 1801 * 1000 // every session has the default ttl of 1800 s
  const stall = await watch(url, admin, useSlowlog, "wipe", () => lib.wipe())
  lib.clock.offsetMs = 0
  return { loadSeconds: timing.seconds, stall }
}
