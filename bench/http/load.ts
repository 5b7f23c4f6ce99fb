/**
 * The load generator: `concurrency` keep-alive connections (an undici `Pool`, one request at a time
 * on each), every request carrying one of `sessions` session cookies (worker k the k-th, modulo),
 * every response checked.
 */
import { performance } from "node:perf_hooks"
import { Pool } from "undici"

/** A load generator on one server. */
export interface Load {
  /**
   * `GET /login?userName=` `sessions` times (users `userName`, `userName-1`, ...) and keeps the
   * cookies they set for every later request.
   */
  readonly login: (userName: string, sessions?: number) => Promise<void>
  /**
   * Sends `n` `GET /me` requests, `concurrency` in flight, and times them. Fails (after the requests
   * in flight) when any response is not a 200 naming the logged-in user.
   */
  readonly run: (n: number) => Promise<{ readonly seconds: number }>
  readonly close: () => Promise<void>
}

/** The `name=value` pairs of `Set-Cookie` headers, as one `Cookie` header. */
const cookieOf = (setCookie: string | ReadonlyArray<string> | undefined): string =>
  (typeof setCookie === "string" ? [setCookie] : setCookie ?? [])
    .map((header) => header.split(";")[0]!.trim())
    .join("; ")

/** A load generator with `concurrency` keep-alive connections to `origin`. */
export const makeLoad = (origin: string, concurrency: number): Load => {
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1 })
  let logins: Array<{ readonly cookie: string; readonly expected: string }> = []
  return {
    login: async (userName, sessions = 1) => {
      logins = []
      for (let k = 0; k < sessions; k++) {
        const user = k === 0 ? userName : `${userName}-${k}`
        const response = await pool.request({ method: "GET", path: `/login?userName=${encodeURIComponent(user)}` })
        const body = await response.body.text()
        const cookie = cookieOf(response.headers["set-cookie"])
        if (response.statusCode !== 200 || cookie === "") {
          throw new Error(
            `${origin}: login answered ${response.statusCode} (cookie "${cookie}"): ${body.slice(0, 200)}`
          )
        }
        logins.push({ cookie, expected: `"userId":${JSON.stringify(user)}` })
      }
    },
    run: async (n) => {
      let next = 0
      let failure: string | undefined
      const worker = async (k: number) => {
        const { cookie, expected } = logins[k % logins.length]!
        while (next < n && failure === undefined) {
          next++
          const response = await pool.request({ method: "GET", path: "/me", headers: { cookie } })
          const body = await response.body.text()
          if (response.statusCode !== 200 || !body.includes(expected)) {
            failure ??= `${origin}: GET /me answered ${response.statusCode}: ${body.slice(0, 200)}`
          }
        }
      }
      const started = performance.now()
      await Promise.all(Array.from({ length: Math.min(concurrency, n) }, (_, k) => worker(k)))
      const seconds = (performance.now() - started) / 1000
      if (failure !== undefined) throw new Error(failure)
      return { seconds }
    },
    close: () => pool.close()
  }
}
