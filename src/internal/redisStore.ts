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
  StoreLayout,
  StoreOptions
} from "../RedisLayer.js"
import { HashField } from "../Schema.js"
import * as Deadlines from "./deadlines.js"
import { keyspace, sessionShard, userShard } from "./keys.js"
import type { Keyspace } from "./keys.js"
import * as Lua from "./lua.js"
import { byScoreThenMember } from "./sortedSetOrder.js"

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
  layout: compile(Lua.layout),
  rotate: compile(Lua.rotate),
  killOthers: compile(Lua.killOthers),
  dataSet: compile(Lua.dataSet),
  dataGet: compile(Lua.dataGet),
  dataGetAll: compile(Lua.dataGetAll),
  dataRemove: compile(Lua.dataRemove)
} as const

const isNoScript = (error: unknown): boolean => error instanceof Error && error.message.startsWith("NOSCRIPT")

const unexpected = (script: string, reply: unknown): RedisError =>
  new RedisError({ message: `Unexpected reply from script ${script}: ${JSON.stringify(reply)}` })

/**
 * The names of the values a read returns (see `load` in the scripts' prelude): the fixed fields, the
 * additional fields the manager declares, then last access and expiry.
 */
const readNames = (fieldNames: ReadonlyArray<string>): ReadonlyArray<string> => [
  HashField.userId,
  HashField.createdAt,
  HashField.ttl,
  HashField.deadline,
  ...fieldNames.map((name) => HashField.fieldPrefix + name),
  HashField.lastAccess,
  HashField.expires
]

/** A read's values by name, leaving out those the session does not have (nil); undefined on a mismatch. */
const byName = (
  names: ReadonlyArray<string>,
  values: ReadonlyArray<unknown>
): Record<string, string> | undefined => {
  if (values.length !== names.length) return undefined
  const record: Record<string, string> = {}
  for (let i = 0; i < values.length; i++) {
    const value = values[i]
    if (value !== null) record[names[i]!] = String(value)
  }
  return record
}

/** A flat reply `[name, value, name, value, ...]` as pairs, values converted by `value`. */
const pairs = <V>(flat: ReadonlyArray<unknown>, value: (raw: unknown) => V): Array<readonly [string, V]> => {
  const out: Array<readonly [string, V]> = []
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([String(flat[i]), value(flat[i + 1])])
  return out
}

const isArray = Array.isArray as (value: unknown) => value is ReadonlyArray<unknown>

const toRead = (
  script: string,
  names: ReadonlyArray<string>,
  reply: unknown
): Effect.Effect<Option.Option<StoredRead>, RedisError> => {
  if (reply === null) return Effect.succeed(Option.none())
  if (isArray(reply) && reply.length === 2 && isArray(reply[1])) {
    const hash = byName(names, reply[1])
    if (hash !== undefined) return Effect.succeed(Option.some({ now: Number(reply[0]), hash }))
  }
  return Effect.fail(unexpected(script, reply))
}

const toInteger = (script: string, reply: unknown): Effect.Effect<number, RedisError> =>
  typeof reply === "number" && Number.isInteger(reply) ? Effect.succeed(reply) : Effect.fail(unexpected(script, reply))

/** Makes the `RedisClient` service on an ioredis client. */
export const make = (client: Redis | Cluster, options: StoreOptions): RedisClientService => {
  const batchSize = String(options.batchSize ?? 200)
  const pageSize = options.pageSize ?? 1000
  const grace = options.nativeTtl === false
    ? "-1"
    : String(Duration.toMillis(Duration.decode(options.nativeTtlGrace ?? Duration.minutes(10))))
  const clockOffset = options.clockOffset
  const offset: Effect.Effect<string> = clockOffset === undefined
    ? Effect.succeed("0")
    : Effect.map(clockOffset, (ms) => String(Math.round(ms)))

  const timeoutMillis = Duration.toMillis(Duration.decode(options.timeout ?? Duration.seconds(2)))

  const deadlines = Deadlines.make(timeoutMillis)

  /**
   * Runs one driver call, bounded by the operation timeout. Not `Effect.timeout`: this is on every
   * operation's path, and racing fibers costs tens of microseconds; one timer serves all calls
   * (`Deadlines`). The call itself may still complete later; its result is then dropped.
   */
  const call = <A>(what: string, run: () => Promise<A>): Effect.Effect<A, RedisError> =>
    Effect.async<A, RedisError>((resume) => {
      const pending = deadlines.start(() =>
        resume(Effect.fail(
          new RedisError({ message: `Redis did not answer ${what} within ${timeoutMillis} ms`, timeout: true })
        ))
      )
      run().then(
        (value) => {
          if (deadlines.settle(pending)) resume(Effect.succeed(value))
        },
        (cause: unknown) => {
          if (deadlines.settle(pending)) {
            resume(Effect.fail(
              new RedisError({
                message: `Redis failed running ${what}: ${cause instanceof Error ? cause.message : String(cause)}`,
                cause
              })
            ))
          }
        }
      )
    })

  /** EVALSHA of a script (EVAL when Redis does not have it yet); `argv` holds its `numKeys` keys, then its args. */
  const evalScript = (script: Script, numKeys: number, argv: ReadonlyArray<string>) =>
    call(
      script.name,
      () =>
        client.evalsha(script.sha, numKeys, ...argv).catch((error: unknown) =>
          isNoScript(error) ? client.eval(script.source, numKeys, ...argv) : Promise.reject(error)
        )
    )

  /** The store of one shard, plus its listing with or without scores (scores merge shards). */
  const shardStore = (
    ks: Keyspace,
    regularTtl: string,
    fieldNames: ReadonlyArray<string>
  ): SessionStore & {
    readonly listIndex: (query: ListQuery, withScores: boolean) => Effect.Effect<Listing, RedisError>
  } => {
    const names = readNames(fieldNames)
    /** The keys every script takes first; copied per call with `slice` (see `internal/deadlines.ts` on pretenuring). */
    const commonKeys = [ks.activity, ks.expiries, ks.users, ks.regular]
    /** Runs a script with the common keys and ARGV prefix (built in one array: this is every call's path). */
    const run = (
      script: Script,
      extraKey: string | undefined,
      args: ReadonlyArray<string>,
      secondKey?: string
    ) => {
      const send = (off: string) => {
        const argv = commonKeys.slice()
        if (extraKey !== undefined) argv.push(extraKey)
        if (secondKey !== undefined) argv.push(secondKey)
        const numKeys = argv.length
        argv.push(ks.prefix, off, grace, regularTtl)
        for (const arg of args) argv.push(arg)
        return evalScript(script, numKeys, argv)
      }
      // without a test clock offset, no Effect to read it on every call
      return clockOffset === undefined ? send("0") : Effect.flatMap(offset, send)
    }

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

    /**
     * Lists an index, oldest first, page by page: ids, and their scores when `withScores` (to merge
     * shards). The sessions index is two sorted sets (regular sessions in `r`, the others in `a`),
     * merged by the script from an offset in each.
     */
    const listIndex = (query: ListQuery, withScores: boolean): Effect.Effect<Listing, RedisError> => {
      const userKey = query.index === "userSessions" ? ks.user(query.userId) : undefined
      const indexName = query.index === "sessions" ? "s" : query.index === "users" ? "U" : "u"
      const step = withScores ? 2 : 1
      const page = (offsets: ReadonlyArray<number>) =>
        swept(
          Effect.flatMap(
            run(scripts.list, userKey, [
              batchSize,
              String(query.windowMs),
              indexName,
              String(pageSize),
              withScores ? "1" : "0",
              ...offsets.map(String)
            ]),
            (reply): Effect.Effect<Option.Option<ListPage>, RedisError> => {
              if (isArray(reply) && reply[0] === -1) return Effect.succeed(Option.none())
              if (
                isArray(reply) && reply[0] === 1 && reply.length === offsets.length + 2 && isArray(reply[1]) &&
                reply.slice(2).every((taken) => typeof taken === "number")
              ) {
                return Effect.succeed(
                  Option.some({ entries: reply[1], taken: reply.slice(2) as ReadonlyArray<number> })
                )
              }
              return Effect.fail(unexpected("list", reply))
            }
          )
        )
      // pages by rank; an entry that moved between pages (or between r and a) is kept once
      const loop = (
        offsets: ReadonlyArray<number>,
        listing: Listing,
        seen: Set<string>
      ): Effect.Effect<Listing, RedisError> =>
        Effect.flatMap(page(offsets), ({ entries, taken }) => {
          for (let i = 0; i < entries.length; i += step) {
            const id = String(entries[i])
            if (!seen.has(id)) {
              seen.add(id)
              listing.ids.push(id)
              if (withScores) listing.scores.push(Number(entries[i + 1]))
            }
          }
          return entries.length / step === pageSize
            ? loop(offsets.map((offset, i) => offset + taken[i]!), listing, seen)
            : Effect.succeed(listing)
        })
      return Effect.suspend(() => loop(indexName === "s" ? [0, 0] : [0], { ids: [], scores: [] }, new Set()))
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
            return Effect.succeed(Option.some(pairs(reply[1], String)))
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
          run(
            scripts.rotate,
            ks.session(sessionId),
            [sessionId, newSessionId, ...fieldNames],
            ks.session(newSessionId)
          ),
          (reply) => toRead("rotate", names, reply)
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
          run(scripts.get, ks.session(sessionId), [sessionId, touch ? "1" : "0", ...fieldNames]),
          (reply) => toRead("get", names, reply)
        ),
      exists: (sessionId) =>
        Effect.map(
          Effect.flatMap(run(scripts.exists, ks.session(sessionId), []), (reply) => toInteger("exists", reply)),
          (n) => n === 1
        ),
      update: (sessionId, fields) =>
        Effect.flatMap(
          run(scripts.update, ks.session(sessionId), [
            sessionId,
            String(fieldNames.length),
            ...fieldNames,
            ...flatFields(fields)
          ]),
          (reply) => toRead("update", names, reply)
        ),
      kill: (sessionId) =>
        Effect.map(
          Effect.flatMap(run(scripts.kill, ks.session(sessionId), [sessionId]), (reply) => toInteger("kill", reply)),
          (n) => n === 1
        ),
      killUser: (userId) =>
        drain(
          Effect.flatMap(run(scripts.killUser, ks.user(userId), [userId, batchSize]), (reply) =>
            isArray(reply) && reply.length === 2
              ? Effect.succeed([Number(reply[0]), reply[1] === 1] as const)
              : Effect.fail(unexpected("killUser", reply)))
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
      list: (query) => Effect.map(listIndex(query, false), (listing) => listing.ids),
      listIndex,
      oldest: (userId, touch) =>
        swept(
          Effect.flatMap(
            run(scripts.oldest, ks.user(userId), [batchSize, userId, touch ? "1" : "0", ...fieldNames]),
            (reply) => {
              if (isArray(reply) && reply[0] === -1) return Effect.succeed(Option.none())
              if (isArray(reply) && reply[0] === 1 && reply.length === 1) {
                return Effect.succeed(
                  Option.some(Option.none())
                )
              }
              if (isArray(reply) && reply[0] === 1 && reply.length === 4 && isArray(reply[3])) {
                const hash = byName(names, reply[3])
                if (hash !== undefined) {
                  return Effect.succeed(Option.some(Option.some({
                    now: Number(reply[1]),
                    sessionId: String(reply[2]),
                    hash
                  })))
                }
              }
              return Effect.fail(unexpected("oldest", reply))
            }
          )
        )
    }
  }

  const store = (
    namespace: string,
    { regularTtl, shards }: StoreLayout,
    fieldNames: ReadonlyArray<string> = []
  ): SessionStore => {
    const reg = String(regularTtl)
    if (shards === 1) return shardStore(keyspace(namespace), reg, fieldNames)
    const all = Array.from(
      { length: shards },
      (_, shard) => shardStore(keyspace(namespace, shard, shards), reg, fieldNames)
    )
    const ofSession = (sessionId: string) => all[sessionShard(sessionId)] ?? all[0]!
    const ofUser = (userId: string) => all[userShard(userId, shards)]!
    const sum = (effects: ReadonlyArray<Effect.Effect<number, RedisError>>) =>
      Effect.map(Effect.all(effects, { concurrency: "unbounded" }), (counts) => counts.reduce((a, b) => a + b, 0))
    /** A listing of every shard, merged in sorted-set order. */
    const merged = (query: ListQuery) =>
      Effect.map(
        Effect.all(all.map((shard) => shard.listIndex(query, true)), { concurrency: "unbounded" }),
        (listings) => {
          const entries: Array<readonly [string, number]> = []
          for (const { ids, scores } of listings) ids.forEach((id, i) => entries.push([id, scores[i]!]))
          return entries.sort(byScoreThenMember).map(([id]) => id)
        }
      )
    return {
      now: all[0]!.now,
      create: (input) => ofUser(input.userId).create(input),
      get: (sessionId, touch) => ofSession(sessionId).get(sessionId, touch),
      exists: (sessionId) => ofSession(sessionId).exists(sessionId),
      update: (sessionId, fields) => ofSession(sessionId).update(sessionId, fields),
      rotate: (sessionId, newSessionId) => ofSession(sessionId).rotate(sessionId, newSessionId),
      killOthers: (sessionId) => ofSession(sessionId).killOthers(sessionId),
      dataSet: (sessionId, entries, maxBytes) => ofSession(sessionId).dataSet(sessionId, entries, maxBytes),
      dataGet: (sessionId, keys) => ofSession(sessionId).dataGet(sessionId, keys),
      dataGetAll: (sessionId) => ofSession(sessionId).dataGetAll(sessionId),
      dataRemove: (sessionId, keys) => ofSession(sessionId).dataRemove(sessionId, keys),
      kill: (sessionId) => ofSession(sessionId).kill(sessionId),
      killUser: (userId) => ofUser(userId).killUser(userId),
      killAll: sum(all.map((shard) => shard.killAll)),
      wipe: sum(all.map((shard) => shard.wipe)),
      count: (query) =>
        query.userId === undefined
          ? sum(all.map((shard) => shard.count(query)))
          : ofUser(query.userId).count(query),
      list: (query) => query.index === "userSessions" ? ofUser(query.userId).list(query) : merged(query),
      oldest: (userId, touch) => ofUser(userId).oldest(userId, touch)
    }
  }

  /** Records the namespace's layout (under `{namespace}`, whatever its shards) or reads the recorded one. */
  const layout = (namespace: string, requested: StoreLayout): Effect.Effect<StoreLayout, RedisError> => {
    const ks = keyspace(namespace)
    return Effect.flatMap(
      evalScript(scripts.layout, 2, [ks.meta, ks.activity, String(requested.shards), String(requested.regularTtl)]),
      (reply): Effect.Effect<StoreLayout, RedisError> =>
        isArray(reply) && reply.length === 2 && typeof reply[0] === "number" && typeof reply[1] === "number"
          ? Effect.succeed({ shards: reply[0], regularTtl: reply[1] })
          : Effect.fail(unexpected("layout", reply))
    )
  }

  return { layout, store }
}

/** A listing of one shard's index, oldest first: ids, and their scores when asked for. */
interface Listing {
  readonly ids: Array<string>
  readonly scores: Array<number>
}

/** One page of a listing: ids (or id, score pairs), and how many entries of each sorted set it took. */
interface ListPage {
  readonly entries: ReadonlyArray<unknown>
  readonly taken: ReadonlyArray<number>
}
