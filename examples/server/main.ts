/**
 * The example server: `npm start` (in memory, no Redis needed), or with `REDIS_URL` set, on Redis.
 * `PORT` picks the port (default 3000), `HOST` the interface (default 127.0.0.1). Ctrl-C (or a
 * SIGTERM) stops it cleanly: the server and the session manager's wipe fiber are released, exit 0.
 * The seed's unauthenticated routes are on only on a loopback address, or with `SEED_ROUTES=true`.
 *
 * Served over plain http on a loopback address, the session cookie cannot be `Secure` for every
 * browser, so it is not (and a warning says so); on any other address it is `Secure` and
 * `__Host-` prefixed, for use behind a TLS-terminating proxy.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as HttpServer from "@effect/platform/HttpServer"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Http from "../../src/Http.js"
import * as RedisLayer from "../../src/RedisLayer.js"
import * as SessionManager from "../../src/SessionManager.js"
import { makeApp } from "./app.js"
import * as NodeServer from "./nodeServer.js"

const loopback = (host: string) => host === "localhost" || host === "::1" || /^127\./.test(host)

const Main = Layer.unwrapEffect(Effect.gen(function*() {
  const port = yield* Config.port("PORT").pipe(Config.withDefault(3000))
  const host = yield* Config.string("HOST").pipe(Config.withDefault("127.0.0.1"))
  const redisUrl = yield* Config.option(Config.nonEmptyString("REDIS_URL"))
  const local = loopback(host)

  // the seed's unauthenticated GET routes: on a loopback address (development), or when asked for
  const seedRoutes = local || (yield* Config.boolean("SEED_ROUTES").pipe(Config.withDefault(false)))
  if (seedRoutes) {
    yield* Effect.logWarning(
      "The seed's unauthenticated routes (GET /login?userName=, /killSession/:id, /killUser/:id) are on: " +
        "anyone who reaches them can end anyone's sessions. Development only."
    )
  }
  const Redis = Option.isSome(redisUrl) ? RedisLayer.layerConfig() : RedisLayer.layerMemory
  const Sessions = SessionManager.layer({ namespace: "example", ttl: 15 * 60 }).pipe(Layer.provide(Redis))
  const Cookie = Http.layer(local ? { secure: false } : { hostPrefix: true })
  const announce = HttpServer.addressFormattedWith((address) =>
    Effect.log(
      `effect-redisess example on ${local ? `http://localhost:${port}` : address} ` +
        `(${Option.isSome(redisUrl) ? "Redis from REDIS_URL" : "in-memory store"}); Ctrl-C to stop`
    )
  )

  return HttpServer.serve(makeApp({ seedRoutes })).pipe(
    Layer.tap(() => announce),
    Layer.provide(NodeServer.layer({ port, host })),
    Layer.provide(Layer.merge(Sessions, Cookie))
  )
}))

NodeRuntime.runMain(
  Layer.launch(Main).pipe(
    Effect.onInterrupt(() => Effect.log("stopped: server closed, wipe fiber interrupted, store released"))
  )
)
