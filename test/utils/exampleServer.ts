/**
 * Runs the example server as a real process (`node --import tsx examples/server/main.ts`, what `npm start` runs)
 * on a free port, and stops it with a signal.
 */
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import { freePort } from "./redisServer.js"

/** A running example server. */
export interface ExampleServer {
  readonly url: string
  readonly port: number
  readonly child: ChildProcess
  /** Everything it printed so far (stdout and stderr). */
  readonly output: () => string
  /** Sends a signal and resolves with the exit code (null when killed by the signal). */
  readonly stop: (signal: NodeJS.Signals) => Promise<number | null>
}

const waitFor = (child: ChildProcess, output: () => string, text: string, timeoutMs: number) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`no "${text}" within ${timeoutMs} ms; output:\n${output()}`)),
      timeoutMs
    )
    const check = () => {
      if (output().includes(text)) done()
    }
    const exited = (code: number | null) => done(new Error(`exited (${code}) before "${text}"; output:\n${output()}`))
    const done = (error?: Error) => {
      clearTimeout(timer)
      child.stdout?.off("data", check)
      child.stderr?.off("data", check)
      child.off("exit", exited)
      if (error === undefined) resolve()
      else reject(error)
    }
    child.stdout?.on("data", check)
    child.stderr?.on("data", check)
    child.once("exit", exited)
    check()
  })

/**
 * Starts the example with the given environment (PORT is set to a free port) and waits until it
 * listens: through `npm start` with `viaNpm` (the pid is npm's, as a supervisor sees it), else tsx.
 */
export const startExample = async (
  env: Readonly<Record<string, string | undefined>>,
  options: { readonly viaNpm?: boolean } = {}
): Promise<ExampleServer> => {
  const port = await freePort()
  const childEnv: Record<string, string> = {}
  for (const [key, value] of Object.entries({ ...process.env, ...env, PORT: String(port) })) {
    if (value !== undefined) childEnv[key] = value
  }
  const [command, args] = options.viaNpm === true
    ? ["npm", ["start", "--silent"]] as const
    // node itself, as `npm start` runs it: tsx's own CLI would run the server in a child of its own,
    // which a SIGKILL of the CLI leaves running
    : [process.execPath, ["--import", "tsx", "examples/server/main.ts"]] as const
  const child = spawn(command, [...args], {
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"]
  })
  let text = ""
  child.stdout.on("data", (chunk: Buffer) => text += chunk.toString("utf8"))
  child.stderr.on("data", (chunk: Buffer) => text += chunk.toString("utf8"))
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
  const url = `http://localhost:${port}`
  try {
    await waitFor(child, () => text, `:${port} (`, 30_000)
  } catch (error) {
    child.kill("SIGKILL")
    throw error
  }
  return {
    url,
    port,
    child,
    output: () => text,
    stop: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exit
    }
  }
}

/** The example server as a scoped resource: SIGKILLed on release if a test left it running. */
export const exampleServer = (
  env: Readonly<Record<string, string | undefined>> = {},
  options: { readonly viaNpm?: boolean } = {}
) =>
  Effect.acquireRelease(
    Effect.promise(() => startExample(env, options)),
    (server) => Effect.promise(() => server.stop("SIGKILL"))
  )
