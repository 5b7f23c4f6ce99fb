/**
 * The library as its users run it: compiled by `tsc` (the project's settings), loaded from that
 * output. Not the sources through tsx: its transform keeps function names by a call per closure
 * made (esbuild's `keepNames`), a cost on every operation that the published package does not
 * have, while redisess, express and Effect run as published. `src`, `examples` and the HTTP
 * benchmark's servers (`bench/http`) are compiled again (a few seconds) whenever one of their files
 * is newer than the output, into `node_modules/.cache`, away from `dist/`.
 */
import { execFileSync } from "node:child_process"
import { cpSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import type * as RedisLayerModule from "../src/RedisLayer.js"
import type * as SessionModule from "../src/Session.js"
import type * as SessionManagerModule from "../src/SessionManager.js"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const out = join(root, "node_modules", ".cache", "effect-redisess-bench")
const sources = ["src", "examples", join("bench", "http")]

/** The newest modification time of the files under `dir`, ms. */
const newest = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce((latest, entry) => {
    const path = join(dir, entry.name)
    return Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs)
  }, 0)

/** The compiled file of a source (`src/RedisLayer.ts` -> `.../src/RedisLayer.js`), to import or run. */
export const compiled = (source: string): string => join(out, source.replace(/\.ts$/, ".js"))

const marker = compiled("src/index.ts")
const stale = () =>
  !existsSync(marker) ||
  statSync(marker).mtimeMs < Math.max(...sources.map((dir) => newest(join(root, dir))))

if (stale()) {
  mkdirSync(out, { recursive: true })
  const back = (path: string) => join("..", "..", "..", path)
  writeFileSync(
    join(out, "tsconfig.json"),
    JSON.stringify({
      extends: back("tsconfig.json"),
      compilerOptions: { noEmit: false, outDir: ".", rootDir: back("."), sourceMap: false, plugins: [] },
      include: sources.map(back)
    })
  )
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc")
  execFileSync(process.execPath, [tsc, "-p", join(out, "tsconfig.json")], { cwd: root, stdio: "inherit" })
  cpSync(join(root, "src", "internal", "redis", "lua"), compiled("src/internal/redis/lua"), { recursive: true })
}

const load = <A>(source: string): Promise<A> => import(pathToFileURL(compiled(source)).href) as Promise<A>

/** `src/RedisLayer.ts`, compiled. */
export const RedisLayer = await load<typeof RedisLayerModule>("src/RedisLayer.ts")
/** `src/SessionManager.ts`, compiled. */
export const SessionManager = await load<typeof SessionManagerModule>("src/SessionManager.ts")
/** `src/Session.ts`, compiled. */
export const Session = await load<typeof SessionModule>("src/Session.ts")
