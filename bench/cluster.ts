/**
 * Cluster load spread: one namespace over `shards` slots of a local 3-master Redis Cluster, next to
 * the same load on one private server, in one process: a mix of creates and touching gets (script
 * calls), then `exists` (plain reads). Reports commands per master (from `INFO commandstats`),
 * throughput and Node CPU per read; writes bench/results/cluster.md (`BENCH_OUT=dir`: there instead).
 *
 * Run: npm run bench:cluster
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { Redis } from "ioredis"
import type { RedisClient } from "../src/RedisLayer.js"
import type { SessionManager as SessionManagerTag } from "../src/SessionManager.js"
import { startCluster } from "../test/utils/redisCluster.js"
import { startRedisServer } from "../test/utils/redisServer.js"
import { resultsPage, sized } from "./harness.js"
// the library compiled, as its users run it (library.ts)
import { RedisLayer, SessionManager } from "./library.js"

const shards = Number(process.env.SHARDS ?? 24)
const users = sized(2000, 200)
const operations = sized(60_000, 2_000)
const inFlight = 64

/** What one setup did: the mix's operations per second, then the reads' and their Node CPU per read (µs). */
interface Driven {
  readonly mixed: number
  readonly reads: number
  readonly readCpuUs: number
}

/** Runs `operations` calls of `operation` at `inFlight`, each through its own `runPromise`; returns calls per second. */
const timed = async (
  runtime: ManagedRuntime.ManagedRuntime<SessionManagerTag, unknown>,
  operation: (i: number) => Effect.Effect<void, unknown>
): Promise<number> => {
  let next = 0
  const start = performance.now()
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < operations) await runtime.runPromise(operation(next++))
  }))
  return operations / ((performance.now() - start) / 1000)
}

/** Runs creates and touches for `users` users at `inFlight`, then as many `exists`. */
const drive = async (redis: Layer.Layer<RedisClient, unknown>, shardCount: number): Promise<Driven> => {
  const runtime = ManagedRuntime.make(
    SessionManager.layer({ namespace: "spread", shards: shardCount, wipeInterval: 0 }).pipe(Layer.provide(redis))
  )
  const sm = await runtime.runPromise(SessionManager.SessionManager)
  const ids = await Promise.all(
    Array.from({ length: users }, (_, i) => runtime.runPromise(sm.create(`user${i}`)).then((s) => s.token))
  )
  const mixed = await timed(runtime, (i) =>
    i % 4 === 0
      ? Effect.asVoid(sm.create(`user${i % users}`))
      : Effect.asVoid(sm.get(ids[i % users]!)))
  const cpu = process.cpuUsage()
  const reads = await timed(
    runtime,
    (i) => Effect.flatMap(sm.exists(ids[i % users]!), (live) => live ? Effect.void : Effect.die("a session is gone"))
  )
  const used = process.cpuUsage(cpu)
  await runtime.dispose()
  return { mixed, reads, readCpuUs: (used.user + used.system) / operations }
}

/** A master's script calls and plain reads (`HMGET`s; those inside scripts counted too). */
const commandCalls = async (port: number): Promise<{ readonly scripts: number; readonly hmgets: number }> => {
  const client = new Redis(port, "127.0.0.1")
  const stats = await client.info("commandstats")
  client.disconnect()
  const calls = (pattern: RegExp) => [...stats.matchAll(pattern)].reduce((sum, m) => sum + Number(m[2]), 0)
  return { scripts: calls(/cmdstat_(fcall|evalsha|eval):calls=(\d+)/g), hmgets: calls(/cmdstat_(hmget):calls=(\d+)/g) }
}

const main = async () => {
  const single = await startRedisServer()
  const cluster = await startCluster(3, 0)
  try {
    const singleOps = await drive(RedisLayer.layer({ url: single.url }), 1)
    const masters = cluster.nodes
    const clusterOps = await drive(RedisLayer.layer({ cluster: { nodes: cluster.startupNodes } }), shards)
    const counted = await Promise.all(masters.map((node) => commandCalls(node.port)))
    const calls = counted.map((c) => c.scripts)
    const total = calls.reduce((a, b) => a + b, 0)
    const shares = calls.map((c) => c / total)
    const hmgets = counted.map((c) => c.hmgets)
    const hmgetShares = hmgets.map((c) => c / hmgets.reduce((a, b) => a + b, 0))
    const page = resultsPage("effect-redisess on a Redis Cluster: load spread")
    const lines = [
      "",
      `3 masters on this machine, one namespace over ${shards} shards; ${users} users, ${operations} operations (1 create : 3 get), then`,
      `${operations} \`exists\` (plain reads), ${inFlight} in flight, each call through \`ManagedRuntime.runPromise\`.`,
      "",
      "| master | script calls | share | HMGETs (plain reads, and those inside scripts) | share |",
      "| --- | --: | --: | --: | --: |",
      ...masters.map((node, i) =>
        `| 127.0.0.1:${node.port} | ${calls[i]} | ${(shares[i]! * 100).toFixed(1)}% | ${hmgets[i]} | ${
          (hmgetShares[i]! * 100).toFixed(1)
        }% |`
      ),
      "",
      `Busiest master: ${(Math.max(...shares) * 100).toFixed(1)}% of the script calls (target: at most 40%).`,
      "",
      "| setup | create + get, ops/s | exists, ops/s | exists, Node CPU µs per call |",
      "| --- | --: | --: | --: |",
      `| one server, 1 shard | ${singleOps.mixed.toFixed(0)} | ${singleOps.reads.toFixed(0)} | ${
        singleOps.readCpuUs.toFixed(1)
      } |`,
      `| 3-master cluster, ${shards} shards | ${clusterOps.mixed.toFixed(0)} | ${clusterOps.reads.toFixed(0)} | ${
        clusterOps.readCpuUs.toFixed(1)
      } |`,
      "",
      "All processes share this machine's cores, so the cluster figure shows the spread and the cost of routing,",
      "not the capacity of three machines: each master here served about a third of the calls."
    ]
    for (const line of lines) page.line(line)
    page.write("cluster.md")
  } finally {
    await Promise.all([single.stop(), cluster.stop()])
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
