/**
 * Where the tests' own Redis processes come from: `redis-server` and `redis-cli` from PATH, or,
 * where they are not installed, a Docker image (`REDIS_IMAGE`, default `redis:7-alpine`) run on the
 * host's network, so that a containerised server listens on a loopback port exactly as a local
 * process would (clusters and sentinels announce 127.0.0.1 and find each other). Set
 * `REDIS_TEST_RUNTIME=docker` to use Docker even where the binaries are installed.
 */
import { execFile, spawn, spawnSync } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import { promisify } from "node:util"

const execFileAsync = promisify(execFile)

/** How this machine runs Redis processes for tests. */
export type Runtime =
  | { readonly kind: "local" }
  | { readonly kind: "docker"; readonly image: string }
  | { readonly kind: "none"; readonly why: string }

/** The image Docker runs: `REDIS_IMAGE`, or an official Redis image. */
export const redisImage = (): string => process.env.REDIS_IMAGE || "redis:7-alpine"

const works = (command: string, args: ReadonlyArray<string>) => {
  const result = spawnSync(command, args, { stdio: "ignore", timeout: 10_000 })
  return result.error === undefined && result.status === 0
}

let chosen: Runtime | undefined

/** The runtime, chosen once per process. */
export const runtime = (): Runtime => {
  if (chosen !== undefined) return chosen
  const forced = process.env.REDIS_TEST_RUNTIME
  if (forced !== "docker" && works("redis-server", ["--version"]) && works("redis-cli", ["--version"])) {
    chosen = { kind: "local" }
  } else if (works("docker", ["version"])) {
    chosen = { kind: "docker", image: redisImage() }
  } else {
    chosen = {
      kind: "none",
      why: "neither redis-server and redis-cli on PATH nor a working docker (install redis-server, or start Docker)"
    }
  }
  return chosen
}

let counter = 0

/** A Redis process: `redis-server` with `args`, files only under `dirs` (mounted at the same paths). */
export const spawnRedisServer = (
  args: ReadonlyArray<string>,
  dirs: ReadonlyArray<string>
): { readonly child: ChildProcess; readonly kill: (signal: NodeJS.Signals) => void } => {
  const current = runtime()
  if (current.kind === "none") throw new Error(`No way to start redis-server: ${current.why}`)
  if (current.kind === "local") {
    const child = spawn("redis-server", [...args], { stdio: ["ignore", "ignore", "pipe"] })
    return { child, kill: (signal) => child.kill(signal) }
  }
  const name = `effect-redisess-test-${process.pid}-${Date.now().toString(36)}-${counter++}`
  const child = spawn(
    "docker",
    [
      "run",
      "--rm",
      "--network",
      "host",
      "--name",
      name,
      "--label",
      "effect-redisess-test=1",
      ...dirs.flatMap((dir) => ["-v", `${dir}:${dir}`]),
      current.image,
      "redis-server",
      ...args
    ],
    { stdio: ["ignore", "ignore", "pipe"] }
  )
  return {
    child,
    // the docker client exits when the container does
    kill: (signal) => {
      spawnSync("docker", ["kill", "--signal", signal, name], { stdio: "ignore", timeout: 10_000 })
    }
  }
}

/** Runs `redis-cli` with `args` (on the host's network in Docker), resolving with what it printed. */
export const redisCli = async (args: ReadonlyArray<string>): Promise<{ readonly stdout: string }> => {
  const current = runtime()
  if (current.kind === "none") throw new Error(`No way to run redis-cli: ${current.why}`)
  return current.kind === "local"
    ? execFileAsync("redis-cli", [...args])
    : execFileAsync("docker", ["run", "--rm", "--network", "host", current.image, "redis-cli", ...args])
}
