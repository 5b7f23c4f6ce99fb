/**
 * Private `redis-server` processes for tests: started on a free loopback port in a temp dir,
 * stopped by signal. Used by the global setup (the default test server) and by tests that need
 * servers of their own (fault tests, clusters, sentinels). From PATH, or from Docker where Redis is
 * not installed (`redisRuntime.ts`).
 */
import * as Effect from "effect/Effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { type AddressInfo, createServer, type Server, Socket } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { spawnRedisServer } from "./redisRuntime.js"

/** A running private Redis server. */
export interface RedisServer {
  readonly url: string
  readonly port: number
  /** The process started (in Docker, the client that runs the container and exits with it). */
  readonly pid: number
  readonly dir: string
  /** Kills the process (SIGKILL by default), waits for it to exit and removes its directory. */
  readonly stop: (signal?: NodeJS.Signals) => Promise<void>
}

/** Options for {@link startRedisServer}. */
export interface StartOptions {
  /** A fixed port (e.g. to restart a server on the port it had); a free one when absent. */
  readonly port?: number
  /** A fixed directory (e.g. to keep an AOF across restarts); a new temp dir when absent. */
  readonly dir?: string
  /** Extra `redis-server` arguments, appended after the defaults (so they override them). */
  readonly args?: ReadonlyArray<string>
}

/** Asks the kernel for a free loopback port. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

/** Whether a loopback port is free now (nothing listens on it). */
const isFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = createServer()
    server.unref()
    server.on("error", () => resolve(false))
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)))
  })

/**
 * A free loopback port for a Redis Cluster node: at most 55535, with its cluster bus port (10,000
 * higher) free too. A node on a higher port, or whose bus port is taken, exits at start-up.
 */
export const freeClusterPort = async (): Promise<number> => {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await freePort()
    if (port <= 55535 && (await isFree(port + 10000))) return port
  }
  throw new Error("no free port for a Redis Cluster node (and its bus port) after 100 tries")
}

/** Starts a private Redis Cluster node (`args` enable the cluster), on a port from `freeClusterPort`; tries again on a fresh port should the node exit at start-up (a port taken meanwhile). */
export const startClusterNode = async (args: ReadonlyArray<string>): Promise<RedisServer> => {
  for (let attempt = 1;; attempt++) {
    try {
      return await startRedisServer({ args, port: await freeClusterPort() })
    } catch (error) {
      if (attempt >= 3) throw error
    }
  }
}

/** A loopback TCP port that accepts connections and never answers (they are dropped when it closes). */
export const silentPort = Effect.acquireRelease(
  Effect.promise(() =>
    new Promise<{ readonly server: Server; readonly sockets: Set<Socket> }>((resolve) => {
      const sockets = new Set<Socket>()
      const server = createServer((socket) => {
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
      })
      server.listen(0, "127.0.0.1", () => resolve({ server, sockets }))
    })
  ),
  ({ server, sockets }) =>
    Effect.promise(() =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
    )
).pipe(Effect.map(({ server }) => (server.address() as AddressInfo).port))

/** Sends one inline command and resolves with the first reply line, or rejects. */
export const rawCommand = (port: number, command: string, timeoutMs = 1000): Promise<string> =>
  new Promise((resolve, reject) => {
    const socket = new Socket()
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no reply from 127.0.0.1:${port} within ${timeoutMs} ms`))
    }, timeoutMs)
    let buffer = ""
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8")
      const end = buffer.indexOf("\r\n")
      if (end >= 0) {
        clearTimeout(timer)
        socket.destroy()
        resolve(buffer.slice(0, end))
      }
    })
    socket.on("error", (error) => {
      clearTimeout(timer)
      reject(error)
    })
    socket.connect(port, "127.0.0.1", () => socket.write(`${command}\r\n`))
  })

const waitForPing = async (port: number, exited: () => boolean, deadlineMs: number): Promise<void> => {
  const deadline = Date.now() + deadlineMs
  let lastError: unknown = undefined
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`redis-server on port ${port} exited during start-up`)
    try {
      const reply = await rawCommand(port, "PING", 200)
      if (reply === "+PONG" || reply.startsWith("-NOAUTH")) return // answering (a password is set)
    } catch (error) {
      lastError = error
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${deadlineMs} ms: ${String(lastError)}`)
}

/** Starts a private `redis-server` that keeps nothing on disk unless `args` say otherwise. */
export const startRedisServer = async (options: StartOptions = {}): Promise<RedisServer> => {
  const port = options.port ?? (await freePort())
  const ownsDir = options.dir === undefined
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "effect-redisess-redis-"))
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--enable-debug-command",
    "local",
    "--dir",
    dir,
    "--daemonize",
    "no",
    "--logfile",
    "",
    "--loglevel",
    "warning",
    ...(options.args ?? [])
  ]
  const { child, kill } = spawnRedisServer(args, [dir])
  let exited = false
  const exit = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true
      resolve()
    })
  })
  const spawnError = new Promise<never>((_, reject) => child.once("error", reject))
  try {
    await Promise.race([waitForPing(port, () => exited, 20_000), spawnError])
  } catch (error) {
    kill("SIGKILL")
    if (ownsDir) rmSync(dir, { recursive: true, force: true })
    throw error
  }
  const pid = child.pid ?? 0
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid,
    dir,
    stop: async (signal = "SIGKILL") => {
      if (!exited) {
        kill(signal)
        await exit
      }
      if (ownsDir) rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** A private server as a scoped resource: stopped by pid when the scope closes. */
export const privateRedisServer = (options: StartOptions = {}) =>
  Effect.acquireRelease(
    Effect.promise(() => startRedisServer(options)),
    (server) => Effect.promise(() => server.stop())
  )

/** A running Redis Sentinel. */
export interface Sentinel {
  readonly port: number
  readonly pid: number
  readonly stop: () => Promise<void>
}

/** Starts a Sentinel (the same `redis-server` binary) monitoring `masterName` at `masterPort`. */
export const startSentinel = async (masterName: string, masterPort: number): Promise<Sentinel> => {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), "effect-redisess-sentinel-"))
  const config = join(dir, "sentinel.conf")
  writeFileSync(
    config,
    [
      `port ${port}`,
      "bind 127.0.0.1",
      `dir ${dir}`,
      `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 2`,
      `sentinel down-after-milliseconds ${masterName} 1000`,
      `sentinel failover-timeout ${masterName} 3000`,
      `sentinel parallel-syncs ${masterName} 1`,
      ""
    ].join("\n")
  )
  const { child, kill } = spawnRedisServer([config, "--sentinel"], [dir])
  let exited = false
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true
      resolve()
    })
  )
  try {
    await waitForPing(port, () => exited, 20_000)
  } catch (error) {
    kill("SIGKILL")
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  const pid = child.pid ?? 0
  return {
    port,
    pid,
    stop: async () => {
      if (!exited) {
        kill("SIGKILL")
        await exit
      }
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
