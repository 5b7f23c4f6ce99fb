/**
 * The package as a user gets it: `npm pack` of this checkout (which builds `dist/`), installed with
 * its peers into an empty project (the newest and the lowest versions the peer ranges allow, ioredis
 * 5 included), then another package installed after it. The public entry points load by `import`
 * and by `require`, a session round-trips through the packed code in memory and on the test Redis
 * (its Lua files included), and no internal module can be imported.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { inject } from "vitest"

const exec = promisify(execFile)
const root = join(import.meta.dirname, "..")
const npm = (args: ReadonlyArray<string>, cwd: string) =>
  exec("npm", [...args, "--no-audit", "--no-fund", "--prefer-offline"], { cwd, maxBuffer: 16 * 1024 * 1024 })

const consumer = `
import { Effect, Layer } from "effect"
import { PromiseApi, RedisLayer, SessionManager } from "effect-redisess"
import * as Http from "effect-redisess/Http"
import { createRequire } from "node:module"

const program = Effect.gen(function*() {
  const sm = yield* SessionManager.SessionManager
  const created = yield* sm.create("alice")
  return (yield* sm.get(created.token)).userId
})
const run = (redis) =>
  Effect.runPromise(Effect.scoped(program.pipe(
    Effect.provide(SessionManager.layer({ namespace: "packed-" + process.pid, wipeInterval: 0 }).pipe(Layer.provide(redis)))
  )))
const user = await run(RedisLayer.layerMemory)
const onRedis = await run(RedisLayer.layerConfig())
// promise callers: reads made together run as one program
const sessions = await PromiseApi.fromLayer(
  SessionManager.layer({ namespace: "packed-p-" + process.pid, wipeInterval: 0 }).pipe(Layer.provide(RedisLayer.layerConfig()))
)
const made = await Promise.all(["p1", "p2", "p3", "p4"].map((user) => sessions.create(user)))
await sessions.kill(made[3].sessionId)
const promised = await Promise.all(made.map((session) => sessions.exists(session.token)))
await sessions.close()
const required = createRequire(import.meta.url)("effect-redisess")
let internal = "importable"
try {
  await import("effect-redisess/internal/ids.js")
} catch (error) {
  internal = error.code
}
console.log(JSON.stringify({ user, onRedis, promised, http: typeof Http.middleware, required: Object.keys(required).sort(), internal }))
`

/** Installs the tarball with these peers into a new project, then another package, and runs the consumer. */
const installAndRun = async (dir: string, tarball: string, name: string, peers: ReadonlyArray<string>) => {
  const app = join(dir, name)
  await exec("mkdir", [app])
  writeFileSync(join(app, "package.json"), JSON.stringify({ name, private: true, type: "module" }))
  await npm(["install", tarball, ...peers], app)
  // the next install of anything works, and the tree is consistent
  await npm(["install", "ms@2"], app)
  await npm(["ls"], app)
  writeFileSync(join(app, "main.mjs"), consumer)
  const run = await exec("node", ["main.mjs"], { cwd: app, env: { ...process.env, REDIS_URL: inject("redisUrl") } })
  return JSON.parse(run.stdout.trim()) as Record<string, unknown>
}

describe("the packed package", () => {
  it.live(
    "installs with its peers (newest and lowest), lets the next install through, loads by import and require, hides internals",
    () =>
      Effect.acquireUseRelease(
        Effect.sync(() => mkdtempSync(join(tmpdir(), "effect-redisess-pack-"))),
        (dir) =>
          Effect.promise(async () => {
            const { stdout } = await npm(["pack", "--pack-destination", dir, "--json"], root)
            const tarball = join(dir, (JSON.parse(stdout) as Array<{ filename: string }>)[0]!.filename)
            const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
              readonly devDependencies: Record<string, string>
            }
            const dev = pkg.devDependencies
            return [
              await installAndRun(dir, tarball, "newest", [
                `effect@${dev.effect}`,
                `ioredis@${dev.ioredis}`,
                `@effect/platform@${dev["@effect/platform"]}`
              ]),
              // the lower end of each peer range
              await installAndRun(dir, tarball, "lowest", ["effect@3.22.0", "ioredis@5.4.0", "@effect/platform@0.97.0"])
            ]
          }),
        (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
      ).pipe(Effect.map((results) => {
        for (const result of results) {
          assert.strictEqual(result.user, "alice")
          assert.strictEqual(result.onRedis, "alice")
          assert.deepStrictEqual(result.promised, [true, true, true, false])
          assert.strictEqual(result.http, "function")
          assert.deepStrictEqual(result.required, [
            "Errors",
            "PromiseApi",
            "RedisLayer",
            "Schema",
            "Session",
            "SessionData",
            "SessionManager",
            "SessionStore"
          ])
          assert.strictEqual(result.internal, "ERR_PACKAGE_PATH_NOT_EXPORTED")
        }
      })),
    { timeout: 240_000 }
  )
})
