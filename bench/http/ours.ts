/**
 * The benchmark's "ours" server: the example app (`makeApp({ seedRoutes: true })`) composed as
 * `examples/server/main.ts` composes it on Redis (`RedisLayer.layerConfig()` from `REDIS_URL`,
 * `SessionManager.layer({ namespace, ttl: 15 min })`, `Http.layer({ secure: false })`), on
 * 127.0.0.1 and the port `PORT` (0: any free one). `VARIANT=throttled` switches the touch throttle
 * on (`touchInterval: 60`); `VARIANT=default` keeps the defaults (a touch on every read).
 * `NAMESPACE` names its keys. Prints `ready <port>` once it listens.
 *
 * Run: node --import tsx bench/http/ours.ts (with REDIS_URL, VARIANT, NAMESPACE; see bench/http.ts)
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as HttpServer from "@effect/platform/HttpServer"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { makeApp } from "../../examples/server/app.js"
import * as NodeServer from "../../examples/server/nodeServer.js"
import * as Http from "../../src/Http.js"
import * as RedisLayer from "../../src/RedisLayer.js"
import * as SessionManager from "../../src/SessionManager.js"
import { announceReady, serveCpuUsage } from "./child.js"

const Main = Layer.unwrapEffect(Effect.gen(function*() {
  const port = yield* Config.integer("PORT").pipe(Config.withDefault(0))
  const variant = yield* Config.literal("default", "throttled")("VARIANT").pipe(Config.withDefault("default"))
  const namespace = yield* Config.string("NAMESPACE").pipe(Config.withDefault(`bench-http-${variant}`))

  const Sessions = SessionManager.layer({
    namespace,
    ttl: 15 * 60,
    ...(variant === "throttled" ? { touchInterval: 60 } : {})
  }).pipe(Layer.provide(RedisLayer.layerConfig()))
  const ready = HttpServer.addressWith((address) =>
    Effect.sync(() => announceReady(address._tag === "TcpAddress" ? address.port : port))
  )

  return HttpServer.serve(makeApp({ seedRoutes: true })).pipe(
    Layer.tap(() => ready),
    Layer.provide(NodeServer.layer({ port, host: "127.0.0.1" })),
    Layer.provide(Layer.merge(Sessions, Http.layer({ secure: false })))
  )
}))

serveCpuUsage()
NodeRuntime.runMain(Layer.launch(Main))
