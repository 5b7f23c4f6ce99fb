/**
 * The layering of `src/` (docs/architecture.md): imports run one way, the store port knows no
 * driver, and the manager knows nothing of Redis.
 */
import { assert, describe, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const src = resolve(dirname(fileURLToPath(import.meta.url)), "../src")

const files = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? files(join(dir, entry.name))
      : entry.name.endsWith(".ts")
      ? [relative(src, join(dir, entry.name))]
      : []
  )

/** What a module imports (type-only imports too): `src/`-relative paths, or package names. */
const importsOf = (file: string): Array<string> =>
  [...readFileSync(join(src, file), "utf8").matchAll(/^(?:import|export)\s[^;]*?from\s+"([^"]+)"/gm)].map((m) =>
    m[1]!.startsWith(".") ? relative(src, resolve(dirname(join(src, file)), m[1]!.replace(/\.js$/, ".ts"))) : m[1]!
  )

const graph = new Map(files(src).map((file) => [file, importsOf(file)]))

/** Every module `file` reaches through imports. */
const reach = (file: string, seen = new Set<string>()): Set<string> => {
  for (const next of graph.get(file) ?? []) {
    if (!seen.has(next)) {
      seen.add(next)
      reach(next, seen)
    }
  }
  return seen
}

describe("architecture", () => {
  it("src has no import circle", () => {
    assert.isAbove(graph.size, 10)
    const circles = [...graph.keys()].filter((file) => reach(file).has(file))
    assert.deepStrictEqual(circles, [])
  })

  it("the store port imports no driver and no ioredis", () => {
    const reached = [...reach("SessionStore.ts")]
    assert.deepStrictEqual(reached.filter((m) => m.startsWith("internal/") || m === "ioredis"), [])
  })

  it("the manager reaches nothing of the Redis driver (keys, scripts, format, ioredis)", () => {
    for (const file of ["SessionManager.ts", "Session.ts", "internal/dataOps.ts"]) {
      const reached = [...reach(file)]
      assert.deepStrictEqual(
        reached.filter((m) => m.startsWith("internal/redis/") || m === "ioredis" || m === "RedisLayer.ts"),
        [],
        file
      )
    }
  })

  it("only the Redis driver spells the storage format", () => {
    const users = [...graph].filter(([, imports]) => imports.includes("internal/redis/format.ts")).map(([f]) => f)
    assert.deepStrictEqual(users.filter((file) => !file.startsWith("internal/redis/")), [])
  })
})
