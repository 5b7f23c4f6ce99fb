/**
 * Storage suites: memory per session for two shapes (from `INFO memory` deltas, with a per-key
 * breakdown from `MEMORY USAGE`), the wipe of expired sessions and the longest stall a listing
 * page causes, both timed by Redis itself (SLOWLOG, latency monitor) and by a PING loop in another
 * process.
 */
import type { Redis } from "ioredis"
import { performance } from "node:perf_hooks"
import { fieldPrefix, sessionField } from "../src/internal/redis/format.js"
import { keyspace } from "../src/internal/redis/keys.js"
import type { PingStats, ServerStall } from "./harness.js"
import { runConcurrent, slowlog, usedMemory, withPingLoop } from "./harness.js"
import type { BenchFields, LibSessions, Sessions } from "./targets.js"
import { newSessionId } from "./targets.js"

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
      ...(layout === "floor with U" ? { "U (users)": (await memoryUsage(client, `${p}U`, 0)) / sessions } : {})
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

/**
 * A floor: the structures the API needs, each holding the least it can, written by raw commands
 * (no library), to show what any layout with them costs at least. Per session: a hash holding
 * only its user id (and the shape's fields, in the library's encoding), the session in its user's
 * sorted set and in the shard's activity index (`r`).
 * - `floor`: that, with no TTLs (as redisess and `nativeTtl: false`).
 * - `floor, native TTLs`: the same with a TTL on the session hash and the user's set, the least a
 *   store whose keys expire on their own needs (the library's default).
 * - `floor with U`: `floor` plus an index of users by latest access (`U`, as redisess's `USERS`),
 *   which the library's layout before 0.2 kept for `getAllUsers`.
 */
export type Floor = "floor" | "floor, native TTLs" | "floor with U"

/** The floors, in the order the report shows them. */
export const floors: ReadonlyArray<Floor> = ["floor, native TTLs", "floor", "floor with U"]

/** What a memory figure was measured on: the library by default, without native TTLs, redisess, or a floor. */
export type MemoryTarget = "lib" | "lib, nativeTtl: false" | "redisess" | Floor

/** Memory of one implementation for one shape. */
export interface MemoryResult {
  readonly shape: Shape
  readonly target: MemoryTarget
  readonly bytes: number
  readonly perSession: number
  readonly loadSeconds: number
  readonly breakdown: Breakdown
}

/**
 * Runs `write` (which stores a shape and returns the seconds it took) and measures the used_memory
 * delta. For a figure that depends on nothing else, the server should hold nothing else: the
 * keyspace's own table doubles as it grows, so what was there before decides how much of a doubling
 * a load pays (measured here: up to 21 B/session more for the third of three loads in a row).
 */
const measure = async (
  admin: Redis,
  target: MemoryTarget,
  namespace: string,
  shape: Shape,
  write: () => Promise<number>
): Promise<MemoryResult> => {
  const before = await usedMemory(admin)
  const loadSeconds = await write()
  const after = await usedMemory(admin)
  const bytes = after - before
  return {
    shape,
    target,
    bytes,
    perSession: bytes / (shape.users * shape.perUser),
    loadSeconds,
    breakdown: await breakdown(admin, target, namespace, shape)
  }
}

/** Loads a shape through `sessions` and measures the used_memory delta (see {@link measure}). */
export const measureMemory = (
  admin: Redis,
  sessions: Sessions,
  target: MemoryTarget,
  namespace: string,
  shape: Shape
): Promise<MemoryResult> => measure(admin, target, namespace, shape, async () => (await load(sessions, shape)).seconds)

/** The additional fields as the library stores them (JSON, under the format's field prefix). */
const storedFields = Object.entries(fields).flatMap(([name, value]) => [`${fieldPrefix}${name}`, JSON.stringify(value)])

/** Writes a shape's {@link Floor} in the library's key names, 1,000 sessions to a pipeline, and measures it. */
export const measureFloor = (admin: Redis, floor: Floor, namespace: string, shape: Shape): Promise<MemoryResult> =>
  measure(admin, floor, namespace, shape, async () => {
    const started = performance.now()
    const ks = keyspace(namespace)
    const ttlMs = 3_600_000
    const sessions = shape.users * shape.perUser
    const now = Date.now()
    for (let from = 0; from < sessions; from += 1000) {
      const batch = admin.pipeline()
      for (let i = from; i < Math.min(from + 1000, sessions); i++) {
        const sessionId = newSessionId()
        const userId = `user-${i % shape.users}`
        const at = now + i
        batch.hset(ks.session(sessionId), sessionField.userId, userId, ...(shape.withFields ? storedFields : []))
        batch.zadd(ks.user(userId), at, sessionId)
        batch.zadd(ks.regular, at, sessionId)
        if (floor === "floor with U") batch.zadd(`${ks.prefix}U`, at, userId)
        if (floor === "floor, native TTLs") {
          batch.pexpire(ks.session(sessionId), ttlMs)
          batch.pexpire(ks.user(userId), ttlMs)
        }
      }
      await batch.exec()
    }
    return (performance.now() - started) / 1000
  })

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

/**
 * Runs `work` with the library's clock moved past the default ttl of 1800 s (every session the
 * benchmark makes has expired by it), then moves it back. The library must have a movable clock.
 */
export const pastTtl = async <A>(lib: LibSessions, work: () => Promise<A>): Promise<A> => {
  const { clock } = lib
  if (clock === undefined) throw new Error("the wipe benchmark needs a library made with a movable clock")
  clock.offsetMs = 1801 * 1000
  try {
    return await work()
  } finally {
    clock.offsetMs = 0
  }
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
  const stall = await pastTtl(lib, () => watch(url, admin, useSlowlog, "wipe", () => lib.wipe()))
  return { loadSeconds: timing.seconds, stall }
}
