/**
 * The benchmark (`npm run bench`): against a private redis-server it starts (or `REDIS_URL`), in
 * one process, measures raw ioredis baselines, effect-redisess and redisess 2.6, then memory per
 * session, the wipe and listing stalls, and writes bench/results/latest.{md,svg,json}.
 *
 * On a `REDIS_URL` server nothing destructive runs: namespaces get a random suffix and their keys
 * are deleted by pattern. Set BENCH_QUICK=1 for a short smoke run (results are not meaningful), and
 * BENCH_OUT to write the results to another directory.
 */
import type { Redis } from "ioredis"
import { execSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { readFileSync } from "node:fs"
import { cpus, loadavg, totalmem } from "node:os"
import { dirname, join } from "node:path"
import { performance } from "node:perf_hooks"
import { fileURLToPath } from "node:url"
import { startRedisServer } from "../test/utils/redisServer.js"
import type { AllocationResult } from "./allocation.js"
import { deleteByPattern, noGcFlags, quick, quickMark, runChild, runMain, writeResult } from "./harness.js"
import type { CallLatency, Sample, Sizes } from "./ops.js"
import { runInterleavedLatency, runListingOps, runPointOps, window60 } from "./ops.js"
import type { Environment, Results } from "./report.js"
import { checks, markdown, rows, svg } from "./report.js"
import type { MemoryResult, MemoryTarget, Shape } from "./storage.js"
import { floors, load, measureFloor, measureMemory, pastTtl, watch, wipeBench } from "./storage.js"
import type { Sessions } from "./targets.js"
import { connect, lib, raw, redisess } from "./targets.js"

const here = dirname(fileURLToPath(import.meta.url))
const log = (message: string) => process.stderr.write(`${message}\n`)

const sizes: Sizes = quick
  ? {
    reps: 1,
    inFlight: [1, 64],
    ops: (c) => (c === 1 ? 200 : 1000),
    listings: (c) => (c === 1 ? 2 : 8),
    listingReps: 1
  }
  : {
    reps: 5,
    inFlight: [1, 64],
    ops: (c) => (c === 1 ? 2000 : 10_000),
    listings: (c) => (c === 1 ? 5 : 64),
    listingReps: 3
  }
const scale = quick ? 10 : 1
const shapeA: Shape = {
  name: "10,000 users x 10 sessions, 2 fields",
  users: 10_000 / scale,
  perUser: 10,
  withFields: true
}
const shapeB: Shape = { name: "100,000 users x 1 session", users: 100_000 / scale, perUser: 1, withFields: false }
const wipeShape: Shape = { name: "wipe", users: 20_000 / scale, perUser: 10, withFields: false }

const packageVersion = (name: string): string => {
  const path = name === "effect-redisess" ? "package.json" : join("node_modules", name, "package.json")
  return (JSON.parse(readFileSync(join(here, "..", path), "utf8")) as { version: string }).version
}

const redisVersion = async (admin: Redis): Promise<string> =>
  /redis_version:(\S+)/.exec(await admin.info("server"))?.[1] ?? "unknown"

const main = async () => {
  const started = performance.now()
  const loadBefore = loadavg()
  const sharedUrl = process.env.REDIS_URL
  const server = sharedUrl === undefined ? await startRedisServer() : undefined
  const url = sharedUrl ?? server!.url
  const suffix = sharedUrl === undefined ? "" : `-${randomBytes(4).toString("hex")}`
  const ns = (name: string) => `bench-${name}${suffix}`
  const admin = await connect(url)
  /** Empties what a phase wrote: FLUSHALL on the private server, the namespaces' keys on a shared one. */
  const clean = async (...namespaces: ReadonlyArray<string>) => {
    if (sharedUrl === undefined) {
      await admin.flushall()
      return
    }
    for (const n of namespaces) {
      await deleteByPattern(admin, `{${n}}:*`)
      await deleteByPattern(admin, `${n}:*`)
    }
  }
  try {
    log(`Redis: ${sharedUrl === undefined ? `private redis-server at ${url}` : "REDIS_URL"}`)
    await clean()
    const samples: Array<Sample> = []
    const latency: Array<CallLatency> = []

    log("Point operations")
    {
      const r = await raw(url, ns("raw"), ns("ops"))
      const l = await lib(url, ns("ops"))
      const s = await redisess(url, ns("ops-rs"))
      samples.push(...(await runPointOps(sizes, { raw: r, lib: l, redisess: s }, admin)))
      log("Latency at 1 in flight, calls interleaved")
      latency.push(...(await runInterleavedLatency(quick ? 300 : 10_000, quick ? 3 : 5, { raw: r, lib: l })))
      await Promise.all([r.close(), l.close(), s.close()])
      await clean(ns("raw"), ns("ops"), ns("ops-rs"))
    }

    log("Node heap allocated per operation (child process, no GC inside a batch)")
    const allocationCounts = quick ? [100, 10_000] : [1_000, 100_000]
    const allocation = runChild<Array<AllocationResult>>(join(here, "allocation.ts"), [
      url,
      ns("alloc"),
      allocationCounts.join(",")
    ], noGcFlags)
    await clean(...allocationCounts.map((n) => `${ns("alloc")}-${n}`))

    const memory: Array<MemoryResult> = []
    for (const shape of [shapeA, shapeB]) {
      log(`Memory: ${shape.name}`)
      const withFields = shape.withFields
      const measured: ReadonlyArray<readonly [MemoryTarget, string, (n: string) => Promise<Sessions>]> = [
        ["lib", ns("mem"), (n) => lib(url, n, { withFields })],
        ["redisess", ns("mem-rs"), (n) => redisess(url, n, { withFields })],
        ["lib, nativeTtl: false", ns("mem-lean"), (n) => lib(url, n, { withFields, nativeTtl: false })]
      ]
      // every phase empties what it wrote when it ends, so each measurement starts on an empty server
      for (const [target, namespace, make] of measured) {
        const sessions = await make(namespace)
        memory.push(await measureMemory(admin, sessions, target, namespace, shape))
        await sessions.close()
        await clean(namespace)
      }
      for (const floor of floors) {
        memory.push(await measureFloor(admin, floor, ns("floor"), shape))
        await clean(ns("floor"))
      }
    }

    log(`Listings on ${shapeA.name}`)
    const listingStalls = await (async () => {
      const l = await lib(url, ns("memA"), { withFields: true })
      const s = await redisess(url, ns("memA-rs"), { withFields: true })
      await load(l, shapeA)
      await load(s, shapeA)
      const window = window60(Date.now())
      const r = await raw(url, ns("raw"), ns("memA"))
      samples.push(...(await runListingOps(sizes, window, { raw: r, lib: l, redisess: s }, admin)))
      const useSlowlog = sharedUrl === undefined
      const libStall = await watch(
        url,
        admin,
        useSlowlog,
        "lib getAllSessions(60)",
        async () => (await l.getAllSessions(window())).length
      )
      const rsStall = await watch(
        url,
        admin,
        useSlowlog,
        "redisess getAllSessions(60)",
        async () => (await s.getAllSessions(window())).length
      )
      await Promise.all([r.close(), l.close(), s.close()])
      const loaded = shapeA.users * shapeA.perUser
      for (const stall of [libStall, rsStall]) {
        if (stall.items !== loaded) throw new Error(`${stall.what} listed ${stall.items} sessions of ${loaded}`)
      }
      await clean(ns("memA"), ns("memA-rs"), ns("raw"))
      return { lib: libStall, redisess: rsStall, pages: Math.ceil(libStall.items / 1000) }
    })()

    log(`Wipe: ${wipeShape.users * wipeShape.perUser} expired sessions`)
    const wipe = await (async () => {
      const l = await lib(url, ns("wipe"), { movableClock: true })
      // warm the wipe path once on a few sessions, so the measured run is not the first
      await load(l, { ...wipeShape, users: 100, perUser: 1 })
      await pastTtl(l, () => l.wipe())
      const { loadSeconds, stall } = await wipeBench(url, admin, sharedUrl === undefined, l, wipeShape)
      await l.close()
      const [, leftKeys] = await admin.scan("0", "MATCH", `{${ns("wipe")}}:*`, "COUNT", "100000")
      const keysLeft = await deleteByPattern(admin, `{${ns("wipe")}}:*`)
      if (keysLeft > 0) log(`  keys left after the wipe: ${leftKeys.slice(0, 5).join(", ")}`)
      await clean(ns("wipe"))
      return { loadSeconds, stall, keysLeft }
    })()

    const env: Environment = {
      date: new Date().toISOString(),
      commit: execSync("git rev-parse --short HEAD", { cwd: here }).toString().trim(),
      cpus: `${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}`,
      memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
      node: process.version,
      redis: await redisVersion(admin),
      server: sharedUrl === undefined ? "private redis-server started by the benchmark" : "REDIS_URL",
      packages: Object.fromEntries(
        ["effect-redisess", "effect", "ioredis", "redisess", "tsx"].map((name) => [name, packageVersion(name)])
      ),
      sizes: `${sizes.reps} repetitions (listings: ${sizes.listingReps}), +1 warm-up, at ${
        sizes.inFlight.join(" and ")
      } in flight; ${
        sizes.inFlight.map((c) => `${sizes.ops(c)} ops / ${sizes.listings(c)} listings per run at ${c}`).join(", ")
      }${quickMark}`,
      totalSeconds: (performance.now() - started) / 1000,
      loadAverage: `${loadBefore.map((x) => x.toFixed(2)).join(" ")} at the start, ${
        loadavg().map((x) => x.toFixed(2)).join(" ")
      } at the end (1, 5, 15 min)`
    }
    const results: Results = { env, samples, latency, memory, wipe, listingStalls, allocation }
    const page = writeResult("latest.md", markdown(results))
    writeResult("latest.svg", svg(results))
    writeResult("latest.json", JSON.stringify(results, null, 2) + "\n")
    const table = rows(samples)
    for (const c of checks(results, table)) log(`${c.met ? "met " : "MISS"}  ${c.target}: ${c.measured}`)
    log(`Wrote ${page} and latest.svg (${Math.round(env.totalSeconds)} s)`)
  } finally {
    await admin.quit().catch(() => undefined)
    await server?.stop()
  }
}

runMain(main)
