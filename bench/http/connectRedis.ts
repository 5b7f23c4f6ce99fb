/**
 * The benchmark's "connect-redis" server: express 5 + express-session + connect-redis 9 on
 * node-redis (`redis` v5), on 127.0.0.1 and the port `PORT` (0: any free one), Redis at
 * `REDIS_URL`, keys under `PREFIX`. `rolling: true`, `resave: false`, `saveUninitialized: false`, a
 * random secret per process, a 15-minute cookie (connect-redis takes the key's ttl from it). Routes:
 * `GET /login?userName=NAME` sets `req.session.userId`; `GET /me` answers `{ userId }` (401 without
 * a session). Prints `ready <port>` once it listens; SIGTERM closes the server and the client.
 *
 * Run: node --import tsx bench/http/connectRedis.ts (with REDIS_URL and PREFIX; see bench/http.ts)
 */
import { RedisStore } from "connect-redis"
import { randomBytes } from "node:crypto"
import { createServer } from "node:http"
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http"
import { createRequire } from "node:module"
import { createClient } from "redis"
import { announceReady, serveCpuUsage } from "./child.js"

// express and express-session ship no types (and @types packages are not installed for a benchmark):
// the little used here is typed by hand
interface Request extends IncomingMessage {
  readonly query: Readonly<Record<string, unknown>>
  readonly session: { userId?: string }
}
interface Response extends ServerResponse {
  readonly status: (code: number) => Response
  readonly json: (body: unknown) => void
}
interface Express extends RequestListener {
  readonly use: (middleware: unknown) => void
  readonly get: (path: string, handler: (req: Request, res: Response) => void) => void
}
interface SessionOptions {
  readonly store: unknown
  readonly secret: string
  readonly resave: boolean
  readonly saveUninitialized: boolean
  readonly rolling: boolean
  readonly cookie: { readonly maxAge: number }
}
const require = createRequire(import.meta.url)
const express = require("express") as () => Express
const session = require("express-session") as (options: SessionOptions) => unknown

const main = async () => {
  const url = process.env.REDIS_URL
  if (url === undefined || url === "") throw new Error("REDIS_URL is not set")
  const port = Number(process.env.PORT ?? "0")
  const prefix = process.env.PREFIX ?? "bench-http-cr:"

  const client = createClient({ url })
  client.on("error", (error: unknown) => process.stderr.write(`redis client: ${String(error)}\n`))
  await client.connect()

  const app = express()
  app.use(session({
    store: new RedisStore({ client, prefix }),
    secret: randomBytes(32).toString("hex"), // signs this process's cookies only
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: { maxAge: 15 * 60 * 1000 }
  }))
  app.get("/login", (req, res) => {
    const userName = req.query.userName
    if (typeof userName !== "string" || userName === "") {
      res.status(400).json({ error: "userName is required" })
      return
    }
    req.session.userId = userName
    res.json({ userId: userName, message: `Logged in as ${userName}` })
  })
  app.get("/me", (req, res) => {
    const userId = req.session.userId
    if (userId === undefined) res.status(401).json({ error: "no session" })
    else res.json({ userId })
  })

  const server = createServer(app)
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, "127.0.0.1", () => resolve())
  })
  process.once("SIGTERM", () => {
    server.close()
    server.closeAllConnections()
    client.close().then(() => process.exit(0), () => process.exit(1))
  })
  const address = server.address()
  announceReady(typeof address === "object" && address !== null ? address.port : port)
}

serveCpuUsage()
main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
})
