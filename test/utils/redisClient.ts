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

/**
 * Every command the server runs from now on, scripts' own included (MONITOR, on a connection of
 * its own, closed with the scope). `of(keep)` answers those `keep` accepts among all the server
 * has run up to the call (it waits for a marker sent on `client` to come through).
 */
export const watchCommands = (client: Redis) =>
  Effect.gen(function*() {
    const seen: Array<ReadonlyArray<string>> = []
    const monitor = yield* Effect.acquireRelease(
      Effect.promise(() => client.monitor()),
      (monitor) => Effect.sync(() => monitor.disconnect())
    )
    const markers = new Map<string, () => void>()
    monitor.on("monitor", (_time: string, args: ReadonlyArray<string>) => {
      seen.push(args)
      if (args[0]?.toLowerCase() === "echo") markers.get(args[1]!)?.()
    })
    const of = (keep: (args: ReadonlyArray<string>) => boolean) =>
      Effect.promise(async () => {
        const marker = `watched-${markers.size}-${Date.now()}`
        const reached = new Promise<void>((resolve) => markers.set(marker, resolve))
        await client.echo(marker)
        await reached
        return seen.filter(keep)
      })
    return { of }
  })
