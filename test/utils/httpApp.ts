/**
 * A small HttpRouter app on `Http`, served by `NodeHttpServer.layerTest`, and an `HttpClient` that
 * keeps cookies like a browser would (for the tests of `src/Http.ts`).
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Cookies from "@effect/platform/Cookies"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as Http from "../../src/Http.js"

const json = (body: unknown) => HttpServerResponse.unsafeJson(body)

/** The routes the tests drive. */
export const router = HttpRouter.empty.pipe(
  HttpRouter.post(
    "/login",
    Effect.gen(function*() {
      const { user } = yield* HttpServerRequest.schemaSearchParams(Schema.Struct({ user: Schema.String }))
      const session = yield* Http.login(user)
      return json({ userId: session.userId })
    })
  ),
  HttpRouter.get("/me", Effect.map(Http.requireSession, (s) => json({ userId: s.userId, lastAccess: s.lastAccess }))),
  HttpRouter.get("/optional", Effect.map(Http.CurrentSession, (s) => json({ loggedIn: Option.isSome(s) }))),
  HttpRouter.post("/logout", Effect.as(Http.logout, HttpServerResponse.empty({ status: 204 }))),
  HttpRouter.post("/rotate", Effect.map(Http.rotate, (s) => json({ userId: s.userId }))),
  HttpRouter.post("/logout-others", Effect.map(Http.logoutOthers, (killed) => json({ killed })))
)

/** The app behind the middleware, served on a free port, with a client pointed at it. */
export const serverLayer = HttpServer.serve(Http.middleware(router)).pipe(
  Layer.provideMerge(NodeHttpServer.layerTest)
)

/** A client with its own cookie jar (a "browser"). */
export const browser = Effect.gen(function*() {
  const jar = yield* Ref.make(Cookies.empty)
  const client = HttpClient.withCookiesRef(yield* HttpClient.HttpClient, jar)
  return { client, jar }
})

/** A request with a hand-made `Cookie` header (or none), through the plain client. */
export const withCookie = (method: "GET" | "POST", url: string, cookie?: string) =>
  Effect.flatMap(HttpClient.HttpClient, (client) =>
    client.execute(
      cookie === undefined
        ? HttpClientRequest.make(method)(url)
        : HttpClientRequest.setHeader(HttpClientRequest.make(method)(url), "cookie", cookie)
    ))

/** A request with an `Authorization` header. */
export const withAuthorization = (url: string, authorization: string) =>
  Effect.flatMap(
    HttpClient.HttpClient,
    (client) => client.execute(HttpClientRequest.setHeader(HttpClientRequest.get(url), "authorization", authorization))
  )

/** The named cookie a response sets. */
export const setCookie = (response: HttpClientResponse.HttpClientResponse, name: string) =>
  Option.getOrThrow(Cookies.get(response.cookies, name))
