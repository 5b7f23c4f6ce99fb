/**
 * The in-memory implementation of the store port: each session is a plain value, and the indexes
 * are derived from the sessions when asked. Time comes from Effect's `Clock` (so `TestClock` drives
 * expiry). Every operation is one `Ref.modify`, which makes it atomic like a Redis script.
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
  NewSession,
  RedisClientService,
  SessionRead,
  SessionStore,
  StoredSession
} from "../SessionStore.js"
import { manyOneByOne, rotatedIdReach, shardsMismatch } from "../SessionStore.js"
import { idOf, newToken } from "./ids.js"
import { byScoreThenMember } from "./sortedSetOrder.js"

/** One session: what it was created with, its last access, its additional fields and data. */
interface Entry {
  readonly userId: string
  readonly createdAt: number
  readonly lastAccess: number
  readonly ttl: number
  readonly deadline: number
  readonly fields: Readonly<Record<string, string>>
  readonly data: ReadonlyMap<string, string>
}

type Sessions = HashMap.HashMap<string, Entry>

/** A rotated session's old id: the id it moved to, until when (unix ms). */
interface Forward {
  readonly to: string
  readonly until: number
}

/** One namespace: its sessions, and the forwards of rotated ids. */
interface Space {
  readonly sessions: Sessions
  readonly forwards: HashMap.HashMap<string, Forward>
}

const emptySpace: Space = { sessions: HashMap.empty(), forwards: HashMap.empty() }

/** When a session accessed at `at` expires: after its idle ttl or at its deadline, whichever first (0: never). */
const expiry = (at: number, ttl: number, deadline: number): number => {
  const idle = ttl > 0 ? at + ttl : 0
  return deadline > 0 && (idle === 0 || deadline < idle) ? deadline : idle
}

const expiresOf = (entry: Entry) => expiry(entry.lastAccess, entry.ttl, entry.deadline)

const isExpired = (entry: Entry, now: number): boolean => {
  const expires = expiresOf(entry)
  return expires > 0 && expires <= now
}

/** Bytes of data keys and values, as the Redis scripts count them. */
const dataSize = (data: ReadonlyMap<string, string>): number => {
  let size = 0
  for (const [key, value] of data) size += Buffer.byteLength(key) + Buffer.byteLength(value)
  return size
}

/** Removes expired sessions, like the Redis scripts' sweep. */
const sweep = (sessions: Sessions, now: number): Sessions => HashMap.filter(sessions, (entry) => !isExpired(entry, now))

const indexEntries = (sessions: Sessions, query: ListQuery): Array<readonly [string, number]> => {
  const entries: Array<readonly [string, number]> = []
  if (query.index === "users") {
    const latest = new Map<string, number>()
    for (const entry of HashMap.values(sessions)) {
      latest.set(entry.userId, Math.max(latest.get(entry.userId) ?? -Infinity, entry.lastAccess))
    }
    for (const pair of latest) entries.push(pair)
  } else {
    for (const [id, entry] of sessions) {
      if (query.index === "sessions" || entry.userId === query.userId) entries.push([id, entry.lastAccess])
    }
  }
  return entries.sort(byScoreThenMember)
}

/** Makes the in-memory `RedisClient` service; each call starts empty. */
export const make: Effect.Effect<RedisClientService> = Effect.map(
  Effect.all([
    Ref.make(HashMap.empty<string, Space>()),
    Ref.make(HashMap.empty<string, number>())
  ]),
  ([state, recordedShards]) => ({
    open: ({ fieldNames, namespace, shards }) =>
      Effect.flatMap(
        Ref.modify(recordedShards, (recorded): [number, HashMap.HashMap<string, number>] => {
          const known = HashMap.get(recorded, namespace)
          return Option.isSome(known) ? [known.value, recorded] : [shards, HashMap.set(recorded, namespace, shards)]
        }),
        (recorded) =>
          recorded === shards
            ? Effect.succeed(namespaceStore(state, namespace, fieldNames))
            : Effect.fail(shardsMismatch(namespace, recorded, shards))
      )
  })
)

const namespaceStore = (
  state: Ref.Ref<HashMap.HashMap<string, Space>>,
  namespace: string,
  fieldNames: ReadonlyArray<string>
): SessionStore => {
  /** Runs `f` on this namespace at the clock's time, atomically. */
  const modifySpace = <A>(f: (space: Space, now: number) => readonly [A, Space]) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Ref.modify(state, (all): [A, HashMap.HashMap<string, Space>] => {
        const [result, next] = f(Option.getOrElse(HashMap.get(all, namespace), () => emptySpace), now)
        return [result, HashMap.set(all, namespace, next)]
      }))

  /** Runs `f` on this namespace's sessions at the clock's time, atomically. */
  const modify = <A>(f: (sessions: Sessions, now: number) => readonly [A, Sessions]) =>
    modifySpace((space, now) => {
      const [result, sessions] = f(space.sessions, now)
      return [result, { ...space, sessions }] as const
    })

  /** The session as a read returns it: the declared fields it has. */
  const stored = (sessionId: string, entry: Entry): StoredSession => {
    const fields: Record<string, string> = {}
    for (const name of fieldNames) {
      const value = entry.fields[name]
      if (value !== undefined) fields[name] = value
    }
    return {
      sessionId,
      userId: entry.userId,
      createdAt: entry.createdAt,
      lastAccess: entry.lastAccess,
      ttl: entry.ttl,
      expires: expiresOf(entry),
      deadline: entry.deadline,
      fields
    }
  }

  /**
   * A live session, or `None` (an expired one is removed when `touch`, as a Redis read removes it);
   * a touch is skipped while the last access is more recent than `touchAfter` ms.
   */
  const read = (sessions: Sessions, sessionId: string, now: number, touch: boolean, touchAfter = 0) => {
    const entry = HashMap.get(sessions, sessionId)
    if (Option.isNone(entry)) return [Option.none<Entry>(), sessions] as const
    if (isExpired(entry.value, now)) {
      return [Option.none<Entry>(), touch ? HashMap.remove(sessions, sessionId) : sessions] as const
    }
    if (!touch || now - entry.value.lastAccess < touchAfter) return [entry, sessions] as const
    const next = { ...entry.value, lastAccess: now }
    return [Option.some(next), HashMap.set(sessions, sessionId, next)] as const
  }

  const readAs = (sessionId: string, now: number) => (entry: Entry): SessionRead => ({
    now,
    session: stored(sessionId, entry)
  })

  /** Runs `f` on a live session's entry (not touching it); `None` when it is not live. */
  const onLive = <A>(
    sessionId: string,
    f: (entry: Entry, sessions: Sessions, now: number) => readonly [A, Sessions]
  ) =>
    modify((sessions, now): readonly [Option.Option<A>, Sessions] => {
      const [entry] = read(sessions, sessionId, now, false)
      if (Option.isNone(entry)) return [Option.none(), sessions]
      const [result, next] = f(entry.value, sessions, now)
      return [Option.some(result), next]
    })

  const list = (query: ListQuery) =>
    modify((sessions, now) => {
      const live = sweep(sessions, now)
      const from = query.windowMs > 0 ? now - query.windowMs : -Infinity
      const ids = indexEntries(live, query).filter(([, score]) => score >= from).map(([id]) => id)
      return [ids, live] as const
    })

  /** How many live sessions `sessions` has that `kept` has not. */
  const liveRemoved = (sessions: Sessions, kept: Sessions, now: number) =>
    HashMap.size(sweep(sessions, now)) - HashMap.size(sweep(kept, now))

  /** Removes the sessions `keep` refuses; returns how many of them were live. */
  const removeWhere = (keep: (entry: Entry, id: string) => boolean) =>
    modify((sessions, now) => {
      const kept = HashMap.filter(sessions, keep)
      return [liveRemoved(sessions, kept, now), kept] as const
    })

  const store: Omit<SessionStore, "many"> = {
    now: Clock.currentTimeMillis,
    create: ({ fields, lifetime, limit, ttl, userId }) =>
      Effect.suspend(() => {
        const token = newToken(0, 1)
        const sessionId = idOf(token)
        return Effect.flatMap(
          modify((all, now): readonly [Option.Option<CreateResult>, Sessions] => {
            if (HashMap.has(all, sessionId)) return [Option.none(), all]
            let sessions = all
            if (limit !== undefined) {
              // the user's expired sessions go first; then the least recently accessed make room
              sessions = HashMap.filter(sessions, (entry) => entry.userId !== userId || !isExpired(entry, now))
              const live = indexEntries(sessions, { index: "userSessions", userId, windowMs: 0 })
              const over = live.length - limit.max + 1
              if (over > 0) {
                if (limit.policy === "refuse") return [Option.some({ _tag: "LimitReached" }), sessions]
                for (const [id] of live.slice(0, over)) sessions = HashMap.remove(sessions, id)
              }
            }
            const entry: Entry = {
              userId,
              createdAt: now,
              lastAccess: now,
              ttl,
              deadline: lifetime > 0 ? now + lifetime : 0,
              fields: Object.fromEntries(fields),
              data: new Map()
            }
            return [
              Option.some({ _tag: "Created", created: { token, read: readAs(sessionId, now)(entry) } }),
              HashMap.set(sessions, sessionId, entry)
            ]
          }),
          Option.match({
            onNone: () => Effect.fail(new RedisError({ message: "Session id already exists" })),
            onSome: Effect.succeed
          })
        )
      }),
    get: (sessionId, touch, touchAfter) =>
      modify((sessions, now) => {
        const [entry, next] = read(sessions, sessionId, now, touch, touchAfter)
        return [Option.map(entry, readAs(sessionId, now)), next] as const
      }),
    exists: (sessionId) =>
      modify((sessions, now) => {
        const entry = HashMap.get(sessions, sessionId)
        return [Option.isSome(entry) && !isExpired(entry.value, now), sessions] as const
      }),
    update: (sessionId, fields) =>
      onLive(sessionId, (entry, sessions, now) => {
        const next: Entry = { ...entry, fields: { ...entry.fields, ...Object.fromEntries(fields) } }
        return [readAs(sessionId, now)(next), HashMap.set(sessions, sessionId, next)] as const
      }),
    rotate: (sessionId) =>
      Effect.suspend(() => {
        const token = newToken(0, 1)
        const newId = idOf(token)
        return Effect.flatMap(
          modifySpace((space, now): readonly [Option.Option<Option.Option<NewSession>>, Space] => {
            const [entry, sessions] = read(space.sessions, sessionId, now, true)
            if (Option.isNone(entry)) return [Option.some(Option.none()), { ...space, sessions }]
            if (HashMap.has(sessions, newId)) return [Option.none(), { ...space, sessions }]
            return [Option.some(Option.some({ token, read: readAs(newId, now)(entry.value) })), {
              sessions: HashMap.set(HashMap.remove(sessions, sessionId), newId, entry.value),
              forwards: HashMap.set(space.forwards, sessionId, { to: newId, until: now + rotatedIdReach })
            }]
          }),
          Option.match({
            onNone: () => Effect.fail(new RedisError({ message: "Session id already exists" })),
            onSome: Effect.succeed
          })
        )
      }),
    killOthers: (sessionId) =>
      onLive(sessionId, (entry, sessions, now) => {
        const kept = HashMap.filter(sessions, (other, id) => id === sessionId || other.userId !== entry.userId)
        return [liveRemoved(sessions, kept, now), kept] as const
      }),
    dataSet: (sessionId, entries, { maxBytes, maxKeys }) =>
      onLive(sessionId, (entry, sessions): readonly [DataSetResult, Sessions] => {
        const data = new Map(entry.data)
        for (const [key, value] of entries) data.set(key, value)
        const size = dataSize(data)
        if (maxBytes > 0 && size > maxBytes) return [{ _tag: "TooLarge", size }, sessions]
        if (maxKeys > 0 && data.size > maxKeys) return [{ _tag: "TooMany", count: data.size }, sessions]
        return [{ _tag: "Written", written: entries.length }, HashMap.set(sessions, sessionId, { ...entry, data })]
      }),
    dataGet: (sessionId, keys) =>
      onLive(sessionId, (entry, sessions) => [keys.map((key) => entry.data.get(key)), sessions]),
    dataGetAll: (sessionId) => onLive(sessionId, (entry, sessions) => [[...entry.data], sessions]),
    dataRemove: (sessionId, keys) =>
      onLive(sessionId, (entry, sessions) => {
        const data = new Map(entry.data)
        let removed = 0
        for (const key of new Set(keys)) if (data.delete(key)) removed++
        return [removed, HashMap.set(sessions, sessionId, { ...entry, data })]
      }),
    kill: (sessionId) =>
      modifySpace((space, now) => {
        // the session, and where it moved to when rotated within the reach, along the chain
        let { forwards, sessions } = space
        let alive = false
        let id: string | undefined = sessionId
        for (let hops = 0; id !== undefined && hops < 100; hops++) {
          const entry: Option.Option<Entry> = HashMap.get(sessions, id)
          if (Option.isSome(entry) && !isExpired(entry.value, now)) alive = true
          sessions = HashMap.remove(sessions, id)
          const forward: Option.Option<Forward> = HashMap.get(forwards, id)
          forwards = HashMap.remove(forwards, id)
          id = Option.isSome(forward) && forward.value.until > now ? forward.value.to : undefined
        }
        return [alive, { sessions, forwards }] as const
      }),
    killUser: (userId) => removeWhere((entry) => entry.userId !== userId),
    killAll: removeWhere(() => false),
    // the forwards of rotated ids go too once past their reach, as Redis expires them
    wipe: modifySpace(({ forwards, sessions }, now) => {
      const live = sweep(sessions, now)
      return [HashMap.size(sessions) - HashMap.size(live), {
        sessions: live,
        forwards: HashMap.filter(forwards, (forward) => forward.until > now)
      }] as const
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
        const [entry, next] = read(live, first[0], now, touch)
        return [Option.map(entry, readAs(first[0], now)), next] as const
      })
  }
  return { ...store, many: manyOneByOne(store) }
}
