/**
 * Raw ioredis clients for tests: plain, or counting every command sent (to check round trips).
 */
import * as Effect from "effect/Effect"
import { Redis } from "ioredis"

/** A connected client, quit when the scope closes. */
export const rawClient = (url: string) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const client = new Redis(url, { lazyConnect: true })
      client.on("error", () => {}) // tests kill servers on purpose; commands still reject
      await client.connect()
      return client
    }),
    (client) => Effect.promise(() => client.quit().catch(() => "closed"))
  )

/** A connected client that records the name of every command it sends. */
export const countingClient = (url: string) =>
  Effect.map(rawClient(url), (client) => {
    const sent: Array<string> = []
    /** The same commands with their arguments. */
    const sentWithArgs: Array<ReadonlyArray<string>> = []
    const send = client.sendCommand.bind(client)
    client.sendCommand = (...args: Parameters<Redis["sendCommand"]>) => {
      sent.push(args[0].name)
      sentWithArgs.push([args[0].name, ...args[0].args.map(String)])
      return send(...args)
    }
    return { client, sent, sentWithArgs }
  })
