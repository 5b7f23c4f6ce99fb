/**
 * The package as a user gets it: `npm pack` of this checkout (which builds `dist/`), installed with
 * its peers into an empty project, then another package installed after it. The public entry
 * points load by `import` and by `require`, a session round-trips through the packed code (its Lua
 * files included), and no internal module can be imported.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"

const exec = promisify(execFile)
const root = join(import.meta.dirname, "..")
const npm = (args: ReadonlyArray<string>, cwd: string) =>
  exec("npm", [...args, "--no-audit", "--no-fund", "--prefer-offline"], { cwd, maxBuffer: 16 * 1024 * 1024 })

const consumer = `
import { Effect, Layer } from "effect"
import { RedisLayer, SessionManager } from "effect-redisess"
import * as Http from "effect-redisess/Http"
import { createRequire } from "node:module"

const program = Effect.gen(function*() {
  const sm = yield* SessionManager.SessionManager
  const created = yield* sm.create("alice")
  return (yield* sm.get(created.token)).userId
})
const user = await Effect.runPromise(program.pipe(
  Effect.provide(SessionManager.layer({ namespace: "packed", wipeInterval: 0 }).pipe(Layer.provide(RedisLayer.layerMemory)))
))
const required = createRequire(import.meta.url)("effect-redisess")
let internal = "importable"
try {
  await import("effect-redisess/internal/ids.js")
} catch (error) {
  internal = error.code
}
console.log(JSON.stringify({ user, http: typeof Http.middleware, required: Object.keys(required).sort(), internal }))
`

describe("the packed package", () => {
  it.live(
    "installs with its peers, lets the next install through, loads by import and require, hides internals",
    () =>
      Effect.acquireUseRelease(
        Effect.sync(() => mkdtempSync(join(tmpdir(), "effect-redisess-pack-"))),
        (dir) =>
          Effect.promise(async () => {
            const { stdout } = await npm(["pack", "--pack-destination", dir, "--json"], root)
            const tarball = join(dir, (JSON.parse(stdout) as Array<{ filename: string }>)[0]!.filename)
            const app = join(dir, "app")
            await exec("mkdir", [app])
            writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }))
            const peers = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).devDependencies as Record<
              string,
              string
            >
            await npm(
              [
                "install",
                tarball,
                `effect@${peers.effect}`,
                `ioredis@${peers.ioredis}`,
                `@effect/platform@${peers["@effect/platform"]}`
              ],
              app
            )
            // the next install of anything works, and the tree is consistent
            await npm(["install", "ms@2"], app)
            await npm(["ls"], app)
            writeFileSync(join(app, "main.mjs"), consumer)
            const run = await exec("node", ["main.mjs"], { cwd: app })
            return JSON.parse(run.stdout.trim()) as Record<string, unknown>
          }),
        (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
      ).pipe(Effect.map((result) => {
        assert.strictEqual(result.user, "alice")
        assert.strictEqual(result.http, "function")
        assert.deepStrictEqual(result.required, [
          "Errors",
          "RedisLayer",
          "Schema",
          "Session",
          "SessionData",
          "SessionManager",
          "SessionStore"
        ])
        assert.strictEqual(result.internal, "ERR_PACKAGE_PATH_NOT_EXPORTED")
      })),
    { timeout: 180_000 }
  )
})
