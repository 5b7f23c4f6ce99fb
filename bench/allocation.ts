/**
 * Node heap allocated per operation, with few and with many sessions present: the "no
 * per-operation allocation that grows with the number of sessions". Run by `bench/run.ts` in a
 * child process started with `--expose-gc` and a 256 MB young generation, so that no garbage
 * collection runs inside a measured batch: the heap's growth over the batch is then what the
 * batch allocated (garbage included). Batches during which a collection ran anyway are reported.
 *
 * Usage: node --expose-gc --min-semi-space-size=256 --max-semi-space-size=256 --import tsx \
 *   bench/allocation.ts <redis url> <namespace prefix> <session counts, e.g. 1000,100000>
 * Prints one JSON line: Array<AllocationResult>. Namespaces are `<prefix>-<count>`; the caller deletes them.
 */
import { PerformanceObserver } from "node:perf_hooks"
import { keyspace } from "../src/internal/redis/keys.js"
import { runConcurrent, runMain } from "./harness.js"
import { connect, lib } from "./targets.js"

/** Bytes allocated per operation, one operation at a time, with `sessions` sessions present. */
export interface AllocationResult {
  readonly op: string
  readonly sessions: number
  readonly bytesPerOp: number
  /** Garbage collections that ran during the measured batch (0 expected). */
  readonly gcs: number
}

const gc = (globalThis as { gc?: () => void }).gc

let collections = 0
new PerformanceObserver((list) => {
  collections += list.getEntries().length
}).observe({ entryTypes: ["gc"] })

/** Lets the GC observer's entries arrive: they are delivered on a later turn of the event loop. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20))

const measure = async (n: number, run: (i: number) => Promise<unknown>): Promise<readonly [number, number]> => {
  for (let i = 0; i < 200; i++) await run(i) // warm
  gc?.()
  await settle()
  const before = process.memoryUsage().heapUsed
  const gcsBefore = collections
  for (let i = 0; i < n; i++) await run(i)
  const after = process.memoryUsage().heapUsed
  await settle()
  return [(after - before) / n, collections - gcsBefore]
}

const main = async () => {
  const [url, prefix, counts] = process.argv.slice(2)
  if (url === undefined || prefix === undefined || counts === undefined || gc === undefined) {
    throw new Error("usage: node --expose-gc --import tsx bench/allocation.ts <url> <prefix> <counts>")
  }
  const results: Array<AllocationResult> = []
  for (const sessions of counts.split(",").map(Number)) {
    const namespace = `${prefix}-${sessions}`
    const l = await lib(url, namespace)
    const client = await connect(url)
    const ks = keyspace(namespace)
    const ids: Array<string> = new Array<string>(sessions)
    await runConcurrent(sessions, 256, async (i) => {
      ids[i] = await l.create(`user-${i % (sessions / 10)}`)
    })
    const n = 2000
    const ops: ReadonlyArray<readonly [string, (i: number) => Promise<unknown>]> = [
      // for scale: a raw ioredis call, and the same through the Effect edge alone
      ["HGETALL, raw ioredis", (i) => client.hgetall(ks.session(ids[i % sessions]!))],
      ["HGETALL through the edge", (i) => l.edge(() => client.hgetall(ks.session(ids[i % sessions]!)))],
      ["get (update)", (i) => l.get(ids[i % sessions]!, false)],
      ["get (noUpdate)", (i) => l.get(ids[i % sessions]!, true)],
      ["exists", (i) => l.exists(ids[i % sessions]!)],
      ["count()", () => l.count()],
      ["count(60)", () => l.count(60)],
      ["create", (i) => l.create(`alloc-${i}`)]
    ]
    for (const [op, run] of ops) {
      const [bytesPerOp, gcs] = await measure(n, run)
      results.push({ op, sessions, bytesPerOp, gcs })
    }
    await l.close() // the caller deletes the namespaces' keys
    await client.quit()
  }
  return results
}

runMain(main, { printResult: true })
