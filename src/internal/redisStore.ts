/**
 * The Redis implementation of `SessionStore`: every operation is one Lua script, sent as EVALSHA
 * and falling back to EVAL when the server's script cache does not have it (after a restart,
 * a failover or SCRIPT FLUSH), so NOSCRIPT never reaches callers.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { Cluster, Redis } from "ioredis"
import { createHash } from "node:crypto"
import { RedisError } from "../Errors.js"
import type {
  CreateResult,
  DataSetResult,
  ListQuery,
  RedisClientService,
  SessionStore,
  StoredRead,
  StoreOptions
} from "../RedisLayer.js"
import { keyspace } from "./keys.js"
import * as Lua from "./lua.js"

interface Script extends Lua.ScriptSource {
  readonly sha: string
}

const compile = (script: Lua.ScriptSource): Script => ({
  ...script,
  sha: createHash("sha1").update(script.source).digest("hex")
})

const scripts = {
  create: compile(Lua.create),
  get: compile(Lua.get),
  exists: compile(Lua.exists),
  update: compile(Lua.update),
  kill: compile(Lua.kill),
  killUser: compile(Lua.killUser),
  killAll: compile(Lua.killAll),
  wipe: compile(Lua.wipe),
  count: compile(Lua.count),
  list: compile(Lua.list),
  oldest: compile(Lua.oldest),
  rotate: compile(Lua.rotate),
  killOthers: compile(Lua.killOthers),
  dataSet: compile(Lua.dataSet),
  dataGet: compile(Lua.dataGet),
  dataGetAll: compile(Lua.dataGetAll),
  dataRemove: compile(Lua.dataRemove)
} as const

class CallTimeout extends Error {}

const isNoScript = (error: unknown): boolean => error instanceof Error && error.message.startsWith("NOSCRIPT")

const unexpected = (script: string, reply: unknown): RedisError =>
  new RedisError({ message: `Unexpected reply from script ${script}: ${JSON.stringify(reply)}` })

const toRecord = (flat: ReadonlyArray<unknown>): Record<string, string> => {
  const record: Record<string, string> = {}
  for (let i = 0; i + 1 < flat.length; i += 2) record[String(flat[i])] = String(flat[i + 1])
  return record
}

const isArray = Array.isArray as (value: unknown) => value is ReadonlyArray<unknown>

const toRead = (script: string, reply: unknown): Effect.Effect<Option.Option<StoredRead>, RedisError> => {
  if (reply === null) return Effect.succeed(Option.none())
  if (isArray(reply) && reply.length === 2 && isArray(reply[1])) {
    return Effect.succeed(Option.some({ now: Number(reply[0]), hash: toRecord(reply[1]) }))
  }
  return Effect.fail(unexpected(script, reply))
}

const toInteger = (script: string, reply: unknown): Effect.Effect<number, RedisError> =>
  typeof reply === "number" && Number.isInteger(reply) ? Effect.succeed(reply) : Effect.fail(unexpected(script, reply))

/** Makes the `RedisClient` service on an ioredis client. */
export const make = (client: Redis | Cluster, options: StoreOptions): RedisClientService => {
  const batchSize = String(options.batchSize ?? 500)
  const pageSize = options.pageSize ?? 1000
  const grace = String(Duration.toMillis(Duration.decode(options.nativeTtlGrace ?? Duration.minutes(10))))
  const offset: Effect.Effect<string> = options.clockOffset === undefined
    ? Effect.succeed("0")
    : Effect.map(options.clockOffset, (ms) => String(Math.round(ms)))

  const timeoutMillis = Duration.toMillis(Duration.decode(options.timeout ?? Duration.seconds(2)))

  /**
   * Runs one driver call, bounded by the operation timeout. A plain timer, not `Effect.timeout`:
   * this is on every operation's path, and a timer costs about a microsecond where racing fibers
   * costs tens. The call itself may still complete later.
   */
  const call = <A>(what: string, run: () => Promise<A>): Effect.Effect<A, RedisError> =>
    Effect.tryPromise({
      try: () =>
        new Promise<A>((resolve, reject) => {
          const timer = setTimeout(() => reject(new CallTimeout()), timeoutMillis)
          run().then(
            (value) => {
              clearTimeout(timer)
              resolve(value)
            },
            (error: unknown) => {
              clearTimeout(timer)
              reject(error)
            }
          )
        }),
      catch: (cause) =>
        cause instanceof CallTimeout
          ? new RedisError({ message: `Redis did not answer ${what} within ${timeoutMillis} ms`, timeout: true })
          : new RedisError({
            message: `Redis failed running ${what}: ${cause instanceof Error ? cause.message : String(cause)}`,
            cause
          })
    })

  const evalScript = (script: Script, keys: ReadonlyArray<string>, args: ReadonlyArray<string>) =>
    call(
      script.name,
      () =>
        client.evalsha(script.sha, keys.length, ...keys, ...args).catch((error: unknown) =>
          isNoScript(error) ? client.eval(script.source, keys.length, ...keys, ...args) : Promise.reject(error)
        )
    )

  const store = (namespace: string): SessionStore => {
    const ks = keyspace(namespace)
    const indexKeys = [ks.activity, ks.expiries, ks.users] as const

    /** Runs a script with the common keys and ARGV prefix. */
    const run = (
      script: Script,
      extraKey: string | undefined,
      args: ReadonlyArray<string>,
      secondKey?: string
    ) =>
      Effect.flatMap(offset, (off) =>
        evalScript(
          script,
          extraKey === undefined
            ? indexKeys
            : secondKey === undefined
            ? [...indexKeys, extraKey]
            : [...indexKeys, extraKey, secondKey],
          [ks.prefix, off, grace, ...args]
        ))

    /** Repeats a batch step until it reports that nothing is left; sums what it removed. */
    const drain = (step: Effect.Effect<readonly [removed: number, more: boolean], RedisError>) =>
      Effect.iterate({ total: 0, more: true }, {
        while: (state) => state.more,
        body: (state) => Effect.map(step, ([removed, more]) => ({ total: state.total + removed, more }))
      }).pipe(Effect.map((state) => state.total))

    /** Repeats a query that answers -1 (more expired sessions to sweep first) until it answers. */
    const swept = <A>(query: Effect.Effect<Option.Option<A>, RedisError>): Effect.Effect<A, RedisError> =>
      Effect.flatMap(query, Option.match({ onNone: () => swept(query), onSome: Effect.succeed }))

    const flatFields = (fields: ReadonlyArray<readonly [string, string]>) =>
      fields.flatMap(([name, value]) => [name, value])

    const list = (query: ListQuery): Effect.Effect<ReadonlyArray<string>, RedisError> => {
      const indexName = query.index === "sessions" ? "a" : query.index === "users" ? "U" : "u"
      const userKey = query.index === "userSessions" ? ks.user(query.userId) : undefined
      const page = (offsetInWindow: number) =>
        swept(
          Effect.flatMap(
            run(scripts.list, userKey, [
              batchSize,
              String(query.windowMs),
              indexName,
              String(offsetInWindow),
              String(pageSize)
            ]),
            (reply) => {
              if (isArray(reply) && reply[0] === -1) return Effect.succeed(Option.none())
              if (isArray(reply) && reply[0] === 1 && isArray(reply[1])) {
                return Effect.succeed(Option.some(reply[1].map(String)))
              }
              return Effect.fail(unexpected("list", reply))
            }
          )
        )
      const loop = (acc: Array<string>, seen: Set<string>): Effect.Effect<ReadonlyArray<string>, RedisError> =>
        Effect.flatMap(page(acc.length), (ids) => {
          for (const id of ids) {
            if (!seen.has(id)) {
              seen.add(id)
              acc.push(id)
            }
          }
          return ids.length < pageSize ? Effect.succeed(acc) : loop(acc, seen)
        })
      return Effect.suspend(() => loop([], new Set()))
    }

    return {
      now: Effect.flatMap(offset, (off) =>
        Effect.map(
          call("TIME", () => client.time()),
          ([seconds, micros]) => Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) + Number(off)
        )),
      create: (input) =>
        Effect.flatMap(
          run(scripts.create, ks.session(input.sessionId), [
            input.sessionId,
            input.userId,
            String(input.ttl),
            String(input.lifetime),
            String(input.limit?.max ?? 0),
            input.limit?.policy ?? "evict",
            ...flatFields(input.fields)
          ]),
          (reply): Effect.Effect<CreateResult, RedisError> => {
            if (isArray(reply) && reply.length === 1 && reply[0] === 0) {
              return Effect.succeed({ _tag: "LimitReached" })
            }
            if (isArray(reply) && reply.length === 3 && reply[0] === 1) {
              return Effect.succeed({ _tag: "Created", now: Number(reply[1]), evicted: Number(reply[2]) })
            }
            return Effect.fail(unexpected("create", reply))
          }
        ),
      dataSet: (sessionId, entries, maxBytes) =>
        Effect.flatMap(
          run(scripts.dataSet, ks.session(sessionId), [String(maxBytes), ...flatFields(entries)]),
          (reply): Effect.Effect<Option.Option<DataSetResult>, RedisError> => {
            if (reply === null) return Effect.succeed(Option.none())
            if (isArray(reply) && reply.length === 2 && reply[0] === 1) {
              return Effect.succeed(Option.some({ _tag: "Written", written: Number(reply[1]) }))
            }
            if (isArray(reply) && reply.length === 2 && reply[0] === -1) {
              return Effect.succeed(Option.some({ _tag: "TooLarge", size: Number(reply[1]) }))
            }
            return Effect.fail(unexpected("dataSet", reply))
          }
        ),
      dataGet: (sessionId, keys) =>
        Effect.flatMap(run(scripts.dataGet, ks.session(sessionId), keys), (reply) => {
          if (reply === null) return Effect.succeed(Option.none())
          if (isArray(reply) && reply[0] === 1 && isArray(reply[1])) {
            return Effect.succeed(Option.some(reply[1].map((value) => value === null ? undefined : String(value))))
          }
          return Effect.fail(unexpected("dataGet", reply))
        }),
      dataGetAll: (sessionId) =>
        Effect.flatMap(run(scripts.dataGetAll, ks.session(sessionId), []), (reply) => {
          if (reply === null) return Effect.succeed(Option.none())
          if (isArray(reply) && reply[0] === 1 && isArray(reply[1])) {
            const flat = reply[1]
            const entries: Array<readonly [string, string]> = []
            for (let i = 0; i + 1 < flat.length; i += 2) entries.push([String(flat[i]), String(flat[i + 1])])
            return Effect.succeed(Option.some(entries))
          }
          return Effect.fail(unexpected("dataGetAll", reply))
        }),
      dataRemove: (sessionId, keys) =>
        Effect.map(
          Effect.flatMap(
            run(scripts.dataRemove, ks.session(sessionId), keys),
            (reply) => toInteger("dataRemove", reply)
          ),
          (n) => n < 0 ? Option.none() : Option.some(n)
        ),
      rotate: (sessionId, newSessionId) =>
        Effect.flatMap(
          run(scripts.rotate, ks.session(sessionId), [sessionId, newSessionId], ks.session(newSessionId)),
          (reply) => toRead("rotate", reply)
        ),
      killOthers: (sessionId) =>
        Effect.map(
          Effect.flatMap(
            run(scripts.killOthers, ks.session(sessionId), [sessionId]),
            (reply) => toInteger("killOthers", reply)
          ),
          (n) => n < 0 ? Option.none() : Option.some(n)
        ),
      get: (sessionId, touch) =>
        Effect.flatMap(
          run(scripts.get, ks.session(sessionId), [sessionId, touch ? "1" : "0"]),
          (reply) => toRead("get", reply)
        ),
      exists: (sessionId) =>
        Effect.map(
          Effect.flatMap(run(scripts.exists, ks.session(sessionId), []), (reply) => toInteger("exists", reply)),
          (n) => n === 1
        ),
      update: (sessionId, fields) =>
        Effect.flatMap(
          run(scripts.update, ks.session(sessionId), [sessionId, ...flatFields(fields)]),
          (reply) => toRead("update", reply)
        ),
      kill: (sessionId) =>
        Effect.map(
          Effect.flatMap(run(scripts.kill, ks.session(sessionId), [sessionId]), (reply) => toInteger("kill", reply)),
          (n) => n === 1
        ),
      killUser: (userId) =>
        drain(
          Effect.flatMap(run(scripts.killUser, ks.user(userId), [userId, batchSize]), (reply) =>
            Effect.map(toInteger("killUser", reply), (n) => [n, n > 0] as const))
        ),
      killAll: drain(
        Effect.flatMap(run(scripts.killAll, undefined, [batchSize]), (reply) =>
          isArray(reply) && reply.length === 2
            ? Effect.succeed([Number(reply[0]), reply[1] === 1] as const)
            : Effect.fail(unexpected("killAll", reply)))
      ),
      wipe: drain(
        Effect.flatMap(
          run(scripts.wipe, undefined, [batchSize]),
          (reply) => Effect.map(toInteger("wipe", reply), (n) => [n, String(n) === batchSize] as const)
        )
      ),
      count: (query) =>
        swept(
          Effect.flatMap(
            run(scripts.count, query.userId === undefined ? undefined : ks.user(query.userId), [
              batchSize,
              String(query.windowMs)
            ]),
            (reply) => Effect.map(toInteger("count", reply), (n) => n === -1 ? Option.none() : Option.some(n))
          )
        ),
      list,
      oldest: (userId, touch) =>
        swept(
          Effect.flatMap(
            run(scripts.oldest, ks.user(userId), [batchSize, userId, touch ? "1" : "0"]),
            (reply) => {
              if (isArray(reply) && reply[0] === -1) return Effect.succeed(Option.none())
              if (isArray(reply) && reply[0] === 1 && reply.length === 1) {
                return Effect.succeed(
                  Option.some(Option.none())
                )
              }
              if (isArray(reply) && reply[0] === 1 && reply.length === 4 && isArray(reply[3])) {
                return Effect.succeed(Option.some(Option.some({
                  now: Number(reply[1]),
                  sessionId: String(reply[2]),
                  hash: toRecord(reply[3])
                })))
              }
              return Effect.fail(unexpected("oldest", reply))
            }
          )
        )
    }
  }

  return { store }
}
