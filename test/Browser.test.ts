/**
 * The example's page in a real browser (Debian's Chromium through playwright-core): log in through
 * the page, see the sessions, end one, log out; the cookie is stored HttpOnly and sent back. Also
 * checks that Chromium keeps a `Secure`, `__Host-` cookie on http://localhost (a secure context).
 */
import * as HttpServer from "@effect/platform/HttpServer"
import { assert, describe, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as TestServices from "effect/TestServices"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { BrowserContext, Page } from "playwright-core"
import { chromium } from "playwright-core"
import { app } from "../examples/server/app.js"
import * as NodeServer from "../examples/server/nodeServer.js"
import * as Http from "../src/Http.js"
import * as RedisLayer from "../src/RedisLayer.js"
import * as SessionManager from "../src/SessionManager.js"

/** The page's `document`, as far as these tests use it (the project compiles without the DOM library). */
declare const document: {
  readonly cookie: string
  readonly querySelectorAll: (selector: string) => { readonly length: number }
}

const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"
const noChromium = `no Chromium at ${executablePath}: apt-get install chromium, or set CHROMIUM_PATH`
const chromiumMissing = !existsSync(executablePath)
// skipped, and said so, on a machine without Chromium; CI (REQUIRE_BROWSER=1) fails instead
if (chromiumMissing && process.env.REQUIRE_BROWSER === "1") throw new Error(`REQUIRE_BROWSER is set, but ${noChromium}`)
if (chromiumMissing) console.warn(`Skipping the browser tests: ${noChromium}`)

/** One Chromium for the file: a new, empty profile, closed (and removed) when the layer is released. */
class Browser extends Context.Tag("test/Browser")<Browser, BrowserContext>() {}

const BrowserLive = Layer.scoped(
  Browser,
  Effect.acquireRelease(
    Effect.promise(async () => {
      const profile = mkdtempSync(join(tmpdir(), "effect-redisess-chromium-"))
      const context = await chromium.launchPersistentContext(profile, {
        executablePath,
        headless: true,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync"
        ]
      })
      return { context, profile }
    }),
    ({ context, profile }) =>
      Effect.promise(async () => {
        await context.close()
        rmSync(profile, { recursive: true, force: true })
      })
  ).pipe(Effect.map(({ context }) => context))
)

/** The example's app on a free loopback port, with the given cookie settings, until the scope closes. */
const serveExample = (cookie: Http.CookieOptions) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      HttpServer.serve(app).pipe(
        Layer.provide(Http.layer(cookie)),
        Layer.provide(SessionManager.layer({ namespace: "browser" })),
        Layer.provide(RedisLayer.layerMemory),
        Layer.provide(Logger.remove(Logger.defaultLogger)),
        Layer.provideMerge(NodeServer.layer({ port: 0, host: "127.0.0.1" }))
      )
    ).pipe(TestServices.provideLive)
    const address = Context.get(context, HttpServer.HttpServer).address
    assert.strictEqual(address._tag, "TcpAddress")
    return `http://localhost:${address._tag === "TcpAddress" ? address.port : 0}`
  })

/** The status of a GET from outside the browser (its body read, so the connection is free again). */
const statusOf = async (url: string, cookie: string) => {
  const response = await fetch(url, { headers: { cookie } })
  await response.arrayBuffer()
  return response.status
}

const rows = (page: Page) => page.locator("#sessions tr")
const waitForRows = (page: Page, n: number) =>
  page.waitForFunction((n) => document.querySelectorAll("#sessions tr").length === n, n)

const logInThroughThePage = async (page: Page, url: string, user: string) => {
  await page.goto(url)
  await page.waitForSelector("#loggedOut:not([hidden])")
  await page.fill("#userName", user)
  await page.click("#login")
  await page.waitForSelector("#loggedIn:not([hidden])")
}

const sessionCookie = async (context: BrowserContext, url: string, name: string) =>
  (await context.cookies(url)).find((c) => c.name === name)

describe.skipIf(chromiumMissing)("the example's page in Chromium", () => {
  layer(BrowserLive)((it) => {
    it.scoped("log in, see my sessions, end one, log out; the cookie is HttpOnly and sent back", () =>
      Effect.gen(function*() {
        const context = yield* Browser
        const url = yield* serveExample({ secure: false })
        yield* Effect.promise(async () => {
          const page = await context.newPage()
          await logInThroughThePage(page, url, "alice")
          assert.strictEqual(await page.textContent("#user"), "alice")
          await waitForRows(page, 1)

          // the browser stored the cookie HttpOnly, hides it from scripts, and sends it back
          const cookie = await sessionCookie(context, url, "session")
          assert.isDefined(cookie)
          assert.include(cookie, { httpOnly: true, secure: false, sameSite: "Lax", path: "/", expires: -1 })
          assert.strictEqual(await page.evaluate(() => document.cookie), "")
          assert.strictEqual(await page.evaluate(async () => (await fetch("/me")).status), 200)

          // another device of alice's: listed, then ended from this page
          const other = await fetch(`${url}/login?userName=alice`)
          await other.arrayBuffer()
          const otherCookie = (other.headers.get("set-cookie") ?? "").split(";")[0]!
          assert.strictEqual(await statusOf(`${url}/me`, otherCookie), 200)
          await page.reload()
          await waitForRows(page, 2)
          await rows(page).filter({ hasNotText: "this browser" }).locator("button.end").click()
          await waitForRows(page, 1)
          assert.include(await rows(page).textContent(), "this browser")
          assert.strictEqual(await statusOf(`${url}/me`, otherCookie), 401)

          // log out: the browser drops the cookie
          await page.click("#logout")
          await page.waitForSelector("#loggedOut:not([hidden])")
          assert.isUndefined(await sessionCookie(context, url, "session"))
          assert.strictEqual(await page.evaluate(async () => (await fetch("/me")).status), 401)
        })
      }))

    it.scoped("Chromium stores a Secure __Host- cookie on http://localhost and sends it back", () =>
      Effect.gen(function*() {
        const context = yield* Browser
        const url = yield* serveExample({ name: "sid", hostPrefix: true })
        yield* Effect.promise(async () => {
          const page = await context.newPage()
          await logInThroughThePage(page, url, "bob")
          await waitForRows(page, 1)
          const cookie = await sessionCookie(context, url, "__Host-sid")
          assert.include(cookie, { httpOnly: true, secure: true, sameSite: "Lax", path: "/" })
          assert.strictEqual(await page.evaluate(async () => (await fetch("/me")).status), 200)
        })
      }))
  })
})
