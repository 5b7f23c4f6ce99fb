/**
 * Concurrency invariants and the differential test. A seeded, randomized storm of operations from
 * many fibers and two manager instances on one namespace, then a check of everything the indexes
 * promise (on Redis, over the raw keyspace too). And one random sequence run on the in-memory
 * fake and on Redis, whose observable results must be the same.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/TestClock"
import { inject } from "vitest"
import * as RedisLayer from "../src/RedisLayer.js"
import * as SessionManager from "../src/SessionManager.js"
import { uniqueNamespace } from "./utils/backends.js"
import { keyspaceViolations } from "./utils/keyspace.js"
import { rawClient } from "./utils/redisClient.js"

/** A small seeded PRNG (mulberry32), so a failing storm can be replayed. */
const random = (seed: number) => {
  let state = seed >>> 0
  return (n: number): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296 * n) | 0
  }
}

const fields = { level: Schema.Number }

type Manager = SessionManager.SessionManagerService<{ readonly level: number }>

/** A session a worker knows: its id and its token. */
interface Known {
  readonly id: string
  readonly token: string
}

/** A well-formed id and token of no session. */
const nobody: Known = { id: "AAAAAAAAAAAAAAAA", token: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }

/** Two managers on one namespace and a way to move their shared clock. */
interface Pair {
  readonly a: Manager
  readonly b: Manager
  readonly advance: (seconds: number) => Effect.Effect<void>
  readonly namespace: string
}

const memoryPair = Effect.gen(function*() {
  const namespace = uniqueNamespace("storm")
  const context = yield* Layer.build(RedisLayer.layerMemory)
  const make = SessionManager.make({ namespace, additionalFields: fields, wipeInterval: 0 }).pipe(
    Effect.provide(context)
  )
  return {
    a: yield* make,
    b: yield* make,
    advance: (seconds: number) => TestClock.adjust(Duration.millis(seconds * 1000)),
    namespace
  } satisfies Pair
})

const redisPair = (shards = 1) =>
  Effect.gen(function*() {
    const namespace = uniqueNamespace("storm")
    const offset = yield* Ref.make(0)
    const connection = () =>
      Layer.build(RedisLayer.layer({ url: inject("redisUrl"), clockOffset: Ref.get(offset) })).pipe(
        Effect.flatMap((context) =>
          SessionManager.make({ namespace, additionalFields: fields, wipeInterval: 0, shards }).pipe(
            Effect.provide(context)
          )
        )
      )
    return {
      a: yield* connection(),
      b: yield* connection(),
      advance: (seconds: number) => Ref.update(offset, (ms) => ms + seconds * 1000),
      namespace
    } satisfies Pair
  })

/** Runs `fibers` concurrent workers of `steps` random operations each; returns the ids known dead. */
const storm = (pair: Pair, seed: number, fibers: number, steps: number) =>
  Effect.gen(function*() {
    const dead = new Set<string>()
    const known: Array<Known> = []
    const worker = (w: number) =>
      Effect.gen(function*() {
        const next = random(seed * 1000 + w)
        const sm = w % 2 === 0 ? pair.a : pair.b
        for (let step = 0; step < steps; step++) {
          const { id, token } = known.length > 0 ? known[next(known.length)]! : nobody
          const user = `u${next(6)}`
          switch (next(12)) {
            case 0:
            case 1:
            case 2: {
              const ttl = [0, 4, 30][next(3)]!
              const s = yield* sm.create(user, { ttl, fields: { level: next(5) } })
              known.push({ id: s.sessionId, token: Redacted.value(s.token) })
              break
            }
            case 3:
              yield* Effect.either(sm.get(token))
              break
            case 4:
              yield* Effect.either(sm.write(id, { level: next(5) }))
              break
            case 5:
              yield* Effect.either(sm.setData(token, { n: step, w }))
              break
            case 6:
              yield* sm.kill(id)
              dead.add(id)
              dead.add(token)
              break
            case 7:
              if (next(4) === 0) yield* sm.killUser(user)
              break
            case 8: {
              const rotated = yield* Effect.either(sm.rotate(token))
              if (rotated._tag === "Right") {
                dead.add(id)
                dead.add(token)
                known.push({ id: rotated.right.sessionId, token: Redacted.value(rotated.right.token) })
              }
              break
            }
            case 9:
              if (next(3) === 0) yield* Effect.either(sm.killOtherSessions(id))
              break
            case 10:
              yield* sm.wipe
              break
            case 11:
              if (w === 0) yield* pair.advance(1 + next(3))
              break
          }
        }
      })
    yield* Effect.all(Array.from({ length: fibers }, (_, w) => worker(w)), { concurrency: "unbounded" })
    return dead
  })

/** Everything the indexes promise, checked through the public API. */
const checkInvariants = (sm: Manager, dead: ReadonlySet<string>) =>
  Effect.gen(function*() {
    const sessions = yield* sm.getAllSessions()
    assert.strictEqual(yield* sm.count(), sessions.length)
    const users = new Map<string, number>()
    for (const id of sessions) {
      assert.isFalse(dead.has(id), `killed session ${id} came back`)
      const session = yield* sm.inspect(id)
      users.set(session.userId, (users.get(session.userId) ?? 0) + 1)
    }
    assert.deepStrictEqual([...(yield* sm.getAllUsers())].sort(), [...users.keys()].sort())
    for (const [user, n] of users) assert.strictEqual(yield* sm.countForUser(user), n, user)
    for (const token of dead) {
      if (token.length > 27) assert.isFalse(yield* sm.exists(token), "a killed session's token still works")
    }
  })

describe("concurrency storm", () => {
  it.scoped("memory: invariants hold after a storm from two managers", () =>
    Effect.gen(function*() {
      const pair = yield* memoryPair
      const dead = yield* storm(pair, 1, 8, 80)
      yield* checkInvariants(pair.a, dead)
    }))

  it.scoped("redis, 4 shards: invariants hold after a storm from two connections, over the raw keyspace too", () =>
    Effect.gen(function*() {
      const pair = yield* redisPair(4)
      const raw = yield* rawClient(inject("redisUrl"))
      for (const seed of [1, 2, 3]) {
        const dead = yield* storm(pair, seed, 8, 80)
        assert.deepStrictEqual(yield* Effect.promise(() => keyspaceViolations(raw, pair.namespace)), [], `seed ${seed}`)
        yield* checkInvariants(pair.a, dead)
      }
    }))
})

/** Runs a sequential random script and records what a caller can observe, ids by creation order. */
const observe = (pair: Pair, seed: number, steps: number) =>
  Effect.gen(function*() {
    const next = random(seed)
    const ids: Array<string> = []
    const tokens: Array<string> = []
    const name = (id: string) => {
      const index = ids.indexOf(id)
      return index < 0 ? `?${id}` : `s${index}`
    }
    const names = (list: ReadonlyArray<string>) => list.map(name)
    const outcome = <A>(effect: Effect.Effect<A, { readonly _tag: string }>, show: (a: A) => unknown = (a) => a) =>
      Effect.match(effect, { onFailure: (e) => `error ${e._tag}`, onSuccess: show })
    const log: Array<unknown> = []
    for (let step = 0; step < steps; step++) {
      yield* pair.advance(1)
      const sm = step % 2 === 0 ? pair.a : pair.b
      const pick = ids.length > 0 ? next(ids.length) : -1
      const id = pick < 0 ? nobody.id : ids[pick]!
      const token = pick < 0 ? nobody.token : tokens[pick]!
      const user = `u${next(4)}`
      const window = [0, 2.5, 6.5][next(3)]!
      const op = next(14)
      switch (op) {
        case 0:
        case 1:
        case 2: {
          const s = yield* sm.create(user, { ttl: [0, 3, 8][next(3)]!, fields: { level: next(9) } })
          ids.push(s.sessionId)
          tokens.push(Redacted.value(s.token))
          log.push([op, name(s.sessionId)])
          break
        }
        case 3:
          log.push([op, yield* outcome(sm.get(token), (s) => [s.userId, s.fields.level])])
          break
        case 4:
          log.push([op, yield* outcome(sm.inspect(id), (s) => s.userId)])
          break
        case 5:
          log.push([op, yield* sm.exists(token)])
          break
        case 6:
          yield* sm.kill(id)
          log.push([op])
          break
        case 7:
          log.push([op, yield* sm.killUser(user)])
          break
        case 8:
          log.push([op, yield* sm.count(window), yield* sm.countForUser(user, window)])
          break
        case 9:
          log.push([op, names(yield* sm.getAllSessions(window)), yield* sm.getAllUsers(window)])
          break
        case 10:
          log.push([op, names(yield* sm.getUserSessions(user, window))])
          break
        case 11:
          log.push([
            op,
            yield* outcome(sm.getOldestUserSession(user), (s) => s._tag === "Some" ? name(s.value.sessionId) : "none")
          ])
          break
        case 12: {
          const rotated = yield* Effect.either(sm.rotate(token))
          if (rotated._tag === "Right") {
            ids[pick] = rotated.right.sessionId
            tokens[pick] = Redacted.value(rotated.right.token)
          }
          log.push([op, rotated._tag])
          break
        }
        case 13:
          log.push([op, yield* outcome(sm.setData(token, "k", step)), yield* outcome(sm.getData(token, "k"))])
          break
      }
    }
    return log
  })

describe("differential", () => {
  it.scoped("the in-memory fake, Redis and Redis with 4 shards agree on random operation sequences", () =>
    Effect.gen(function*() {
      for (const seed of [11, 12, 13]) {
        const fromMemory = yield* Effect.flatMap(memoryPair, (pair) => observe(pair, seed, 150))
        const fromRedis = yield* Effect.flatMap(redisPair(1), (pair) => observe(pair, seed, 150))
        const fromShards = yield* Effect.flatMap(redisPair(4), (pair) => observe(pair, seed, 150))
        // the logs hold Options (getData): compared by a deep equality that tells Some from None
        assert.deepStrictEqual(fromRedis, fromMemory, `seed ${seed}`)
        assert.deepStrictEqual(fromShards, fromRedis, `seed ${seed}, 4 shards`)
      }
    }))
})
