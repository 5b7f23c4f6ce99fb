/**
 * The library as its users run it: compiled by `tsc` (the project's settings), loaded from that
 * output. Not the sources through tsx: its transform keeps function names by a call per closure
 * made (esbuild's `keepNames`), a cost on every operation that the published package does not
 * have, while redisess, express and Effect run as published. `src`, `examples` and the HTTP
 * benchmark's servers (`bench/http`) are compiled (a few seconds) into `node_modules/.cache`, away
 * from `dist/`, once for each state of their files.
 */
import { execFileSync } from "node:child_process"
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import type * as IdsModule from "../src/internal/ids.js"
import type * as HashReadsModule from "../src/internal/redis/hashReads.js"
import type * as StoreModule from "../src/internal/redis/store.js"
import type * as PromiseApiModule from "../src/PromiseApi.js"
import type * as RedisLayerModule from "../src/RedisLayer.js"
import type * as SessionModule from "../src/Session.js"
import type * as SessionManagerModule from "../src/SessionManager.js"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const cache = join(root, "node_modules", ".cache", "effect-redisess-bench")
const sources = ["src", "examples", join("bench", "http")]

/** The newest modification time of the files under `dir`, ms. */
const newest = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce((latest, entry) => {
    const path = join(dir, entry.name)
    return Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs)
  }, 0)

/**
 * The output for the sources as they are: named after their newest modification time, compiled
 * into a directory of this process's own and renamed into place, so that processes starting
 * together (a benchmark's children, two test files) never see a half-written one.
 */
const out = join(cache, `build-${Math.round(Math.max(...sources.map((dir) => newest(join(root, dir)))))}`)

if (!existsSync(out)) {
  const own = `${out}.${process.pid}`
  mkdirSync(own, { recursive: true })
  const back = (path: string) => join("..", "..", "..", "..", path)
  writeFileSync(
    join(own, "tsconfig.json"),
    JSON.stringify({
      extends: back("tsconfig.json"),
      compilerOptions: { noEmit: false, outDir: ".", rootDir: back("."), sourceMap: false, plugins: [] },
      include: sources.map(back)
    })
  )
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc")
  execFileSync(process.execPath, [tsc, "-p", join(own, "tsconfig.json")], { cwd: root, stdio: "inherit" })
  cpSync(join(root, "src", "internal", "redis", "lua"), join(own, "src", "internal", "redis", "lua"), {
    recursive: true
  })
  try {
    renameSync(own, out)
  } catch {
    rmSync(own, { recursive: true, force: true }) // another process put the same output in place first
  }
  // earlier outputs, an hour old: no benchmark still runs from them
  for (const entry of readdirSync(cache)) {
    const path = join(cache, entry)
    if (path !== out && statSync(path).mtimeMs < Date.now() - 3_600_000) rmSync(path, { recursive: true, force: true })
  }
}

/** The compiled file of a source (`src/RedisLayer.ts` -> `.../src/RedisLayer.js`), to import or run. */
export const compiled = (source: string): string => join(out, source.replace(/\.ts$/, ".js"))

const load = <A>(source: string): Promise<A> => import(pathToFileURL(compiled(source)).href) as Promise<A>

/** `src/RedisLayer.ts`, compiled. */
export const RedisLayer = await load<typeof RedisLayerModule>("src/RedisLayer.ts")
/** `src/SessionManager.ts`, compiled. */
export const SessionManager = await load<typeof SessionManagerModule>("src/SessionManager.ts")
/** `src/PromiseApi.ts`, compiled. */
export const PromiseApi = await load<typeof PromiseApiModule>("src/PromiseApi.ts")
/** `src/Session.ts`, compiled. */
export const Session = await load<typeof SessionModule>("src/Session.ts")
/**
 * Internals, compiled, for the bench's bare read path (`targets.ts`): the library's plain reads,
 * ids and the store's judgement of a read, called without Effect.
 */
export const internals = {
  HashReads: await load<typeof HashReadsModule>("src/internal/redis/hashReads.ts"),
  Ids: await load<typeof IdsModule>("src/internal/ids.ts"),
  Store: await load<typeof StoreModule>("src/internal/redis/store.ts")
}
