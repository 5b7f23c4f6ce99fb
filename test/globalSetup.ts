/**
 * Gives every test file a real Redis, chosen in this order:
 * 1. `REDIS_URL` when set: it must answer PING, else the run fails (no silent fallback);
 * 2. a private `redis-server` from PATH on a free loopback port;
 * 3. `@testcontainers/redis` with the image `REDIS_IMAGE` (default `redis:7-alpine`), checked with a
 *    PING like the others;
 * 4. otherwise one message that lists what was tried.
 *
 * Tests read the URL with `inject("redisUrl")`. Destructive tests (SCRIPT FLUSH, DEBUG SLEEP,
 * CLIENT PAUSE) never use it: they start private servers of their own (`utils/redisServer.ts`),
 * from PATH or, without a local Redis, as containers of the same image on the host's network.
 */
import { Redis } from "ioredis"
import type { TestProject } from "vitest/node"
import { startCluster } from "./utils/redisCluster.js"
import { redisImage, runtime } from "./utils/redisRuntime.js"
import { startRedisServer } from "./utils/redisServer.js"

declare module "vitest" {
  export interface ProvidedContext {
    /** The URL of the Redis every test file talks to. */
    redisUrl: string
    /** Seed ports of a local 3-master Redis Cluster, or empty when no Redis process can be started. */
    clusterPorts: Array<number>
  }
}

const ping = async (url: string): Promise<void> => {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false
  })
  client.on("error", () => {})
  try {
    await client.connect()
    const reply = await client.ping()
    if (reply !== "PONG") throw new Error(`PING answered ${reply}`)
  } finally {
    client.disconnect()
  }
}

/** A 3-master cluster for the conformance suite, from PATH or Docker (see `utils/redisRuntime.ts`). */
const startTestCluster = async (project: TestProject): Promise<() => Promise<void>> => {
  const where = runtime()
  if (where.kind === "none") {
    console.warn(
      `No local Redis Cluster: ${where.why}. The cluster backend and the tests of private servers are skipped.`
    )
    project.provide("clusterPorts", [])
    return async () => {}
  }
  try {
    const cluster = await startCluster(3, 0)
    project.provide("clusterPorts", cluster.nodes.map((node) => node.port))
    return cluster.stop
  } catch (error) {
    console.warn(`No local Redis Cluster (${String(error)}): the cluster backend is skipped.`)
    project.provide("clusterPorts", [])
    return async () => {}
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stopCluster = await startTestCluster(project)
  const server = await setupServer(project).catch(async (error: unknown) => {
    await stopCluster()
    throw error
  })
  return async () => {
    await Promise.all([server(), stopCluster()])
  }
}

const setupServer = async (project: TestProject): Promise<() => Promise<void>> => {
  const fromEnv = process.env.REDIS_URL
  if (fromEnv !== undefined && fromEnv !== "") {
    try {
      await ping(fromEnv)
    } catch (error) {
      throw new Error(
        `REDIS_URL is set to ${fromEnv} but that server does not answer PING (${String(error)}). ` +
          `Start it, fix the URL, or unset REDIS_URL to let the tests start a private redis-server.`
      )
    }
    project.provide("redisUrl", fromEnv)
    return async () => {}
  }

  const tried: Array<string> = []
  if (runtime().kind === "local") {
    try {
      const server = await startRedisServer()
      project.provide("redisUrl", server.url)
      return () => server.stop()
    } catch (error) {
      tried.push(`redis-server from PATH: ${String(error)}`)
    }
  } else {
    tried.push("redis-server from PATH: not installed")
  }

  const image = redisImage()
  let started: { readonly url: string; readonly port: number; readonly stop: () => Promise<unknown> } | undefined
  try {
    const { RedisContainer } = await import("@testcontainers/redis")
    const container = await new RedisContainer(image).start()
    started = { url: container.getConnectionUrl(), port: container.getPort(), stop: () => container.stop() }
  } catch (error) {
    tried.push(`testcontainers (image ${image}, from REDIS_IMAGE): ${String(error)}`)
  }
  if (started !== undefined) {
    try {
      // inside a VM with a /.dockerenv, testcontainers hands out the bridge's address, which ports
      // published on loopback do not answer: loopback is tried next
      const url = await ping(started.url).then(() => started.url, async (error: unknown) => {
        const loopback = `redis://127.0.0.1:${started.port}`
        if (loopback === started.url) throw error
        await ping(loopback)
        return loopback
      })
      project.provide("redisUrl", url)
      return async () => {
        await started.stop()
      }
    } catch (error) {
      await started.stop()
      throw new Error(
        `testcontainers started ${image} but neither ${started.url} nor loopback answers PING ` +
          `(${String(error)}). Set TESTCONTAINERS_HOST_OVERRIDE to the address Docker publishes ports on, ` +
          "or REDIS_URL to a Redis you run yourself."
      )
    }
  }

  throw new Error(
    [
      "No Redis for the tests. Tried, in order:",
      "- REDIS_URL: not set",
      ...tried.map((line) => `- ${line}`),
      "Fix one of: set REDIS_URL=redis://host:port to a running Redis 6.2+; install redis-server " +
      "(Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis); or start a container runtime."
    ].join("\n")
  )
}
