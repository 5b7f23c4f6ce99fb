/**
 * Docs that run: every TypeScript block of the README and of `docs/` type-checks against the
 * library's source, so an example can never drift from the API, and the blocks marked ```ts run
 * (whole programs) run, on the test Redis as `REDIS_URL`. A block is checked as a module of
 * its own: its imports, then its code inside an `Effect.gen` (so a block may `yield*`), with the
 * names the docs take for granted declared first: `sm` (a manager), `token` and `id`, and the usual
 * imports when the block does not make its own.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { execFile } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { promisify } from "node:util"
import { inject } from "vitest"

const exec = promisify(execFile)
const root = join(import.meta.dirname, "..")
const out = join(root, ".docs-check")

/** The README and the pages of `docs/`, as paths from the root. */
const pages = (): Array<string> => [
  "README.md",
  ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)
]

/** Every ```ts block of the README and the docs, with where it is. */
const blocks = (): Array<{ readonly where: string; readonly code: string; readonly run: boolean }> =>
  pages()
    .flatMap((file) =>
      [...readFileSync(join(root, file), "utf8").matchAll(/```ts( run)?\n([\s\S]*?)```/g)].map((match, i) => ({
        where: `${file} #${i + 1}`,
        code: match[2]!,
        run: match[1] !== undefined
      }))
    )

/** The names the docs use without importing them, and where they come from. */
const prelude: ReadonlyArray<readonly [name: string, line: string]> = [
  ...["Effect", "Layer", "Schema", "Context", "Duration", "Option", "Redacted", "Schedule", "Config"].map(
    (name) => [name, `import { ${name} } from "effect"`] as const
  ),
  ...["RedisLayer", "SessionManager", "Session"].map(
    (name) => [name, `import { ${name} } from "effect-redisess"`] as const
  ),
  ["Http", `import * as Http from "effect-redisess/Http"`]
]

const local = (specifier: string) =>
  specifier === "effect-redisess" ? "../src/index.js" : `../src/${specifier.slice("effect-redisess/".length)}.js`

/** A block as a module: imports first (the library's pointed at its source), the rest in a generator. */
const moduleOf = (code: string): string => {
  const lines = code.split("\n")
  const imports = lines.filter((line) => line.startsWith("import "))
  const body = lines.filter((line) => !line.startsWith("import "))
  const imported = new Set(imports.flatMap((line) => [...line.matchAll(/\b([A-Z]\w*)\b/g)].map((m) => m[1]!)))
  const preludeLines = prelude.filter(([name]) => !imported.has(name)).map(([, line]) => line)
  return [
    ...[...preludeLines, ...imports].map((line) =>
      line.replace(/from "(effect-redisess(?:\/\w+)?)"/, (_, specifier: string) => `from "${local(specifier)}"`)
    ),
    "declare const sm: SessionManager.SessionManagerService",
    "declare const token: string",
    "declare const id: string",
    "export const block = Effect.gen(function*() {",
    ...body,
    "})",
    ""
  ].join("\n")
}

/** The anchors GitHub gives a page's headings: lower case, punctuation but `-` dropped, spaces as `-`. */
const anchors = (markdown: string): Set<string> =>
  new Set(
    [...markdown.replace(/```[\s\S]*?```/g, "").matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
      m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-")
    )
  )

/** The relative links of a page, each with the page: `[text](target)` outside code blocks and inline code. */
const relativeLinks = (page: string): Array<readonly [page: string, target: string]> => {
  const prose = readFileSync(join(root, page), "utf8").replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "")
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z]+:/i.test(target)) // https:, mailto: ...
    .map((target) => [page, target] as const)
}

/** The anchors of each page a link names, read once. */
const anchorsByFile = new Map<string, Set<string>>()

/** Whether a relative link of `page` names a file that exists, and a heading of it when it names one (`#anchor`). */
const resolves = (page: string, target: string): boolean => {
  const [path, anchor] = target.split("#") as [string, string | undefined]
  const file = path === "" ? page : join(dirname(page), path)
  if (!existsSync(join(root, file))) return false
  if (anchor === undefined || !file.endsWith(".md")) return true
  let known = anchorsByFile.get(file)
  if (known === undefined) {
    known = anchors(readFileSync(join(root, file), "utf8"))
    anchorsByFile.set(file, known)
  }
  return known.has(anchor)
}

describe("the docs", () => {
  it("every relative link of the README and docs/ names a file there, and every anchor a heading of it", () => {
    const links = pages().flatMap(relativeLinks)
    assert.isAbove(links.length, 20)
    assert.deepStrictEqual(links.filter(([page, target]) => !resolves(page, target)).map((link) => link.join(": ")), [])
  })

  it.live(
    "every TypeScript block of the README and docs/ type-checks, and the whole programs run",
    () =>
      Effect.promise(async () => {
        const all = blocks()
        rmSync(out, { recursive: true, force: true })
        mkdirSync(out)
        all.forEach(({ code }, i) => writeFileSync(join(out, `block${i}.ts`), moduleOf(code)))
        writeFileSync(
          join(out, "tsconfig.json"),
          JSON.stringify({
            extends: "../tsconfig.json",
            compilerOptions: { noEmit: true, noUnusedLocals: false, noUnusedParameters: false, plugins: [] },
            include: ["*.ts"]
          })
        )
        const checked = await exec(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", out]).then(
          () => "",
          (error: { stdout?: string }) => error.stdout ?? String(error)
        )
        // name the block of each error
        const report = checked.replace(/block(\d+)\.ts/g, (_, i: string) => all[Number(i)]!.where)
        // the whole programs, as they are (the library's imports pointed at its source)
        const ran: Array<string> = []
        for (const [i, { code, run }] of all.entries()) {
          if (!run) continue
          const file = join(out, `run${i}.ts`)
          writeFileSync(
            file,
            code.replace(/from "(effect-redisess(?:\/\w+)?)"/g, (_, s: string) => `from "${local(s)}"`)
          )
          const result = await exec(join(root, "node_modules/.bin/tsx"), [file], {
            env: { ...process.env, REDIS_URL: inject("redisUrl") }
          })
          ran.push(result.stdout)
        }
        rmSync(out, { recursive: true, force: true })
        return { count: all.length, report, ran }
      }).pipe(Effect.map(({ count, ran, report }) => {
        assert.isAbove(count, 8)
        assert.strictEqual(report, "")
        assert.isAtLeast(ran.length, 1)
        assert.include(ran[0], "active")
      })),
    { timeout: 120_000 }
  )
})
