/**
 * The benchmark's server processes: each server runs in a child Node process of its own that prints `ready <port>` on stdout once it listens, and answers `"cpu"` on its IPC
 * channel with its own `process.cpuUsage()`, so that the parent can measure the server's CPU time per
 * request. Stopped with SIGTERM (SIGKILL if it does not exit within 5 s).
 */
import { spawn } from "node:child_process"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

/** A server running in a child process. */
export interface ServerProcess {
  readonly origin: string
  readonly pid: number
  /** The child's CPU time so far (user + system, all threads), seconds. */
  readonly cpuSeconds: () => Promise<number>
  readonly stop: () => Promise<void>
}

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..")

/**
 * In a server process: answers the parent's `"cpu"` messages with this process's CPU time. A no-op
 * without an IPC channel (the server started by hand).
 */
export const serveCpuUsage = (): void => {
  if (process.send === undefined) return
  process.on("message", (message: unknown) => {
    if (message === "cpu") process.send?.({ cpu: process.cpuUsage() })
  })
}

/** In a server process: tells the parent it listens on `port`. */
export const announceReady = (port: number): void => {
  process.stdout.write(`ready ${port}\n`)
}

/**
 * Runs `node script` (a JavaScript file, or with `--import tsx` a TypeScript one; relative paths from
 * the project folder) with `env` added to ours, and resolves once it printed `ready <port>`; its
 * later stdout goes to our stderr, prefixed with `name`, and its stderr to ours.
 */
export const startServer = (
  name: string,
  script: string,
  env: Readonly<Record<string, string>>,
  timeoutMs = 60_000
): Promise<ServerProcess> =>
  new Promise((resolve, reject) => {
    const flags = script.endsWith(".ts") ? ["--import", "tsx"] : []
    const child = spawn(process.execPath, [...flags, script], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit", "ipc"]
    })
    let exited = false
    const exit = new Promise<void>((done) =>
      child.once("exit", () => {
        exited = true
        done()
      })
    )
    let ready = false
    let buffer = ""
    const timer = setTimeout(() => fail(`did not print "ready" within ${timeoutMs} ms`), timeoutMs)
    const fail = (why: string) => {
      if (ready) return
      ready = true // settled
      clearTimeout(timer)
      child.kill("SIGKILL")
      reject(new Error(`${name} (${script}) ${why}; its output: ${buffer.trim().slice(0, 500)}`))
    }
    child.once("error", (error) => fail(`could not start: ${error.message}`))
    void exit.then(() => fail("exited during start-up"))
    child.stdout?.on("data", (chunk: Buffer) => {
      if (ready) {
        process.stderr.write(`[${name}] ${chunk.toString("utf8")}`)
        return
      }
      buffer += chunk.toString("utf8")
      const match = /^ready (\d+)$/m.exec(buffer)
      if (match === null) return
      ready = true
      clearTimeout(timer)
      const rest = buffer.replace(match[0], "").trim()
      if (rest !== "") process.stderr.write(`[${name}] ${rest}\n`)
      resolve({
        origin: `http://127.0.0.1:${match[1]}`,
        pid: child.pid ?? 0,
        cpuSeconds: () =>
          new Promise((done, failed) => {
            const onMessage = (message: unknown) => {
              const cpu = (message as { cpu?: NodeJS.CpuUsage }).cpu
              if (cpu === undefined) return
              child.off("message", onMessage)
              done((cpu.user + cpu.system) / 1e6)
            }
            child.on("message", onMessage)
            if (!child.send("cpu")) failed(new Error(`${name}: its IPC channel is closed`))
          }),
        stop: async () => {
          if (exited) return
          child.kill("SIGTERM")
          const killer = setTimeout(() => child.kill("SIGKILL"), 5000)
          await exit
          clearTimeout(killer)
        }
      })
    })
  })
