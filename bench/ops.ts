/**
 * Throughput suites: every operation at 1 and 64 in flight, each repetition measuring the raw
 * baselines next to this library and redisess, so that ratios compare runs made moments apart.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type { Redis } from "ioredis"
import { performance } from "node:perf_hooks"
import type { SessionToken } from "../src/Schema.js"
import type { SessionManagerService } from "../src/SessionManager.js"
import type { Timing } from "./harness.js"
import {
  balancedRounds,
  deleteByPattern,
  runConcurrent,
  runMeasured,
  runMeasuredBatch,
  sumTimings,
  turnOrder
} from "./harness.js"
import { Session } from "./library.js"
import type { DataHandle, LibSessions, Raw, Sessions } from "./targets.js"
import { benchData, newSessionId } from "./targets.js"

/**
 * Who ran an operation: a raw baseline, the same raw call through the library's Effect edge
 * (`runPromise(Effect.promise(...))`, nothing else), the library's script sent raw, the library
 * (one `runPromise` per operation), the library called from fibers of one Effect program (no edge
 * per operation), the raw baseline called from such fibers (`Effect.promise`), redisess, the
 * library through `PromiseApi` (calls made together run as one program; at 64 in flight only), or
 * (for `exists`) the library's read path called with no Effect at all (`bareExists`).
 */
export type Target = "raw" | "edge" | "rawFiber" | "libScript" | "lib" | "fiber" | "redisess" | "bare" | "promise"

/** One timed run. */
export interface Sample {
  readonly op: string
  readonly inFlight: number
  /** 0 is the warm-up, not reported. */
  readonly rep: number
  readonly target: Target
  /** What the raw sample is (e.g. "EVALSHA touch"). */
  readonly baseline?: string
  readonly timing: Timing
}

/** Sizes of the runs. */
export interface Sizes {
  readonly reps: number
  readonly inFlight: ReadonlyArray<number>
  /** Operations per timed run, by in-flight count. */
  readonly ops: (inFlight: number) => number
  /** Listings (of 100,000 ids) per timed run, by in-flight count. */
  readonly listings: (inFlight: number) => number
  /** Repetitions of the listing suite (fewer: 64 listings of 100,000 ids take a while). */
  readonly listingReps: number
}

const log = (message: string) => process.stderr.write(`${message}\n`)

const first = (value: unknown) => Array.isArray(value) ? value[0] as unknown : undefined
const dataValue = (value: unknown) => Array.isArray(value) ? value[4] as unknown : undefined

/** Fails the run when a data read did not return what was written (`read`: the value in the target's own form). */
const expectData = (target: Target, reply: unknown) => {
  const stored = `s${benchData.value}`
  const read = target === "lib"
    ? Option.isOption(reply) ? Option.getOrUndefined(reply) : undefined
    : target === "libScript"
    // the replies of TIME, HMGET, TIME, the HMGET's {user, last access, ttl, deadline, values...};
    // or a script call's {replies, failed}, replies[1] the same
    ? dataValue(Array.isArray(reply) && reply.length === 3 ? reply[1] : first(first(reply)))
    : reply
  if (read !== (target === "raw" || target === "libScript" ? stored : benchData.value)) {
    throw new Error(`data get (${target}) returned ${JSON.stringify(reply)}`)
  }
}

/**
 * One target of an operation's run: who (and, for a raw baseline, which call), and how it makes
 * the calls of indexes `from` to `from + count - 1` (at the run's number in flight).
 */
interface Entry {
  readonly target: Target
  readonly baseline?: string
  readonly slice: (from: number, count: number) => Promise<unknown>
}

/**
 * Runs every target of one operation over the same `n` calls, in slices that take turns: each
 * target makes its calls in `balancedRounds` slices (as many as there are targets, or twice as many
 * when that is odd), each round of slices in the order `turnOrder` gives it. So all targets see the
 * same moments of the machine, which moves by tens of percent within seconds on a small shared one,
 * and each runs first, and right after each other target, equally often. Returns each target's
 * sample of `run`, its timing the sum of its slices (an undefined entry: a target this run leaves out).
 */
const timeTogether = async (
  admin: Redis,
  n: number,
  entries: ReadonlyArray<Entry | undefined>,
  run: { readonly op: string; readonly inFlight: number; readonly rep: number }
): Promise<Array<Sample>> => {
  const present = entries.filter((entry): entry is Entry => entry !== undefined)
  const rounds = balancedRounds(present.length)
  const size = Math.ceil(n / rounds)
  const timings = present.map((): Array<Timing> => [])
  for (let round = 0; round < rounds; round++) {
    const from = round * size
    const count = Math.min(size, n - from)
    if (count <= 0) break
    for (const e of turnOrder(present.length, round)) {
      timings[e]!.push(await runMeasuredBatch(admin, count, () => present[e]!.slice(from, count)))
    }
  }
  return present.map(({ baseline, target }, e) => ({
    ...run,
    target,
    timing: sumTimings(timings[e]!),
    ...(baseline === undefined ? {} : { baseline })
  }))
}

/**
 * create, get (update / noUpdate), exists, data set / get (one key), kill, killUser, on namespaces
 * kept small. Each operation's targets (its raw baseline, the baseline through the edge and from
 * fibers, the library through `runPromise`, `PromiseApi` and from fibers, redisess, the library's
 * script sent raw) take turns in slices (`timeTogether`).
 */
export const runPointOps = async (
  sizes: Sizes,
  targets: { readonly raw: Raw; readonly lib: LibSessions; readonly redisess: Sessions },
  admin: Redis
): Promise<Array<Sample>> => {
  const { lib, raw, redisess } = targets
  const samples: Array<Sample> = []
  for (let rep = 0; rep <= sizes.reps; rep++) {
    for (const inFlight of sizes.inFlight) {
      const n = rep === 0 ? Math.ceil(sizes.ops(inFlight) / 4) : sizes.ops(inFlight)
      /** Calls `run` for each index of a slice, `inFlight` at a time. */
      const calls = (run: (i: number) => Promise<unknown>) => (from: number, count: number) =>
        runConcurrent(count, inFlight, (i) => run(from + i))
      /** The library from `inFlight` fibers of one Effect program (one `runPromise` per slice). */
      const fibers =
        (run: (sm: SessionManagerService, i: number) => Effect.Effect<unknown, unknown>) =>
        (from: number, count: number) => lib.inFibers(count, inFlight, (sm, i) => run(sm, from + i))
      /**
       * A raw baseline: by itself, through the edge, and from fibers (`Effect.promise`, as an app
       * hand-writing its ioredis calls), or those of them in `ways`; each way makes its calls with
       * a `run()` of its own (the touches, on ids of their own).
       */
      const baselines = (
        baseline: string,
        run: () => (i: number) => Promise<unknown>,
        ways: ReadonlyArray<"raw" | "edge" | "rawFiber"> = ["raw", "edge", "rawFiber"]
      ): Array<Entry> =>
        ways.map((way): Entry => {
          const call = run()
          switch (way) {
            case "raw":
              return { target: way, baseline, slice: calls(call) }
            case "edge":
              return { target: way, baseline, slice: calls((i) => lib.edge(() => call(i))) }
            case "rawFiber":
              return {
                target: way,
                baseline,
                slice: (from, count) => lib.inFibers(count, inFlight, (_, i) => Effect.promise(() => call(from + i)))
              }
          }
        })
      const time = async (op: string, entries: ReadonlyArray<Entry | undefined>, count = n) => {
        samples.push(...await timeTogether(admin, count, entries, { op, inFlight, rep }))
      }
      // PromiseApi, for goal 4: at 64 in flight (a lone call is one program, as through runPromise)
      const promised = inFlight > 1
      const user = (i: number) => `u${i % 1000}`
      /** The touch, each call on a new id (a new session, as create's): the raw baseline of the writes. */
      const touchNew = () => {
        const ids = Array.from({ length: n }, newSessionId)
        return (i: number) => raw.touch(ids[i]!, user(i))
      }
      // the raw sessions that the data baselines write and read: made by create's raw touches
      const rawIds = Array.from({ length: n }, newSessionId)
      const scriptIds = Array.from({ length: n }, newSessionId)
      const libIds: Array<string> = new Array<string>(n)
      const promiseIds: Array<string> = new Array<string>(n)
      const fiberIds: Array<string> = new Array<string>(n)
      const rsIds: Array<string> = new Array<string>(n)

      await time("create", [
        // the raw touch on `rawIds`: the sessions the data baselines write and read
        { target: "raw", baseline: "EVALSHA touch", slice: calls((i) => raw.touch(rawIds[i]!, user(i))) },
        ...baselines("EVALSHA touch", touchNew, ["edge", "rawFiber"]),
        {
          target: "lib",
          slice: calls(async (i) => {
            libIds[i] = await lib.create(user(i))
          })
        },
        promised
          ? {
            target: "promise",
            slice: calls(async (i) => {
              promiseIds[i] = await lib.promises.create(user(i))
            })
          }
          : undefined,
        {
          target: "fiber",
          slice: fibers((sm, i) =>
            Effect.map(sm.create(user(i)), (session) => {
              fiberIds[i] = Redacted.value(session.token)
            })
          )
        },
        {
          target: "redisess",
          slice: calls(async (i) => {
            rsIds[i] = await redisess.create(user(i))
          })
        },
        { target: "libScript", slice: calls((i) => raw.libScript.create(scriptIds[i]!, user(i))) }
      ])
      const libSessionIds = libIds.map((token) => Session.idOf(token as SessionToken))
      const hgetall = () => (i: number) => raw.hgetall(libSessionIds[i]!)
      for (const noUpdate of [false, true]) {
        await time(noUpdate ? "get (noUpdate)" : "get (update)", [
          ...(noUpdate ? baselines("HGETALL", hgetall) : baselines("EVALSHA touch", touchNew)),
          { target: "lib", slice: calls((i) => lib.get(libIds[i]!, noUpdate)) },
          promised ? { target: "promise", slice: calls((i) => lib.promises.get(libIds[i]!, noUpdate)) } : undefined,
          { target: "fiber", slice: fibers((sm, i) => sm.get(fiberIds[i]!, { noUpdate })) },
          { target: "redisess", slice: calls((i) => redisess.get(rsIds[i]!, noUpdate)) },
          { target: "libScript", slice: calls((i) => raw.libScript.get(scriptIds[i]!, !noUpdate)) }
        ])
      }
      await time("exists", [
        ...baselines("HGETALL", hgetall),
        { target: "lib", slice: calls((i) => lib.exists(libIds[i]!)) },
        promised ? { target: "promise", slice: calls((i) => lib.promises.exists(libIds[i]!)) } : undefined,
        {
          target: "fiber",
          slice: fibers((sm, i) =>
            Effect.flatMap(sm.exists(fiberIds[i]!), (live) => live ? Effect.void : Effect.die("a session is gone"))
          )
        },
        { target: "redisess", slice: calls((i) => redisess.exists(rsIds[i]!)) },
        {
          target: "bare",
          slice: calls(async (i) => {
            if (!(await raw.bareExists(libIds[i]!))) throw new Error("bare exists: a session is gone")
          })
        },
        { target: "libScript", slice: calls((i) => raw.libScript.exists(scriptIds[i]!)) }
      ])

      // data set / get of one key on the sessions above; redisess's Session objects fetched untimed
      const libData: Array<DataHandle> = new Array<DataHandle>(n)
      const rsData: Array<DataHandle> = new Array<DataHandle>(n)
      const promiseData: Array<DataHandle> = new Array<DataHandle>(n)
      await runConcurrent(n, 64, async (i) => {
        libData[i] = await lib.dataHandle(libIds[i]!)
        promiseData[i] = await lib.promises.dataHandle(libIds[i]!)
        rsData[i] = await redisess.dataHandle(rsIds[i]!)
      })
      const { key, value } = benchData
      await time("data set", [
        ...baselines("HSET (1 field)", () => (i) => raw.hsetData(rawIds[i]!)),
        { target: "lib", slice: calls((i) => libData[i]!.set(key, value)) },
        promised ? { target: "promise", slice: calls((i) => promiseData[i]!.set(key, value)) } : undefined,
        { target: "fiber", slice: fibers((sm, i) => sm.setData(fiberIds[i]!, key, value)) },
        { target: "redisess", slice: calls((i) => rsData[i]!.set(key, value)) },
        { target: "libScript", slice: calls((i) => raw.libScript.dataSet(scriptIds[i]!)) }
      ])
      for (const i of [0, n - 1]) {
        expectData("raw", await raw.hgetData(rawIds[i]!))
        expectData("lib", await libData[i]!.get(key))
        expectData("lib", await promiseData[i]!.get(key))
        expectData("redisess", await rsData[i]!.get(key))
        expectData("libScript", await raw.libScript.dataGet(scriptIds[i]!))
      }
      await time("data get", [
        ...baselines("HGET", () => (i) => raw.hgetData(rawIds[i]!)),
        { target: "lib", slice: calls((i) => libData[i]!.get(key)) },
        promised ? { target: "promise", slice: calls((i) => promiseData[i]!.get(key)) } : undefined,
        { target: "fiber", slice: fibers((sm, i) => sm.getData(fiberIds[i]!, key)) },
        { target: "redisess", slice: calls((i) => rsData[i]!.get(key)) },
        { target: "libScript", slice: calls((i) => raw.libScript.dataGet(scriptIds[i]!)) }
      ])

      // kill takes a session id: each id derived from its token before the timing, as for the raw script
      const idsOf = (tokens: ReadonlyArray<string>) => tokens.map((token) => Session.idOf(token as SessionToken))
      const [libKills, promiseKills, fiberKills] = [idsOf(libIds), promised ? idsOf(promiseIds) : [], idsOf(fiberIds)]
      await time("kill", [
        ...baselines("EVALSHA touch", touchNew),
        { target: "lib", slice: calls((i) => lib.kill(libKills[i]!)) },
        promised ? { target: "promise", slice: calls((i) => lib.promises.kill(promiseKills[i]!)) } : undefined,
        { target: "fiber", slice: fibers((sm, i) => sm.kill(fiberKills[i]!)) },
        { target: "redisess", slice: calls((i) => redisess.kill(rsIds[i]!)) },
        { target: "libScript", slice: calls((i) => raw.libScript.kill(scriptIds[i]!)) }
      ])

      // killUser: users with 2 sessions each, created untimed
      const users = Math.ceil(n / 4)
      const killUserOf = (i: number) => `k${rep}-${inFlight}-${i}`
      await runConcurrent(users * 2, 64, (i) => lib.create(killUserOf(i % users)))
      await runConcurrent(users * 2, 64, (i) => redisess.create(killUserOf(i % users)))
      if (promised) await runConcurrent(users * 2, 64, (i) => lib.create(`p${killUserOf(i % users)}`))
      await time("killUser (2 sessions)", [
        // for scale only: the touch of one session
        ...baselines("EVALSHA touch", touchNew, ["raw", "edge"]),
        { target: "lib", slice: calls((i) => lib.killUser(killUserOf(i))) },
        promised ? { target: "promise", slice: calls((i) => lib.promises.killUser(`p${killUserOf(i)}`)) } : undefined,
        { target: "redisess", slice: calls((i) => redisess.killUser(killUserOf(i))) }
      ], users)
      await deleteByPattern(raw.client, raw.rawPattern)
      log(`  point ops: repetition ${rep}${rep === 0 ? " (warm-up)" : ""}, ${inFlight} in flight, ${n} ops each`)
    }
  }
  return samples
}

/**
 * A 60 s window counted from `loadedAt` (60 s plus the seconds since), so that sessions loaded just
 * before stay inside it however long the suite runs: what `(60)` returns right after the load.
 */
export const window60 = (loadedAt: number) => () => 60 + Math.ceil((Date.now() - loadedAt) / 1000)

/** count, count(60), getAllSessions(60), getAllUsers with 100,000 sessions present in each namespace. */
export const runListingOps = async (
  sizes: Sizes,
  window: () => number,
  targets: { readonly raw: Raw; readonly lib: LibSessions; readonly redisess: Sessions },
  admin: Redis
): Promise<Array<Sample>> => {
  const { lib, raw, redisess } = targets
  const samples: Array<Sample> = []
  for (let rep = 0; rep <= sizes.listingReps; rep++) {
    for (const inFlight of sizes.inFlight) {
      const counts = rep === 0 ? Math.ceil(sizes.ops(inFlight) / 4) : sizes.ops(inFlight)
      const listings = rep === 0 ? 1 : sizes.listings(inFlight)
      const time = async (
        op: string,
        n: number,
        target: Target,
        run: () => Promise<unknown>,
        baseline?: string
      ) => {
        const timing = await runMeasured(admin, n, inFlight, run)
        samples.push({ op, inFlight, rep, target, timing, ...(baseline === undefined ? {} : { baseline }) })
      }
      // the raw baselines must read the index that holds the library's sessions
      const [rawCount, libCount] = [await raw.zcount(0), await lib.count()]
      if (rawCount !== libCount) throw new Error(`raw ZCOUNT sees ${rawCount} sessions, the library ${libCount}`)
      // the counts take turns in slices, as the point operations do (many calls each)
      const calls = (run: () => Promise<unknown>) => (_: number, count: number) => runConcurrent(count, inFlight, run)
      /** One count: the library's and redisess's with `secs` (undefined: all), the raw ZCOUNT with its window. */
      const timeCount = async (op: string, baseline: string, secs: () => number | undefined) => {
        const entries: Array<Entry> = [
          { target: "raw", baseline, slice: calls(() => raw.zcount(secs() ?? 0)) },
          { target: "edge", baseline, slice: calls(() => lib.edge(() => raw.zcount(secs() ?? 0))) },
          { target: "lib", slice: calls(() => lib.count(secs())) },
          { target: "redisess", slice: calls(() => redisess.count(secs())) }
        ]
        if (inFlight > 1) entries.push({ target: "promise", slice: calls(() => lib.promises.count(secs())) })
        samples.push(...await timeTogether(admin, counts, entries, { op, inFlight, rep }))
      }
      await timeCount("count()", "ZCOUNT all", () => undefined)
      await timeCount("count(60)", "ZCOUNT window", window)
      // the listings one target after another: slices would cut how many of them are in flight
      await time(
        "getAllSessions(60)",
        listings,
        "raw",
        () => raw.zrange(window()),
        "ZRANGEBYSCORE (one call)"
      )
      await time("getAllSessions(60)", listings, "lib", () => lib.getAllSessions(window()))
      await time("getAllSessions(60)", listings, "redisess", () => redisess.getAllSessions(window()))
      await time(
        "getAllUsers()",
        listings,
        "raw",
        () => raw.users(),
        "pages of 1,000: ZRANGE, then a pipeline of an HGET per session"
      )
      await time("getAllUsers()", listings, "lib", () => lib.getAllUsers())
      await time("getAllUsers()", listings, "redisess", () => redisess.getAllUsers())
      log(`  listing ops: repetition ${rep}${rep === 0 ? " (warm-up)" : ""}, ${inFlight} in flight`)
    }
  }
  return samples
}

/** Per-call latency of one target in the interleaved run, microseconds. */
export interface CallLatency {
  readonly target: string
  readonly calls: number
  readonly p10: number
  readonly p50: number
  readonly p90: number
  readonly mean: number
  /** The mean of the fastest 99% of calls: what the mean is without its slowest hundredth. */
  readonly mean99: number
  /** The run cut into consecutive passes of equal length: the median and the mean of each. */
  readonly passes: ReadonlyArray<{ readonly p50: number; readonly mean: number }>
}

const quantile = (sorted: ArrayLike<number>, p: number) => sorted[Math.floor(p * (sorted.length - 1))]!
const mean = (values: ArrayLike<number>) => {
  let sum = 0
  for (let i = 0; i < values.length; i++) sum += values[i]!
  return sum / values.length
}

/** A target's per-call latencies (µs, in call order) as percentiles and means, overall and per pass. */
const summarize = (target: string, all: Float64Array, passes: number): CallLatency => {
  const sorted = Float64Array.from(all).sort()
  const fastest99 = sorted.subarray(0, Math.max(1, Math.floor(sorted.length * 0.99)))
  const passLength = Math.floor(all.length / passes)
  return {
    target,
    calls: sorted.length,
    p10: quantile(sorted, 0.1),
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    mean: mean(sorted),
    mean99: mean(fastest99),
    passes: Array.from({ length: passes }, (_, k) => {
      const pass = all.slice(k * passLength, (k + 1) * passLength)
      return { p50: quantile(pass.sort(), 0.5), mean: mean(pass) }
    })
  }
}

/**
 * One call at a time, the targets taking turns call by call (each round in the order `turnOrder`
 * gives it: each target runs first, and right after each other target, equally often), so that
 * every target sees the same moments of the machine; returns per-call
 * latency percentiles and means, overall and per pass (`passes` consecutive stretches of equal length, so that a ratio can be taken within a pass
 * and its median over passes, as for the repetitions of the other runs). Sequential runs of one
 * target each move with the machine's drift; at 1 in flight, a mean is also carried by the slowest
 * calls, which a median is not.
 *
 * Then a second such run inside one fiber of one Effect program (one `runPromise` for the whole
 * run), as an Effect app calls: the library's operation (`<op>: effect-redisess from a fiber`)
 * against its own calls sent raw from the same fiber (`<op>: lib script from a fiber`,
 * `Effect.promise`): the Effect layer with no edge per call.
 */
export const runInterleavedLatency = async (
  callsPerTarget: number,
  passes: number,
  targets: { readonly raw: Raw; readonly lib: LibSessions }
): Promise<Array<CallLatency>> => {
  const { lib, raw } = targets
  const sessions = 1000
  const libIds = await Promise.all(Array.from({ length: sessions }, (_, i) => lib.create(`il${i}`)))
  const libSessionIds = libIds.map((token) => Session.idOf(token as SessionToken))
  const scriptIds = Array.from({ length: sessions }, newSessionId)
  await runConcurrent(sessions, 64, (i) => raw.libScript.create(scriptIds[i]!, `il${i}`))
  const rawIds = Array.from({ length: sessions }, newSessionId)
  const at = <A>(ids: ReadonlyArray<A>, i: number) => ids[i % sessions]!
  const user = (i: number) => `il${i % sessions}`
  // kill needs a session per call: made before the rounds
  const warmUp = Math.ceil(callsPerTarget / 10)
  const rounds = warmUp + callsPerTarget
  /** A session per round, made by the library: their ids. */
  const libVictimsMade = async () => {
    const ids = new Array<string>(rounds)
    await runConcurrent(rounds, 64, async (i) => {
      ids[i] = Session.idOf(await lib.create(user(i)) as SessionToken)
    })
    return ids
  }
  /** A session per round, made by the library's script sent raw: their ids. */
  const scriptVictimsMade = async () => {
    const ids = Array.from({ length: rounds }, newSessionId)
    await runConcurrent(rounds, 64, (i) => raw.libScript.create(ids[i]!, user(i)))
    return ids
  }
  const libVictims = await libVictimsMade()
  const scriptVictims = await scriptVictimsMade()
  const edgeVictims = await scriptVictimsMade()
  const { edge } = lib
  const calls: ReadonlyArray<readonly [string, (i: number) => Promise<unknown>]> = [
    ["EVALSHA touch, raw", (i) => raw.touch(at(rawIds, i), user(i))],
    ["EVALSHA touch via the edge", (i) => lib.edge(() => raw.touch(at(rawIds, i), user(i)))],
    ["HGETALL, raw", (i) => raw.hgetall(at(libSessionIds, i))],
    ["HGETALL via the edge", (i) => lib.edge(() => raw.hgetall(at(libSessionIds, i)))],
    ["create: lib script, raw", (i) => raw.libScript.create(newSessionId(), user(i))],
    ["create: lib script via the edge", (i) => edge(() => raw.libScript.create(newSessionId(), user(i)))],
    ["create: effect-redisess", (i) => lib.create(user(i))],
    ["get (update): lib script, raw", (i) => raw.libScript.get(at(scriptIds, i), true)],
    ["get (update): lib script via the edge", (i) => edge(() => raw.libScript.get(at(scriptIds, i), true))],
    ["get (update): effect-redisess", (i) => lib.get(at(libIds, i), false)],
    ["get (noUpdate): lib script, raw", (i) => raw.libScript.get(at(scriptIds, i), false)],
    ["get (noUpdate): lib script via the edge", (i) => edge(() => raw.libScript.get(at(scriptIds, i), false))],
    ["get (noUpdate): effect-redisess", (i) => lib.get(at(libIds, i), true)],
    ["exists: lib script, raw", (i) => raw.libScript.exists(at(scriptIds, i))],
    ["exists: lib script via the edge", (i) => edge(() => raw.libScript.exists(at(scriptIds, i)))],
    ["exists: effect-redisess", (i) => lib.exists(at(libIds, i))],
    ["kill: lib script, raw", (i) => raw.libScript.kill(scriptVictims[i]!)],
    ["kill: lib script via the edge", (i) => edge(() => raw.libScript.kill(edgeVictims[i]!))],
    ["kill: effect-redisess", (i) => lib.kill(libVictims[i]!)]
  ]
  const latencies = calls.map(() => new Float64Array(callsPerTarget))
  for (let round = 0; round < rounds; round++) {
    // no target always runs first (after the loop's own work) or right after the same other one
    for (const c of turnOrder(calls.length, round)) {
      const started = performance.now()
      await calls[c]![1](round)
      if (round >= warmUp) latencies[c]![round - warmUp] = (performance.now() - started) * 1000
    }
  }

  // the same from one fiber: the library's operations against its own calls sent raw from that fiber
  const fiberLibVictims = await libVictimsMade()
  const fiberScriptVictims = await scriptVictimsMade()
  const fiberCalls: ReadonlyArray<
    readonly [string, (sm: SessionManagerService, i: number) => Effect.Effect<unknown, unknown>]
  > = [
    ["create: lib script from a fiber", (_, i) => Effect.promise(() => raw.libScript.create(newSessionId(), user(i)))],
    ["create: effect-redisess from a fiber", (sm, i) => sm.create(user(i))],
    [
      "get (update): lib script from a fiber",
      (_, i) => Effect.promise(() => raw.libScript.get(at(scriptIds, i), true))
    ],
    ["get (update): effect-redisess from a fiber", (sm, i) => sm.get(at(libIds, i), { noUpdate: false })],
    [
      "get (noUpdate): lib script from a fiber",
      (_, i) => Effect.promise(() => raw.libScript.get(at(scriptIds, i), false))
    ],
    ["get (noUpdate): effect-redisess from a fiber", (sm, i) => sm.get(at(libIds, i), { noUpdate: true })],
    ["exists: lib script from a fiber", (_, i) => Effect.promise(() => raw.libScript.exists(at(scriptIds, i)))],
    ["exists: effect-redisess from a fiber", (sm, i) => sm.exists(at(libIds, i))],
    ["kill: lib script from a fiber", (_, i) => Effect.promise(() => raw.libScript.kill(fiberScriptVictims[i]!))],
    ["kill: effect-redisess from a fiber", (sm, i) => sm.kill(fiberLibVictims[i]!)]
  ]
  const fiberLatencies = fiberCalls.map(() => new Float64Array(callsPerTarget))
  await lib.inFibers(1, 1, (sm) =>
    Effect.gen(function*() {
      for (let round = 0; round < rounds; round++) {
        for (const c of turnOrder(fiberCalls.length, round)) {
          const started = performance.now()
          yield* fiberCalls[c]![1](sm, round)
          if (round >= warmUp) fiberLatencies[c]![round - warmUp] = (performance.now() - started) * 1000
        }
      }
    }))
  await deleteByPattern(raw.client, raw.rawPattern)
  return [
    ...calls.map(([target], c) => summarize(target, latencies[c]!, passes)),
    ...fiberCalls.map(([target], c) => summarize(target, fiberLatencies[c]!, passes))
  ]
}
