/**
 * `NodeHttpServer.layer` on a `node:http` server that closes promptly. Node's `server.close()` waits
 * for every open connection, and closes only the idle ones itself: a browser's preconnected socket
 * (opened, never used) stays open until `headersTimeout` (60 s), which would hold up Ctrl-C. Here
 * the release stops listening and then ends every connection (the request handlers have already
 * been interrupted by then).
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { createServer } from "node:http"
import type { Server } from "node:http"

const close = (server: Server) =>
  Effect.async<void>((resume) => {
    if (!server.listening) return resume(Effect.void)
    server.close(() => resume(Effect.void))
    server.closeAllConnections()
  })

/** An HTTP server on `port` and `host`, released without waiting for idle or unused connections. */
export const layer = (options: { readonly port: number; readonly host: string }) =>
  Layer.unwrapEffect(Effect.sync(() => {
    const server = createServer()
    return Layer.scopedDiscard(Effect.addFinalizer(() => close(server))).pipe(
      Layer.provideMerge(NodeHttpServer.layer(() => server, options))
    )
  }))
