/**
 * The library as its users run it: compiled by `tsc` (the build's settings), loaded from that
 * output. Not the sources through tsx: its transform keeps function names by a call per closure
 * made (esbuild's `keepNames`), a cost on every operation that the published package does not
 * have, while redisess and Effect run as published. The copy is compiled again (a few seconds)
 * whenever a source is newer than it, into `node_modules/.cache`, away from `dist/`.
 */
import { execFileSync } from "node:child_process"
import { cpSync, existsSync, readdirSync, statSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import type * as RedisLayerModule from "../src/RedisLayer.js"
import type * as SessionModule from "../src/Session.js"
import type * as SessionManagerModule from "../src/SessionManager.js"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const src = join(root, "src")
const out = join(root, "node_modules", ".cache", "effect-redisess-bench")

/** The newest modification time of the files under `dir`, ms. */
const newest = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce((latest, entry) => {
    const path = join(dir, entry.name)
    return Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs)
  }, 0)

const marker = join(out, "index.js")
if (!existsSync(marker) || statSync(marker).mtimeMs < newest(src)) {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc")
  execFileSync(process.execPath, [
    tsc,
    "-p",
    "tsconfig.build.json",
    "--outDir",
    out,
    "--declaration",
    "false",
    "--declarationMap",
    "false",
    "--sourceMap",
    "false"
  ], { cwd: root, stdio: "inherit" })
  cpSync(join(src, "internal", "redis", "lua"), join(out, "internal", "redis", "lua"), { recursive: true })
}

const load = <A>(module: string): Promise<A> => import(pathToFileURL(join(out, module)).href) as Promise<A>

/** `src/RedisLayer.ts`, compiled. */
export const RedisLayer = await load<typeof RedisLayerModule>("RedisLayer.js")
/** `src/SessionManager.ts`, compiled. */
export const SessionManager = await load<typeof SessionManagerModule>("SessionManager.js")
/** `src/Session.ts`, compiled. */
export const Session = await load<typeof SessionModule>("Session.js")
