/**
 * The things measured, behind one promise-returning interface: this library through a
 * `ManagedRuntime` edge, redisess 2.6, and raw ioredis calls (the baselines and the library's own
 * scripts sent directly, to separate the Lua cost from the Effect cost).
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { Redis } from "ioredis"
import { randomBytes } from "node:crypto"
import { SessionManager as Redisess } from "redisess"
import { dataPrefix, sessionField } from "../src/internal/redis/format.js"
import { keyspace } from "../src/internal/redis/keys.js"
import type { SessionManagerService } from "../src/SessionManager.js"
import { internals, PromiseApi, RedisLayer, SessionManager } from "./library.js"

/** The two additional fields of the "with fields" shape. */
export type BenchFields = {
  readonly groupId: number
  readonly peerIp: string
}

/** The data key and value of the data suite: one key holding a 30-character string. */
export const benchData = { key: "prefs", value: "en-GB;theme=dark;tz=Europe/Ldn" } as const

/** One session's data, through a handle made before the timing (redisess: its `Session` object). */
export interface DataHandle {
  readonly set: (key: string, value: string) => Promise<unknown>
  readonly get: (key: string) => Promise<unknown>
}

/** The operations both session managers offer, as promises. */
export interface Sessions {
  readonly create: (userId: string, fields?: BenchFields) => Promise<string>
  readonly get: (sessionId: string, noUpdate: boolean) => Promise<unknown>
  readonly exists: (sessionId: string) => Promise<boolean>
  readonly kill: (sessionId: string) => Promise<void>
  readonly killUser: (userId: string) => Promise<void>
  readonly count: (secs?: number) => Promise<number>
  readonly getAllSessions: (secs?: number) => Promise<ReadonlyArray<string>>
  readonly getAllUsers: (secs?: number) => Promise<ReadonlyArray<string>>
  /** A data handle on an existing session (redisess: `get(sessionId, true)`, failing when it does not exist). */
  readonly dataHandle: (sessionId: string) => Promise<DataHandle>
  readonly close: () => Promise<void>
}

/** This library; with a movable clock (`clock.offsetMs`) where made with `movableClock`, for the wipe benchmark. */
export interface LibSessions extends Sessions {
  readonly clock: { offsetMs: number } | undefined
  /** Runs a raw call through the same edge, `runtime.runPromise(Effect.promise(call))`: the edge's own cost. */
  readonly edge: <A>(call: () => Promise<A>) => Promise<A>
  /**
   * Runs `op(sm, 0..n-1)` on `concurrency` fibers inside one `runtime.runPromise`: the library as
   * an Effect program calls it (an HTTP handler on `@effect/platform`, say), with no edge per operation.
   */
  readonly inFibers: (
    n: number,
    concurrency: number,
    op: (sm: SessionManagerService, i: number) => Effect.Effect<unknown, unknown>
  ) => Promise<void>
  readonly wipe: () => Promise<number>
  /**
   * The same operations through `PromiseApi` on the same runtime: calls made together run as one
   * program (what the library offers callers outside Effect).
   */
  readonly promises: Sessions
}

/** A fresh ioredis connection. */
export const connect = async (url: string): Promise<Redis> => {
  const client = new Redis(url, { lazyConnect: true })
  client.on("error", () => {}) // failures reach the caller as rejected commands
  await client.connect()
  return client
}

const benchFieldSchemas = { groupId: Schema.Number, peerIp: Schema.String }

/**
 * effect-redisess: `RedisLayer.layer` + `SessionManager.layer` in a `ManagedRuntime`, one `runPromise` per call.
 * A `movableClock` (the store's `clockOffset`, read on every call) only where a benchmark moves it: an app has none.
 */
export const lib = async (
  url: string,
  namespace: string,
  options: { readonly withFields?: boolean; readonly nativeTtl?: boolean; readonly movableClock?: boolean } = {}
): Promise<LibSessions> => {
  const clock = options.movableClock === true ? { offsetMs: 0 } : undefined
  const sessions = SessionManager.layer({
    namespace,
    ttl: 1800,
    wipeInterval: 0,
    ...(options.withFields === true ? { additionalFields: benchFieldSchemas } : {})
  }).pipe(Layer.provide(RedisLayer.layer({
    url,
    ...(clock === undefined ? {} : { clockOffset: Effect.sync(() => clock.offsetMs) }),
    ...(options.nativeTtl === false ? { nativeTtl: false } : {}),
    // 64 listings of 100,000 ids in flight queue pages behind each other: no 2 s call timeout here
    timeout: "60 seconds"
  })))
  const runtime = ManagedRuntime.make(sessions)
  const sm = await runtime.runPromise(SessionManager.SessionManager)
  const api = await runtime.runPromise(PromiseApi.make)
  return {
    promises: {
      create: (userId, fields) =>
        api.create(userId, fields === undefined ? {} : { fields }).then((s) => Redacted.value(s.token)),
      get: (sessionId, noUpdate) => api.get(sessionId, { noUpdate }),
      exists: (sessionId) => api.exists(sessionId),
      kill: (sessionId) => api.kill(sessionId),
      killUser: (userId) => api.killUser(userId).then(() => undefined),
      count: (secs) => api.count(secs),
      getAllSessions: (secs) => api.getAllSessions(secs),
      getAllUsers: (secs) => api.getAllUsers(secs),
      dataHandle: (sessionId) =>
        Promise.resolve({
          set: (key, value) => api.setData(sessionId, key, value),
          get: (key) => api.getData(sessionId, key)
        }),
      close: () => Promise.resolve()
    },
    clock,
    edge: (f) => runtime.runPromise(Effect.promise(f)),
    inFibers: (n, concurrency, op) => {
      let next = 0
      const worker: Effect.Effect<void, unknown> = Effect.suspend(() => {
        const i = next++
        return i < n ? Effect.zipRight(op(sm, i), worker) : Effect.void
      })
      return runtime.runPromise(
        Effect.all(Array.from({ length: Math.min(concurrency, n) }, () => worker), {
          concurrency: "unbounded",
          discard: true
        })
      )
    },
    create: (userId, fields) =>
      runtime.runPromise(sm.create(userId, fields === undefined ? {} : { fields })).then((s) =>
        Redacted.value(s.token)
      ),
    get: (sessionId, noUpdate) => runtime.runPromise(sm.get(sessionId, { noUpdate })),
    exists: (sessionId) => runtime.runPromise(sm.exists(sessionId)),
    kill: (sessionId) => runtime.runPromise(sm.kill(sessionId)),
    killUser: (userId) => runtime.runPromise(sm.killUser(userId)).then(() => undefined),
    count: (secs) => runtime.runPromise(sm.count(secs)),
    getAllSessions: (secs) => runtime.runPromise(sm.getAllSessions(secs)),
    getAllUsers: (secs) => runtime.runPromise(sm.getAllUsers(secs)),
    dataHandle: (sessionId) =>
      Promise.resolve({
        set: (key, value) => runtime.runPromise(sm.setData(sessionId, key, value)),
        get: (key) => runtime.runPromise(sm.getData(sessionId, key))
      }),
    wipe: () => runtime.runPromise(sm.wipe),
    close: () => runtime.dispose()
  }
}

/** redisess 2.6 on its own ioredis connection (its wipe timer pushed out of the way). */
export const redisess = async (
  url: string,
  namespace: string,
  options: { readonly withFields?: boolean } = {}
): Promise<Sessions> => {
  const client = await connect(url)
  const sm = new Redisess(client, {
    namespace,
    ttl: 1800,
    wipeInterval: 3_600_000,
    ...(options.withFields === true ? { additionalFields: ["groupId", "peerIp"] } : {})
  })
  return {
    create: (userId, fields) => sm.create(userId, fields === undefined ? {} : { ...fields }).then((s) => s.sessionId),
    get: (sessionId, noUpdate) => sm.get(sessionId, noUpdate),
    exists: (sessionId) => sm.exists(sessionId).then(Boolean),
    kill: (sessionId) => sm.kill(sessionId),
    killUser: (userId) => sm.killUser(userId),
    count: (secs) => sm.count(secs),
    getAllSessions: (secs) => sm.getAllSessions(secs),
    getAllUsers: (secs) => sm.getAllUsers(secs),
    dataHandle: async (sessionId) => {
      const session = await sm.get(sessionId, true)
      if (session === undefined) throw new Error(`redisess: no session ${sessionId}`)
      return session
    },
    close: async () => {
      sm.quit()
      await client.quit()
    }
  }
}

/** The baseline touch: HSET of 2 fields and 3 ZADD, what a minimal sliding session costs. */
export const touchSource = `
redis.call('HSET', KEYS[1], 'a', ARGV[1], 'x', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[1], ARGV[3])
return 1
`

/** A new session id in the library's format (16 URL-safe characters). */
export const newSessionId = (): string => randomBytes(12).toString("base64url")

/** The Redis calls of one operation of the library, replayable with another session id and user id. */
type Replay = (sessionId: string, userId: string) => Promise<unknown>

const captureUser = "bench-capture-user"

/**
 * Records the Redis calls the library sends for create, get (touch / no touch), exists, kill and
 * the data set / get of `benchData` (by running each once through the library on a recording
 * connection), and returns replays of them on `client`: the library's own commands and arguments,
 * whatever its current version sends, without Effect. A script call (FCALL, or EVALSHA where the
 * library is not loaded) is replayed as one command; the plain reads' HMGET between two TIMEs as
 * the same three commands in one write.
 */
const captureLibScripts = async (url: string, namespace: string, client: Redis) => {
  const recorder = await connect(url)
  /** The commands sent since the last `record` began: name, then arguments. */
  let sent: Array<ReadonlyArray<string>> = []
  const send = recorder.sendCommand.bind(recorder)
  recorder.sendCommand = (...args: Parameters<Redis["sendCommand"]>) => {
    sent.push([args[0].name, ...args[0].args.map(String)])
    return send(...args)
  }
  const runtime = ManagedRuntime.make(
    SessionManager.layer({ namespace, ttl: 1800, wipeInterval: 0 }).pipe(
      Layer.provide(RedisLayer.layerFromClient(recorder))
    )
  )
  const sm = await runtime.runPromise(SessionManager.SessionManager)
  /** Runs one operation, then turns the calls it sent into a replay (`idOf`: the session id it used). */
  const record = async <A>(run: Effect.Effect<A, unknown>, idOf: (a: A) => string): Promise<Replay> => {
    sent = []
    const sessionId = idOf(await runtime.runPromise(run))
    if (sent.length === 0) throw new Error("the library sent nothing")
    // each argument: a constant, or its parts around the recorded session id and user id, joined again on replay
    const commands = sent.map(([name, ...rest]) => ({
      name: name!,
      args: rest.map((arg): (sid: string, uid: string) => string => {
        if (!arg.includes(sessionId) && !arg.includes(captureUser)) return () => arg
        const parts = arg.split(sessionId).map((piece) => piece.split(captureUser))
        return (sid, uid) => parts.map((pieces) => pieces.join(uid)).join(sid)
      })
    }))
    const [only] = commands
    if (commands.length === 1) return (sid, uid) => client.call(only!.name, ...only!.args.map((arg) => arg(sid, uid)))
    // several commands (the plain reads' TIME, HMGET, TIME): written in one go, as the library does
    return (sid, uid) => {
      client.stream.cork()
      const replies = commands.map(({ args, name }) => client.call(name, ...args.map((arg) => arg(sid, uid))))
      client.stream.uncork()
      return Promise.all(replies)
    }
  }
  let id = ""
  let token = ""
  const create = await record(sm.create(captureUser), (session) => {
    token = Redacted.value(session.token)
    return (id = session.sessionId)
  })
  const replays = {
    create,
    get: await record(sm.get(token), () => id),
    getNoUpdate: await record(sm.get(token, { noUpdate: true }), () => id),
    exists: await record(sm.exists(token), () => id),
    dataSet: await record(sm.setData(token, benchData.key, benchData.value), () => id),
    dataGet: await record(sm.getData(token, benchData.key), () => id),
    kill: await record(sm.kill(id), () => id)
  }
  await runtime.runPromise(sm.killUser(captureUser))
  await runtime.dispose()
  await recorder.quit()
  return replays
}

/** Raw ioredis: the baselines, and the library's own scripts sent without Effect. */
export const raw = async (url: string, rawNamespace: string, libNamespace: string) => {
  const client = await connect(url)
  const touchSha = String(await client.script("LOAD", touchSource))
  const rk = keyspace(rawNamespace)
  const ks = keyspace(libNamespace)
  const lib = await captureLibScripts(url, libNamespace, client)
  const { HashReads, Ids, Store } = internals
  const bareReads = HashReads.make(client, true).shard()
  return {
    client,
    /** EVALSHA of the small touch script (new or existing id, user `userId`). */
    touch: (sessionId: string, userId: string) => {
      const now = Date.now()
      return client.evalsha(
        touchSha,
        4,
        rk.session(sessionId),
        rk.activity,
        rk.expiries,
        rk.user(userId),
        String(now),
        String(now + 1_800_000),
        sessionId
      )
    },
    /** HSET of one data field (`d:<key>`, the library's encoding of the value) of a raw session hash (made by `touch`). */
    hsetData: (sessionId: string) =>
      client.hset(rk.session(sessionId), `${dataPrefix}${benchData.key}`, `s${benchData.value}`),
    /** HGET of that field. */
    hgetData: (sessionId: string) => client.hget(rk.session(sessionId), `${dataPrefix}${benchData.key}`),
    /** HGETALL of one of the library's session hashes. */
    hgetall: (sessionId: string) => client.hgetall(ks.session(sessionId)),
    /**
     * ZCOUNT of the library's index of sessions within a window (0: all): its regular index, where
     * sessions on the namespace's default ttl (all of the benchmark's) are.
     */
    zcount: (secs: number) => client.zcount(ks.regular, secs === 0 ? "-inf" : String(Date.now() - secs * 1000), "+inf"),
    /** ZRANGE BYSCORE of the library's index of regular sessions within a window (0: all), in one call. */
    zrange: (secs: number) =>
      client.zrangebyscore(ks.regular, secs === 0 ? "-inf" : String(Date.now() - secs * 1000), "+inf"),
    /**
     * The users of the sessions in the library's index of regular sessions (its listing of users
     * reads them so), by pages of 1,000: a ZRANGE, then one pipeline of an HGET of each session's user.
     */
    users: async (): Promise<ReadonlyArray<string>> => {
      const users = new Set<string>()
      for (let from = 0;; from += 1000) {
        const ids = await client.zrange(ks.regular, String(from), String(from + 999))
        const pipeline = client.pipeline()
        for (const id of ids) pipeline.hget(ks.session(id), sessionField.userId)
        for (const [error, user] of (await pipeline.exec()) ?? []) {
          if (error === null && typeof user === "string") users.add(user)
        }
        if (ids.length < 1000) return [...users]
      }
    },
    /**
     * `exists` of a token of the library's, by the library's read path with the least work per
     * call and no Effect: the token checked, its id, the read gathered with the turn's others (one
     * write of `TIME`, `HMGET`s, `TIME`: the default `readBatches`), its liveness from the bounds.
     * What a promise API over this read path could reach at best, whatever runs it.
     */
    bareExists: (token: string): Promise<boolean> => {
      if (!Ids.isToken(token)) return Promise.reject(new Error("not a token"))
      const key = ks.session(Ids.idOf(token))
      return new Promise((resolve, reject) =>
        bareReads.submit(key, Store.liveFields, {
          ok: (values, from, to) => {
            // the store's own judgement; undefined (left to the script by the library) does not happen here
            const live = Store.existsReply(values, from, to)
            if (live === undefined) reject(new Error(`session ${key}: a read the store leaves to its script`))
            else resolve(live === 1)
          },
          fail: reject
        })
      )
    },
    /** The library's own Redis calls (FCALL, or TIME + HMGET + TIME), in the library's namespace, without Effect. */
    libScript: {
      create: (sessionId: string, userId: string) => lib.create(sessionId, userId),
      get: (sessionId: string, touch: boolean) =>
        touch ? lib.get(sessionId, captureUser) : lib.getNoUpdate(sessionId, captureUser),
      exists: (sessionId: string) => lib.exists(sessionId, captureUser),
      /** setData / getData of `benchData`. */
      dataSet: (sessionId: string) => lib.dataSet(sessionId, captureUser),
      dataGet: (sessionId: string) => lib.dataGet(sessionId, captureUser),
      kill: (sessionId: string) => lib.kill(sessionId, captureUser)
    },
    /** Removes the raw namespace's keys. */
    rawPattern: `${rk.prefix}*`,
    close: () => client.quit().then(() => undefined)
  }
}

/** The raw target's type. */
export type Raw = Awaited<ReturnType<typeof raw>>
