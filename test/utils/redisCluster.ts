/**
 * A local Redis Cluster for tests, from `redis-server` and `redis-cli` on free loopback ports (or
 * their Docker image, see `redisRuntime.ts`), torn down by signal.
 */
import * as Effect from "effect/Effect"
import { Cluster, Redis } from "ioredis"
import { redisCli } from "./redisRuntime.js"
import { startClusterNode } from "./redisServer.js"
import type { RedisServer } from "./redisServer.js"

/** A running cluster. */
export interface RedisCluster {
  readonly nodes: ReadonlyArray<RedisServer>
  /** Seed nodes for an ioredis `Cluster`. */
  readonly startupNodes: ReadonlyArray<{ readonly host: string; readonly port: number }>
  readonly stop: () => Promise<void>
}

const clusterArgs = [
  "--cluster-enabled",
  "yes",
  "--cluster-config-file",
  "nodes.conf",
  "--cluster-node-timeout",
  "1000",
  "--repl-diskless-sync-delay",
  "0"
]

const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** Starts `masters` masters with `replicas` replicas each and forms a cluster (about 2 s). */
export const startCluster = async (masters = 3, replicas = 0): Promise<RedisCluster> => {
  const nodes: Array<RedisServer> = []
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()))
  }
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) nodes.push(await startClusterNode(clusterArgs))
    await redisCli([
      "--cluster",
      "create",
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      "--cluster-replicas",
      String(replicas),
      "--cluster-yes"
    ])
    await waitFor("cluster_state:ok on every node", async () => {
      const states = await Promise.all(nodes.map((node) => clusterState(node.port)))
      return states.every((state) => state === "ok")
    })
    if (replicas > 0) {
      await waitFor("every replica to sync", async () => {
        const links = await Promise.all(nodes.map((node) => replicationLink(node.port)))
        return links.filter((link) => link === "up").length === masters * replicas
      })
    }
  } catch (error) {
    await stop()
    throw error
  }
  return {
    nodes,
    startupNodes: nodes.map((node) => ({ host: "127.0.0.1", port: node.port })),
    stop
  }
}

/** A command's reply from the node on `port` (a connection of its own, closed after). */
export const nodeCall = async (port: number, command: ReadonlyArray<string>): Promise<unknown> => {
  const client = new Redis(port, "127.0.0.1", { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  client.on("error", () => {})
  try {
    await client.connect()
    return await client.call(command[0]!, ...command.slice(1))
  } finally {
    client.disconnect()
  }
}

const field = async (port: number, command: ReadonlyArray<string>, name: string): Promise<string | undefined> => {
  const reply = String(await nodeCall(port, command))
  return reply.split(/\r?\n/).find((line) => line.startsWith(`${name}:`))?.slice(name.length + 1).trim()
}

const clusterState = (port: number) => field(port, ["cluster", "info"], "cluster_state")
const replicationLink = (port: number) => field(port, ["info", "replication"], "master_link_status")

/** A cluster as a scoped resource. */
export const localCluster = (masters = 3, replicas = 0) =>
  Effect.acquireRelease(
    Effect.promise(() => startCluster(masters, replicas)),
    (cluster) => Effect.promise(() => cluster.stop())
  )

/** A connected ioredis `Cluster` client on a test cluster, quit when the scope closes. */
export const clusterClient = (cluster: RedisCluster) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const client = new Cluster([...cluster.startupNodes], { lazyConnect: true })
      client.on("error", () => {})
      await client.connect()
      return client
    }),
    (client) => Effect.promise(() => client.quit().catch(() => "closed"))
  )
