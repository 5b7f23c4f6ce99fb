/**
 * The in-memory fake of `SessionStore`. It keeps each session as the same hash Redis keeps, so
 * the manager decodes both with one codec, and derives the indexes from the sessions. Time comes
 * from Effect's `Clock` (so `TestClock` drives expiry). Every operation is one `Ref.modify`, which
 * makes it atomic like a Redis script.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import { RedisError } from "../Errors.js"
import type {
  CreateResult,
  DataSetResult,
  ListQuery,
  RedisClientService,
  SessionStore,
  StoredRead,
  StoreLayout
} from "../RedisLayer.js"
import { byScoreThenMember } from "./sortedSetOrder.js"

type Hash = Readonly<Record<string, string>>
type Sessions = HashMap.HashMap<string, Hash>
type State = HashMap.HashMap<string, Sessions>

const expires = (hash: Hash): number => Number(hash.x)
const isExpired = (hash: Hash, now: number): boolean => expires(hash) > 0 && expires(hash) <= now

const dataPrefix = "d:"

/** The data entries of a session hash, as (key, encoded value). */
const dataEntries = (hash: Hash): Array<readonly [string, string]> =>
  Object.entries(hash).filter(([name]) => name.startsWith(dataPrefix)).map(([name, value]) => [name.slice(2), value])

/** Bytes of data keys and values, as the Redis scripts count them. */
const dataSize = (hash: Hash): number =>
  dataEntries(hash).reduce((size, [key, value]) => size + Buffer.byteLength(key) + Buffer.byteLength(value), 0)

/** Removes expired sessions, like the Redis scripts' sweep. */
const sweep = (sessions: Sessions, now: number): Sessions => HashMap.filter(sessions, (hash) => !isExpired(hash, now))

/** The expiry of a session accessed at `now`: idle ttl or lifetime deadline, whichever first (0: never). */
const expiry = (now: number, ttl: number, deadline: number): number => {
  const idle = ttl > 0 ? now + ttl : 0
  return deadline > 0 && (idle === 0 || deadline < idle) ? deadline : idle
}

const touched = (hash: Hash, now: number): Hash => ({
  ...hash,
  a: String(now),
  x: String(expiry(now, Number(hash.t), Number(hash.l ?? 0)))
})

const indexEntries = (sessions: Sessions, query: ListQuery): Array<readonly [string, number]> => {
  const entries: Array<readonly [string, number]> = []
  if (query.index === "users") {
    const latest = new Map<string, number>()
    for (const hash of HashMap.values(sessions)) {
      latest.set(hash.u!, Math.max(latest.get(hash.u!) ?? -Infinity, Number(hash.a)))
    }
    for (const entry of latest) entries.push(entry)
  } else {
    for (const [id, hash] of sessions) {
      if (query.index === "sessions" || hash.u === query.userId) entries.push([id, Number(hash.a)])
    }
  }
  return entries.sort(byScoreThenMember)
}

/** Makes the in-memory `RedisClient` service; each call starts empty. */
export const make: Effect.Effect<RedisClientService> = Effect.map(
  Effect.all([Ref.make<State>(HashMap.empty()), Ref.make(HashMap.empty<string, StoreLayout>())]),
  ([state, layouts]) => ({
    layout: (namespace, requested) =>
      Effect.flatMap(
        Ref.get(state),
        (all) =>
          Ref.modify(layouts, (recorded): [StoreLayout, HashMap.HashMap<string, StoreLayout>] => {
            const known = HashMap.get(recorded, namespace)
            if (Option.isSome(known)) return [known.value, recorded]
            const holdsData = Option.exists(HashMap.get(all, namespace), (sessions) => HashMap.size(sessions) > 0)
            const layout = holdsData ? { shards: 1, regularTtl: 0 } : requested
            return [layout, HashMap.set(recorded, namespace, layout)]
          })
      ),
    // one map holds a namespace whatever its layout: shards and regular ttl only matter to Redis
    store: (namespace): SessionStore => {
      /** Runs `f` on this namespace's sessions at the clock's time, atomically. */
      const modify = <A>(f: (sessions: Sessions, now: number) => readonly [A, Sessions]) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Ref.modify(state, (all): [A, State] => {
            const [result, next] = f(Option.getOrElse(HashMap.get(all, namespace), HashMap.empty), now)
            return [result, HashMap.set(all, namespace, next)]
          }))

      const read = (sessions: Sessions, sessionId: string, now: number, touch: boolean) => {
        const hash = HashMap.get(sessions, sessionId)
        if (Option.isNone(hash)) return [Option.none<StoredRead>(), sessions] as const
        if (isExpired(hash.value, now)) {
          return [Option.none<StoredRead>(), touch ? HashMap.remove(sessions, sessionId) : sessions] as const
        }
        if (!touch) return [Option.some({ now, hash: hash.value }), sessions] as const
        const next = touched(hash.value, now)
        return [Option.some({ now, hash: next }), HashMap.set(sessions, sessionId, next)] as const
      }

      const list = (query: ListQuery) =>
        modify((sessions, now) => {
          const live = sweep(sessions, now)
          const from = query.windowMs > 0 ? now - query.windowMs : -Infinity
          const ids = indexEntries(live, query).filter(([, score]) => score >= from).map(([id]) => id)
          return [ids, live] as const
        })

      return {
        now: Clock.currentTimeMillis,
        create: ({ fields, lifetime, limit, sessionId, ttl, userId }) =>
          Effect.flatMap(
            modify((all, now): readonly [Option.Option<CreateResult>, Sessions] => {
              if (HashMap.has(all, sessionId)) return [Option.none(), all]
              let sessions = all
              let evicted = 0
              if (limit !== undefined) {
                // the user's expired sessions go first; then the least recently accessed make room
                sessions = HashMap.filter(sessions, (hash) => hash.u !== userId || !isExpired(hash, now))
                const live = indexEntries(sessions, { index: "userSessions", userId, windowMs: 0 })
                const over = live.length - limit.max + 1
                if (over > 0) {
                  if (limit.policy === "refuse") return [Option.some({ _tag: "LimitReached" }), sessions]
                  for (const [id] of live.slice(0, over)) sessions = HashMap.remove(sessions, id)
                  evicted = over
                }
              }
              const deadline = lifetime > 0 ? now + lifetime : 0
              const hash: Record<string, string> = {
                u: userId,
                c: String(now),
                a: String(now),
                t: String(ttl),
                x: String(expiry(now, ttl, deadline)),
                l: String(deadline)
              }
              for (const [name, value] of fields) hash[name] = value
              return [Option.some({ _tag: "Created", now, evicted }), HashMap.set(sessions, sessionId, hash)]
            }),
            Option.match({
              onNone: () =>
                Effect.fail(new RedisError({ message: "Redis failed running create: session id already exists" })),
              onSome: Effect.succeed
            })
          ),
        dataSet: (sessionId, entries, maxBytes) =>
          modify((sessions, now): readonly [Option.Option<DataSetResult>, Sessions] => {
            const [current] = read(sessions, sessionId, now, false)
            if (Option.isNone(current)) return [Option.none(), sessions]
            const hash: Record<string, string> = { ...current.value.hash }
            for (const [key, value] of entries) hash[dataPrefix + key] = value
            const size = dataSize(hash)
            if (maxBytes > 0 && size > maxBytes) return [Option.some({ _tag: "TooLarge", size }), sessions]
            return [Option.some({ _tag: "Written", written: entries.length }), HashMap.set(sessions, sessionId, hash)]
          }),
        dataGet: (sessionId, keys) =>
          modify((sessions, now) => {
            const [current] = read(sessions, sessionId, now, false)
            return [Option.map(current, ({ hash }) => keys.map((key) => hash[dataPrefix + key])), sessions] as const
          }),
        dataGetAll: (sessionId) =>
          modify((sessions, now) => {
            const [current] = read(sessions, sessionId, now, false)
            return [Option.map(current, ({ hash }) => dataEntries(hash)), sessions] as const
          }),
        dataRemove: (sessionId, keys) =>
          modify((sessions, now): readonly [Option.Option<number>, Sessions] => {
            const [current] = read(sessions, sessionId, now, false)
            if (Option.isNone(current)) return [Option.none(), sessions]
            const hash: Record<string, string> = { ...current.value.hash }
            let removed = 0
            for (const key of new Set(keys)) {
              if (hash[dataPrefix + key] !== undefined) {
                delete hash[dataPrefix + key]
                removed++
              }
            }
            return [Option.some(removed), HashMap.set(sessions, sessionId, hash)]
          }),
        rotate: (sessionId, newSessionId) =>
          Effect.flatMap(
            modify((sessions, now): readonly [Option.Option<Option.Option<StoredRead>>, Sessions] => {
              const [current, next] = read(sessions, sessionId, now, true)
              if (Option.isNone(current)) return [Option.some(current), next]
              if (HashMap.has(next, newSessionId)) return [Option.none(), next]
              const moved = HashMap.set(HashMap.remove(next, sessionId), newSessionId, current.value.hash)
              return [Option.some(current), moved]
            }),
            Option.match({
              onNone: () =>
                Effect.fail(new RedisError({ message: "Redis failed running rotate: session id already exists" })),
              onSome: Effect.succeed
            })
          ),
        killOthers: (sessionId) =>
          modify((sessions, now) => {
            const [current] = read(sessions, sessionId, now, false)
            if (Option.isNone(current)) return [Option.none(), sessions] as const
            const userId = current.value.hash.u
            const kept = HashMap.filter(sessions, (hash, id) => id === sessionId || hash.u !== userId)
            return [Option.some(HashMap.size(sweep(sessions, now)) - HashMap.size(sweep(kept, now))), kept] as const
          }),
        get: (sessionId, touch) => modify((sessions, now) => read(sessions, sessionId, now, touch)),
        exists: (sessionId) =>
          modify((sessions, now) => {
            const hash = HashMap.get(sessions, sessionId)
            return [Option.isSome(hash) && !isExpired(hash.value, now), sessions] as const
          }),
        update: (sessionId, fields) =>
          modify((sessions, now) => {
            const [current] = read(sessions, sessionId, now, false)
            if (Option.isNone(current)) return [current, sessions] as const
            const hash: Record<string, string> = { ...current.value.hash }
            for (const [name, value] of fields) hash[name] = value
            return [Option.some({ now, hash }), HashMap.set(sessions, sessionId, hash)] as const
          }),
        kill: (sessionId) =>
          modify((sessions, now) => {
            const hash = HashMap.get(sessions, sessionId)
            return [Option.isSome(hash) && !isExpired(hash.value, now), HashMap.remove(sessions, sessionId)] as const
          }),
        killUser: (userId) =>
          modify((sessions, now) => {
            const kept = HashMap.filter(sessions, (hash) => hash.u !== userId)
            return [HashMap.size(sweep(sessions, now)) - HashMap.size(sweep(kept, now)), kept] as const
          }),
        killAll: modify((sessions, now) =>
          [HashMap.size(sweep(sessions, now)), HashMap.empty<string, Hash>()] as const
        ),
        wipe: modify((sessions, now) => {
          const live = sweep(sessions, now)
          return [HashMap.size(sessions) - HashMap.size(live), live] as const
        }),
        count: (query) =>
          Effect.map(
            list(
              query.userId === undefined
                ? { index: "sessions", windowMs: query.windowMs }
                : { index: "userSessions", userId: query.userId, windowMs: query.windowMs }
            ),
            (ids) => ids.length
          ),
        list,
        oldest: (userId, touch) =>
          modify((sessions, now) => {
            const live = sweep(sessions, now)
            const first = indexEntries(live, { index: "userSessions", userId, windowMs: 0 })[0]
            if (first === undefined) return [Option.none(), live] as const
            const [result, next] = read(live, first[0], now, touch)
            return [Option.map(result, (read) => ({ ...read, sessionId: first[0] })), next] as const
          })
      }
    }
  })
)
