/**
 * The Redis implementation of the store port: every operation is one call of a script
 * (`scripts.ts`) on the shard of the session or user it is about, sent with the other calls of
 * that script made in the same turn of the event loop (`gather.ts`): as an FCALL of its function in
 * the scripts' Functions library where the server has it, else as EVALSHA, falling back to EVAL
 * when the server's script cache does not have it (after a restart, a failover or SCRIPT FLUSH), so
 * NOSCRIPT never reaches callers. A read that changes nothing is first an HMGET between two TIMEs
 * (`hashReads.ts`, a `PlainRead` here), its script only where that cannot settle it. Namespace-wide
 * operations run on every shard.
 *
 * A namespace records its layout on first use (`keys.ts`'s `meta`): its shard count, and its
 * regular ttl, the manager's default ttl then. A session is regular when it expires exactly the
 * regular ttl after its last access: the common case. A regular session is indexed by its last
 * access in `R` only, since its expiry follows from it; every other session is in `A` by last
 * access and, when it expires, in `X` by expiry. That saves a sorted-set entry and a write per touch
 * for most sessions. A session moves between the two when its expiry stops or starts following its
 * last access (a lifetime deadline drawing near).
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { identity } from "effect/Function"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { Cluster, Redis } from "ioredis"
import { RedisError, ValidationError } from "../../Errors.js"
import type {
  DataSetLimits,
  DataSetResult,
  ListQuery,
  ManyOps,
  RedisClientService,
  SessionRead,
  SessionStore,
  StoreConfig,
  StoredSession
} from "../../SessionStore.js"
import { rotatedIdReach, shardsMismatch } from "../../SessionStore.js"
import * as Durations from "../duration.js"
import { idOf, newToken } from "../ids.js"
import { byScoreThenMember } from "../sortedSetOrder.js"
import { validate } from "../validate.js"
import * as Command from "./command.js"
import * as Deadlines from "./deadlines.js"
import * as Format from "./format.js"
import * as Gather from "./gather.js"
import * as HashReads from "./hashReads.js"
import { keyspace, sessionShard, userShard } from "./keys.js"
import type { Keyspace } from "./keys.js"
import { safeCause } from "./redact.js"
import * as Scripts from "./scripts.js"
import type { AnyScript, ArgType, ArgValue, Script, SessionValues } from "./scripts.js"

/**
 * Tuning of the Redis store.
 *
 * @since 0.1.0
 */
export interface StoreOptions {
  /**
   * How long one Redis call may take before the operation fails with a `RedisError` whose
   * `timeout` is true. Bulk operations (wipe, killUser, killAll, listings) are several calls, each
   * bounded by it. Default 2 seconds.
   */
  readonly timeout?: Durations.Input
  /** Sessions handled per script call by the wipe, killUser, killAll and query sweeps. Default 200. */
  readonly batchSize?: number
  /**
   * How long one of those script calls goes on removing sessions before it stops, lets other
   * commands run, and is called again: by Redis's clock, whatever `batchSize` and however slow the
   * machine, a call lasts about this and one removal more. Default 2 milliseconds.
   */
  readonly batchTime?: Durations.Input
  /** Ids returned per script call when listing. Default 250, which keeps each call short (`npm run bench:longest-commands`). */
  readonly pageSize?: number
  /**
   * Whether session and index keys get native Redis TTLs: the safety net that frees a session's
   * storage when no wipe runs. Default `true`. With `false`, keys never expire by themselves (as in
   * redisess): expired sessions are still never returned, and the wipe frees them. That saves about
   * 40 bytes per key (see the README's Benchmarks); TTLs left by the default are removed as
   * sessions are touched.
   */
  readonly nativeTtl?: boolean
  /** How far past its logical expiry a key's native Redis TTL may reach, with `nativeTtl`. Default 10 minutes. */
  readonly nativeTtlGrace?: Durations.Input
  /**
   * Whether to load the scripts as a Redis Functions library (`FUNCTION LOAD`, Redis >= 7.0) and
   * call them by FCALL, which costs Redis less per call than EVALSHA (see `docs/redis.md`). Default
   * `true`; where the server refuses the library (an older Redis, an ACL without FUNCTION) the
   * store uses EVALSHA, as with `false`.
   */
  readonly functions?: boolean
  /**
   * Whether reads that change nothing (`exists`, `getData`, `getAllData`, `get` without a touch,
   * and with a `touchInterval` while no touch is due) go as plain `HMGET`s (`HGETALL` for
   * `getAllData`) between two `TIME`s instead of a script, which costs Redis less (see
   * `docs/redis.md`). Default `true`; a read they cannot settle (an error, a session expiring
   * between the two times) goes by its script.
   */
  readonly plainReads?: boolean
  /**
   * How the plain reads of a shard made in the same turn go: `"commands"` (the default), as
   * `HMGET`s between two `TIME`s, the least Redis time; `"script"`, from four of them, as one call of
   * the library's reads function, which costs Node one command instead of one per read and two
   * `TIME`s, and Redis about twice as much per read: for apps where Node, not a shared Redis, is the
   * scarcer CPU (`docs/redis.md`). Fewer reads always go as commands.
   */
  readonly readBatches?: "script" | "commands"
  /**
   * Whether, where calls come one at a time (three turns of the event loop in a row making at most
   * one call each), a turn's first call goes to Redis at once instead of at the turn's end: a
   * shorter wait for it (see `docs/redis.md`). Default `true`; `false` always waits for the turn's
   * end, so that identical calls made in one turn always share one run.
   */
  readonly loneCallsAtOnce?: boolean
  /**
   * Milliseconds added to the Redis server's clock, read on every operation. For tests that move
   * time without sleeping; leave it out in production.
   */
  readonly clockOffset?: Effect.Effect<number>
}

const isNoScript = (error: unknown): boolean => error instanceof Error && error.message.startsWith("NOSCRIPT")

const isMissingFunction = (error: unknown): boolean =>
  error instanceof Error && error.message.startsWith("ERR Function not found")

const isOutOfMemory = (error: unknown): boolean => error instanceof Error && error.message.startsWith("OOM ")

const isNoPermission = (error: unknown): boolean => error instanceof Error && error.message.startsWith("NOPERM")

/** How long after a failed load of the Functions library a script call tries to load it again. */
export const loadRetryMillis = 2000

/** The session `values` (as a script read them) of session `sessionId`, with the fields `names` names. */
const storedSession = (
  sessionId: string,
  names: ReadonlyArray<string>,
  values: SessionValues
): StoredSession => {
  const [userId, createdAt, ttl, deadline] = values
  const n = values.length
  const lastAccess = values[n - 2] as number
  const expires = values[n - 1] as number
  return {
    sessionId,
    userId,
    createdAt,
    lastAccess,
    ttl,
    expires,
    deadline: deadline ?? 0,
    fields: named(names, values)
  }
}

/** The additional fields a session has, by name: the values after its user, created, ttl and deadline. */
const named = (names: ReadonlyArray<string>, values: ReadonlyArray<unknown>): Record<string, string> => {
  const fields: Record<string, string> = {}
  for (let i = 0; i < names.length; i++) {
    const value = values[4 + i]
    if (typeof value === "string") fields[names[i]!] = value
  }
  return fields
}

/** The read a script returned for `sessionId`, if any. */
const sessionRead = (
  sessionId: string,
  names: ReadonlyArray<string>,
  reply: readonly [number, SessionValues] | null
): Option.Option<SessionRead> =>
  reply === null ? Option.none() : Option.some({ now: reply[0], session: storedSession(sessionId, names, reply[1]) })

/**
 * A plain read's answer already in the operation's terms: a read whose script reply would only be
 * decoded again (`get`) hands its result over as this, and skips the decoding.
 */
class Decoded<B> {
  constructor(readonly value: B) {}
}

/**
 * One call of a shard's script, ready to go: sent (with a test's clock offset) to a waiter, its reply
 * read as the operation's result.
 */
interface ShardCall<B> {
  readonly what: string
  readonly send: (offset: number, waiter: Gather.Waiter) => void
  readonly result: (reply: unknown) => Either.Either<B, RedisError>
}

/**
 * A call of a shard script: the script, its keys and arguments by name, its variable arguments,
 * how its reply becomes the operation's result, whether it goes alone (default: unless the script
 * gathers), and the plain read that may answer it first.
 */
type ScriptCall<K extends string, O extends string, A extends Record<string, ArgType>, R, B> = [
  script: Script<K, O, A, R>,
  keys: { readonly [k in K]: string } & { readonly [k in O]?: string | undefined },
  // exactly the script's arguments: an object literal naming one it does not declare fails to type-check
  // (with none declared too, where a mapped type would be `{}`, which takes any object)
  args: [keyof A] extends [never] ? Record<string, never> : { readonly [k in keyof A]: ArgValue<A[k]> },
  rest: ReadonlyArray<string>,
  map: (reply: R) => B,
  alone?: boolean | undefined,
  plain?: PlainRead | undefined
]

/** The calls of a shard that `SessionStore.many` runs together. */
interface ShardCalls {
  readonly exists: (sessionId: string) => ShardCall<boolean>
  /** Without a touch. */
  readonly get: (sessionId: string) => ShardCall<Option.Option<SessionRead>>
  readonly dataGet: (
    sessionId: string,
    keys: ReadonlyArray<string>
  ) => ShardCall<Option.Option<ReadonlyArray<string | undefined>>>
  readonly dataSet: (
    sessionId: string,
    entries: ReadonlyArray<readonly [string, string]>,
    limits: DataSetLimits
  ) => ShardCall<Option.Option<DataSetResult>>
}

/** The store of one shard: its listing with or without scores (scores merge shards), and its calls for `many`. */
interface ShardStore extends Omit<SessionStore, "many"> {
  readonly listIndex: (query: ListQuery, withScores: boolean) => Effect.Effect<Listing, RedisError>
  readonly calls: ShardCalls
}

/**
 * A read a script would make, made by `HMGET` instead (`hashReads.ts`): the fields of the session's
 * hash it reads, and `reply`, which makes the script's reply from the values read and the bounds of
 * when (the store's clock, ms), or answers undefined where the script must decide.
 */
interface PlainRead {
  readonly key: string
  /** undefined: the whole hash (HGETALL), its fields and values in turn. */
  readonly fields: ReadonlyArray<string> | undefined
  readonly reply: (values: ReadonlyArray<string | null>, from: number, to: number) => unknown
}

/** The fields a session's liveness follows from, as `lua/lib/live.lua` reads them. */
export const liveFields = [
  Format.sessionField.userId,
  Format.sessionField.lastAccess,
  Format.sessionField.ttl,
  Format.sessionField.deadline
] as const

/** How many data keys {@link dataReadFields} keeps the field list of before it starts again. */
export const keptDataReads = 256

const dataReadLists = new Map<string, ReadonlyArray<string>>()

/**
 * The fields a data read of `keys` asks for: `liveFields`, then each key's field. The list of one
 * key is kept (the keys an app reads are few): a read makes no array and no text, and identical
 * reads gathered together share one list.
 */
export const dataReadFields = (keys: ReadonlyArray<string>): ReadonlyArray<string> => {
  if (keys.length !== 1) return [...liveFields, ...keys.map((name) => Format.dataPrefix + name)]
  const key = keys[0]!
  let fields = dataReadLists.get(key)
  if (fields === undefined) {
    if (dataReadLists.size >= keptDataReads) dataReadLists.clear()
    fields = [...liveFields, Format.dataPrefix + key]
    dataReadLists.set(key, fields)
  }
  return fields
}

/**
 * A session whose hash read gave user, last access, ttl and deadline at a moment between `from`
 * and `to`, as `lua/lib/live.lua` decides at one moment: its last access and expiry when it was
 * live then, null when it was not, or undefined when that depends on the moment (it expires between
 * the two) or a value is malformed.
 */
const liveTimes = (
  user: string | null | undefined,
  lastAccess: string | null | undefined,
  ttl: string | null | undefined,
  deadline: string | null | undefined,
  from: number,
  to: number
): readonly [lastAccess: number, expires: number] | null | undefined => {
  if (user === null || user === undefined) return null
  const times = Format.storedTimes(lastAccess ?? null, ttl ?? null, deadline ?? null)
  if (times === undefined) return undefined
  const expires = times[1]
  return expires === 0 || expires > to ? times : expires <= from ? null : undefined
}

/** Whether a session read as `liveFields` between `from` and `to` was live then (see `liveTimes`). */
const liveBetween = (values: ReadonlyArray<string | null>, from: number, to: number): boolean | undefined => {
  const times = liveTimes(values[0], values[1], values[2], values[3], from, to)
  return times === undefined ? undefined : times !== null
}

/** `exists.lua`'s reply (1 or 0) from a plain read of `liveFields`. */
export const existsReply = (values: ReadonlyArray<string | null>, from: number, to: number) => {
  const live = liveBetween(values, from, to)
  return live === undefined ? undefined : live ? 1 : 0
}

/** `dataGet.lua`'s reply from a plain read of `liveFields` then the data fields: the values read, or null. */
const dataGetReply = (values: ReadonlyArray<string | null>, from: number, to: number) => {
  const live = liveBetween(values, from, to)
  return live === undefined ? undefined : live ? values : null
}

/**
 * `dataGetAll.lua`'s reply (`{{key, value, ...}}`, or null) from a plain read of a whole hash (its
 * fields and values in turn): the liveness fields checked as `liveBetween` does, the data kept.
 */
const dataGetAllReply = (pairs: ReadonlyArray<string | null>, from: number, to: number) => {
  const live: Array<string | null> = [null, null, null, null]
  const data: Array<string> = []
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const field = pairs[i]!
    const value = pairs[i + 1]!
    if (field.startsWith(Format.dataPrefix)) data.push(field.slice(Format.dataPrefix.length), value)
    else {
      const at = liveFields.indexOf(field as typeof liveFields[number])
      if (at >= 0) live[at] = value
    }
  }
  const isLive = liveBetween(live, from, to)
  return isLive === undefined ? undefined : isLive ? [data] : null
}

/** A listing of one shard's index, oldest first: ids, and their scores when asked for. */
interface Listing {
  readonly ids: Array<string>
  readonly scores: Array<number>
}

/** The store's tuning, checked, in the units its calls use. */
export interface Tuning {
  readonly batchSize: number
  readonly pageSize: number
  /** `batchTime` in µs. */
  readonly batchMicros: number
  /** `nativeTtlGrace` in whole ms; -1 without native TTLs. */
  readonly grace: number
  readonly timeoutMillis: number
}

/** The longest `nativeTtlGrace`: a key's TTL stays a whole number of ms Redis takes. */
const maxGrace = Duration.days(3650)

/** A count option (`batchSize`, `pageSize`): a whole number of at least 1. */
const validCount = (name: string) => validate(Schema.Int.pipe(Schema.positive()), name)

/**
 * Checks the store's options: a `ValidationError` naming the first one that is wrong (a batch
 * size of 0 would make a bulk operation call Redis for ever, a timeout of 0 fail every call).
 */
export const tuning = (options: StoreOptions): Effect.Effect<Tuning, ValidationError> =>
  Effect.all({
    readBatches: validate(Schema.Literal("script", "commands"), "readBatches")(options.readBatches ?? "commands"),
    batchSize: validCount("batchSize")(options.batchSize ?? 200),
    pageSize: validCount("pageSize")(options.pageSize ?? 250),
    batchTime: Durations.option("batchTime", options.batchTime, Duration.millis(2), { zero: true, infinite: true }),
    grace: Durations.option("nativeTtlGrace", options.nativeTtlGrace, Duration.minutes(10), { zero: true }).pipe(
      Either.filterOrLeft(
        Duration.lessThanOrEqualTo(maxGrace),
        (grace) =>
          new ValidationError({
            message: `Invalid nativeTtlGrace: ${Duration.format(grace)} is more than ${Duration.format(maxGrace)}`
          })
      )
    ),
    timeout: Durations.option("timeout", options.timeout, Duration.seconds(2), { infinite: true })
  }).pipe(Effect.map(({ batchSize, batchTime, grace, pageSize, timeout }) => ({
    batchSize,
    pageSize,
    batchMicros: Math.min(Math.round(Duration.toMillis(batchTime) * 1000), Number.MAX_SAFE_INTEGER),
    grace: options.nativeTtl === false ? -1 : Math.ceil(Duration.toMillis(grace)),
    timeoutMillis: Duration.toMillis(timeout)
  })))

/** Makes the `RedisClient` service on an ioredis client, with options {@link tuning} has checked. */
export const make = (client: Redis | Cluster, options: StoreOptions, tuned: Tuning): RedisClientService => {
  const { batchMicros, batchSize, grace, pageSize, timeoutMillis } = tuned
  const clockOffset = options.clockOffset
  const deadlines = Deadlines.make(timeoutMillis)

  /**
   * Runs one driver call, bounded by the operation timeout, and turns its result into the
   * operation's (`then`, in the same step). Not `Effect.timeout`: this is on every operation's path,
   * and one timer serves all calls (`deadlines.ts`). The call itself may still complete later; its
   * result is then dropped.
   */
  const call = <A, B>(
    what: string,
    run: (waiter: Gather.Waiter) => void,
    then: (value: A) => Effect.Effect<B, RedisError>
  ): Effect.Effect<B, RedisError> =>
    Effect.async<B, RedisError>((resume) => {
      const pending = deadlines.start(() => resume(Effect.fail(timedOut(what))))
      run({
        ok: (value) => {
          if (deadlines.settle(pending)) resume(then(value as A))
        },
        fail: (cause) => {
          if (deadlines.settle(pending)) resume(Effect.fail(failed(what, cause)))
        }
      })
    })

  const timedOut = (what: string) =>
    new RedisError({ message: `Redis did not answer ${what} within ${timeoutMillis} ms`, timeout: true })

  const failed = (what: string, cause: unknown) =>
    new RedisError({
      message: `Redis failed running ${what}: ${cause instanceof Error ? cause.message : String(cause)}`,
      cause: safeCause(cause)
    })

  /**
   * Runs many calls at once (`SessionStore.many`): one effect, one deadline for all, each call's
   * result or error in its place; calls still pending at the deadline fail with a timeout.
   */
  const callMany = <B>(
    calls: ReadonlyArray<ShardCall<B>>
  ): Effect.Effect<ReadonlyArray<Either.Either<B, RedisError>>> => {
    const n = calls.length
    if (n === 0) return Effect.succeed([])
    const sendAll = (offset: number) =>
      Effect.async<ReadonlyArray<Either.Either<B, RedisError>>>((resume) => {
        const results: Array<Either.Either<B, RedisError>> = new Array(n)
        let left = n
        let open = true
        const pending = deadlines.start(() => {
          open = false
          for (let i = 0; i < n; i++) results[i] ??= Either.left(timedOut(calls[i]!.what))
          resume(Effect.succeed(results))
        })
        const settle = (i: number, result: Either.Either<B, RedisError>) => {
          if (!open) return
          results[i] = result
          if (--left === 0 && deadlines.settle(pending)) resume(Effect.succeed(results))
        }
        for (let i = 0; i < n; i++) {
          const { result, send, what } = calls[i]!
          send(offset, {
            ok: (reply) => settle(i, result(reply)),
            fail: (cause) => settle(i, Either.left(failed(what, cause)))
          })
        }
      })
    return atOffset(sendAll)
  }

  /** `run` at the test clock's offset (ms; without one, 0 and no Effect to read it on every call). */
  const atOffset = <A, E>(run: (offset: number) => Effect.Effect<A, E>): Effect.Effect<A, E> =>
    clockOffset === undefined ? run(0) : Effect.flatMap(clockOffset, (ms) => run(Math.round(ms)))

  /** A driver call's promise, told to a waiter. */
  const promised = <A>(promise: () => Promise<A>) => (waiter: Gather.Waiter) => {
    promise().then(waiter.ok, waiter.fail)
  }

  /** Runs `f`, telling `waiter` of anything it throws (a driver that throws instead of rejecting). */
  const guarded = (waiter: Gather.Waiter, f: () => void) => {
    try {
      f()
    } catch (error) {
      waiter.fail(error)
    }
  }

  /** EVALSHA, EVAL or FCALL of `first` (a sha, a source, a function) with `numKeys` keys, then `argv`. */
  const scriptCall = (command: string, first: string, numKeys: number, argv: ReadonlyArray<string>) =>
    Command.send(client, command, [first, String(numKeys), ...argv])

  /**
   * EVALSHA of a script, or EVAL when Redis does not have it yet; the arguments go to the driver
   * as one flat list (`command.ts`).
   */
  const evalsha: Gather.Send = (script, numKeys, argv, waiter) => {
    scriptCall("evalsha", script.sha, numKeys, argv).then(waiter.ok, (error: unknown) => {
      if (!isNoScript(error)) return waiter.fail(error)
      guarded(waiter, () => scriptCall("eval", script.source, numKeys, argv).then(waiter.ok, waiter.fail))
    })
  }

  /**
   * Whether shard scripts go by FCALL to the library (`Scripts.library`): from when it is loaded on
   * the server (on every master of a Cluster) until a server answers that it does not have it (a
   * restart, FUNCTION FLUSH, a new master), when it is loaded again. Meanwhile, and for good where
   * it cannot be called (an ACL without FCALL, `functions: false`: `functionsOff`), they go by
   * EVALSHA: the same operations, the same replies. Where a load fails (Redis before 7.0, an ACL
   * without FUNCTION, a server out of memory or failing over), a script call tries again once
   * `loadRetryMillis` have passed.
   */
  let functionsLoaded = false
  let functionsOff = options.functions === false
  let loading: Promise<void> | undefined
  let loadRetryAt = 0
  const loadFunctions = (): Promise<void> => {
    if (functionsOff) return Promise.resolve()
    loading ??= Promise.resolve().then(() =>
      Promise.all(
        (client.isCluster ? (client as Cluster).nodes("master") : [client as Redis]).map((node) =>
          // not REPLACE: a library of that name holds the same code (its name is its hash), and Redis
          // answers so before compiling anything (microseconds, where compiling takes milliseconds)
          node.call("FUNCTION", "LOAD", Scripts.library.source).catch((error: unknown) => {
            if (!(error instanceof Error && /^ERR Library '\w+' already exists/.test(error.message))) throw error
          })
        )
      )
    ).then(
      () => {
        // unless FCALL was refused meanwhile
        functionsLoaded = !functionsOff
      },
      () => {
        functionsLoaded = false
        loadRetryAt = Date.now() + loadRetryMillis
      }
    ).finally(() => {
      loading = undefined
    })
    return loading
  }

  /**
   * One script call: FCALL of the script's function where the library is loaded, else EVALSHA.
   * An FCALL refused before it ran goes again by EVALSHA: when the server lacks the library (which
   * is then loaded again), when it is out of memory (Redis refuses a function that may write then,
   * where a script runs, and only its writes fail: reads still answer), and when the user may not
   * run FCALL (then every call goes by EVALSHA from then on).
   */
  const send: Gather.Send = (script, numKeys, argv, waiter) => {
    if (!functionsLoaded) {
      // a load under way is joined (loadFunctions), a failed one tried again once its time is up
      if (!functionsOff && Date.now() >= loadRetryAt) void loadFunctions()
      return evalsha(script, numKeys, argv, waiter)
    }
    if (script.function === undefined) return evalsha(script, numKeys, argv, waiter)
    scriptCall("fcall", script.function, numKeys, argv).then(waiter.ok, (error: unknown) => {
      if (isMissingFunction(error)) {
        functionsLoaded = false
        void loadFunctions()
      } else if (isNoPermission(error)) {
        // an ACL that allows loading the library, not calling it
        functionsLoaded = false
        functionsOff = true
      } else if (!isOutOfMemory(error)) {
        return waiter.fail(error)
      }
      guarded(waiter, () => evalsha(script, numKeys, argv, waiter))
    })
  }

  const atOnce = options.loneCallsAtOnce !== false
  const gather = Gather.make(send, atOnce)
  const hashReads = HashReads.make(
    client,
    atOnce,
    options.readBatches === "script"
      ? (numKeys, argv, waiter) => send(Scripts.reads, numKeys, argv, waiter)
      : undefined
  )
  const plainReadsOff = options.plainReads === false

  /** A script's reply decoded by its contract, then turned into the operation's result by `map`. */
  const decoded =
    <R, B>(script: AnyScript<R>, map: (reply: R) => B) => (reply: unknown): Either.Either<B, RedisError> => {
      const fast = script.fast?.(reply)
      if (fast !== undefined) return Either.right(map(fast))
      return Either.match(script.decode(reply), {
        onLeft: (why) =>
          Either.left(new RedisError({ message: `Unexpected reply from script ${script.name}: ${why}` })),
        onRight: (value) => Either.right(map(value))
      })
    }

  const argText = (type: ArgType, value: unknown): string =>
    type === "flag" ? (value ? "1" : "0") : type === "number" ? String(value) : value as string

  /** The store of one shard, plus its listing with or without scores (scores merge shards). */
  const shardStore = (
    ks: Keyspace,
    regularTtl: number,
    fieldNames: ReadonlyArray<string>,
    newSessionToken: () => string
  ): ShardStore => {
    /** The shard's arguments (`scripts.ts`'s `shardArgs`) with a clock offset. */
    const argsAt = (
      offset: number
    ) => [ks.prefix, String(offset), String(grace), String(regularTtl), String(batchMicros)]
    const shardArgs = argsAt(0)
    const shard = gather.shard(
      [ks.activity, ks.expiries, ks.regular],
      (offset) => offset === 0 ? shardArgs : argsAt(offset)
    )
    const reads = hashReads.shard()
    /** A call of a shard script, ready to go (`run` runs one, `callMany` many together). */
    const prepare = <K extends string, O extends string, A extends Record<string, ArgType>, R, B>(
      ...[script, keys, args, rest, map, alone = !script.gather, plain]: ScriptCall<K, O, A, R, B>
    ): ShardCall<B> => {
      const byScript = (offset: number, waiter: Gather.Waiter) => {
        const ownKeys: Array<string> = []
        for (const name of script.keys) {
          const key = (keys as Record<string, string | undefined>)[name]
          if (key !== undefined) ownKeys.push(key)
        }
        const argv: Array<string> = []
        for (const [name, type] of script.argList) argv.push(argText(type, args[name]))
        for (const arg of rest) argv.push(arg)
        shard.submit(script, offset, ownKeys, argv, alone, waiter)
      }
      const byHmget = plain === undefined || plainReadsOff ? undefined : (offset: number, waiter: Gather.Waiter) => {
        reads.submit(plain.key, plain.fields, {
          ok: (values, from, to) => {
            const reply = plain.reply(values, from + offset, to + offset)
            if (reply === undefined) byScript(offset, waiter)
            else waiter.ok(reply)
          },
          // the script fails the same way, or answers (a connection that came back, say)
          fail: () => byScript(offset, waiter)
        })
      }
      const fromScript = decoded(script, map)
      return {
        what: script.name,
        send: byHmget ?? byScript,
        result: byHmget === undefined
          ? fromScript
          : (reply) => reply instanceof Decoded ? Either.right(reply.value as B) : fromScript(reply)
      }
    }

    /** Runs one prepared call. */
    const perform = <B>({ result, send, what }: ShardCall<B>): Effect.Effect<B, RedisError> =>
      atOffset((offset) => call(what, (waiter) => send(offset, waiter), result))

    /**
     * Runs a shard script with its keys and arguments by name, then its variable arguments;
     * gathered with the calls of the script made in the same turn of the event loop unless `alone`
     * (see `gather.ts`). With `plain`, the read is made by `HMGET` first, and the script runs only
     * when that cannot settle it.
     */
    const run = <K extends string, O extends string, A extends Record<string, ArgType>, R, B>(
      ...call: ScriptCall<K, O, A, R, B>
    ): Effect.Effect<B, RedisError> => perform(prepare(...call))

    /** Repeats a batch step until it reports that nothing is left; sums what it removed. */
    const drain = (step: Effect.Effect<readonly [removed: number, more: 0 | 1], RedisError>) =>
      Effect.iterate({ total: 0, more: true }, {
        while: (state) => state.more,
        body: (state) => Effect.map(step, ([removed, more]) => ({ total: state.total + removed, more: more === 1 }))
      }).pipe(Effect.map((state) => state.total))

    /** Repeats a query that answers `None` (more expired sessions to sweep first) until it answers. */
    const swept = <A>(query: Effect.Effect<Option.Option<A>, RedisError>): Effect.Effect<A, RedisError> =>
      Effect.flatMap(query, Option.match({ onNone: () => swept(query), onSome: Effect.succeed }))

    const flat = (pairs: ReadonlyArray<readonly [string, string]>): ReadonlyArray<string> => {
      const out: Array<string> = []
      for (const [name, value] of pairs) out.push(name, value)
      return out
    }
    const session = (sessionId: string) => ({ SESSION: ks.session(sessionId) })
    /** The fields a read of a session gets, in `lua/lib/load.lua`'s order. */
    const readFields = [
      Format.sessionField.userId,
      Format.sessionField.createdAt,
      Format.sessionField.ttl,
      Format.sessionField.deadline,
      ...fieldNames.map((name) => Format.fieldPrefix + name),
      Format.sessionField.lastAccess
    ]

    /** A `get`: by `HMGET` of `readFields` unless it always touches (then a write, by script). */
    const getCall = (sessionId: string, touch: boolean, touchAfter = 0) => {
      const key = ks.session(sessionId)
      return prepare(
        Scripts.get,
        { SESSION: key },
        { SID: sessionId, TOUCH: touch, TOUCH_AFTER: touchAfter },
        fieldNames,
        (reply) => sessionRead(sessionId, fieldNames, reply),
        undefined,
        // a read that always touches is a write
        touch && touchAfter <= 0 ? undefined : {
          key,
          fields: readFields,
          reply: (values, from, to) => {
            // as load.lua reads it: user, created, ttl, deadline, the fields, then last access
            const n = values.length
            const userId = values[0]
            if (userId === null || userId === undefined) return null
            const times = liveTimes(userId, values[n - 1], values[2], values[3], from, to)
            if (times === undefined) return undefined
            // expired: a touch removes it (the script)
            if (times === null) return touch ? undefined : null
            // live, and no touch due whatever the moment (else the script touches it)
            const [lastAccess, expires] = times
            if (touch && to - lastAccess >= touchAfter) return undefined
            // the read as the script's reply decodes to; a creation time that is no number: the script's error
            const createdAt = values[1] === null ? undefined : Format.storedNumber(values[1]!)
            if (createdAt === undefined) return undefined
            // liveTimes read ttl and deadline as whole numbers (absent: 0)
            const session: StoredSession = {
              sessionId,
              userId,
              createdAt,
              lastAccess,
              ttl: Number(values[2] ?? 0),
              expires,
              deadline: Number(values[3] ?? 0),
              fields: named(fieldNames, values)
            }
            return new Decoded(Option.some<SessionRead>({ now: to, session }))
          }
        }
      )
    }

    /** An `exists`: by `HMGET` of `liveFields`. */
    const existsCall = (sessionId: string) => {
      const key = ks.session(sessionId)
      return prepare(Scripts.exists, { SESSION: key }, { SID: sessionId }, [], (reply) => reply === 1, undefined, {
        key,
        fields: liveFields,
        reply: existsReply
      })
    }

    /** A data read: by `HMGET` of `liveFields` and the data fields. */
    const dataGetCall = (sessionId: string, keys: ReadonlyArray<string>) => {
      const key = ks.session(sessionId)
      return prepare(
        Scripts.dataGet,
        { SESSION: key },
        {},
        keys,
        (reply) => {
          if (reply === null) return Option.none()
          const values: Array<string | undefined> = []
          for (let i = 4; i < reply.length; i++) values.push(reply[i] ?? undefined)
          return Option.some(values)
        },
        undefined,
        { key, fields: dataReadFields(keys), reply: dataGetReply }
      )
    }

    /** A data write: by script, which checks that the session is live and its data's size and keys. */
    const dataSetCall = (
      sessionId: string,
      entries: ReadonlyArray<readonly [string, string]>,
      limits: DataSetLimits
    ) =>
      prepare(
        Scripts.dataSet,
        session(sessionId),
        { MAX: limits.maxBytes, MAX_KEYS: limits.maxKeys },
        flat(entries),
        (reply): Option.Option<DataSetResult> =>
          reply === null
            ? Option.none()
            : Option.some(
              typeof reply !== "number"
                ? { _tag: "TooMany", count: reply[0] }
                : reply >= 0
                ? { _tag: "Written", written: reply }
                : { _tag: "TooLarge", size: -reply }
            )
      )

    /**
     * Lists an index, oldest first, page by page: ids, and their scores when `withScores` (to merge
     * shards). The sessions index is two sorted sets (regular sessions in `R`, the others in `A`),
     * merged by the script from an offset in each. Users are listed from the sessions index: each
     * page names the user of each session, and a user is listed at their latest session's score.
     */
    const listIndex = (query: ListQuery, withScores: boolean): Effect.Effect<Listing, RedisError> => {
      const index = query.index === "sessions" ? "s" : query.index === "users" ? "U" : "u"
      // users come with their scores, to keep each one's latest
      const scored = withScores || index === "U"
      const step = scored ? 2 : 1
      const page = (offsets: ReadonlyArray<number>) =>
        swept(run(
          Scripts.list,
          { USER: query.index === "userSessions" ? ks.user(query.userId) : undefined },
          { LIMIT: batchSize, WINDOW: query.windowMs, INDEX: index, SIZE: pageSize, SCORES: scored },
          offsets.map(String),
          (reply) => reply[0] === -1 ? Option.none() : Option.some(reply)
        ))
      // pages by rank; an entry that moved between pages (or between R and A) is kept once, at its
      // first score (a session's) or its latest (a user's)
      const loop = (
        offsets: ReadonlyArray<number>,
        found: Map<string, number>
      ): Effect.Effect<Map<string, number>, RedisError> =>
        Effect.flatMap(page(offsets), ([, entries, ...taken]) => {
          for (let i = 0; i < entries.length; i += step) {
            const id = String(entries[i])
            const score = scored ? Number(entries[i + 1]) : 0
            const known = found.get(id)
            if (known === undefined || (index === "U" && score > known)) found.set(id, score)
          }
          let took = 0
          for (const n of taken) took += n
          return took === pageSize
            ? loop(offsets.map((offset, i) => offset + (taken[i] ?? 0)), found)
            : Effect.succeed(found)
        })
      return Effect.suspend(() => loop(index === "u" ? [0] : [0, 0], new Map())).pipe(
        Effect.map((found): Listing => {
          // a Map keeps the order of first insertion: the index's, but for users, by latest score
          const entries = index === "U" ? [...found].sort(byScoreThenMember) : found
          const listing: Listing = { ids: [], scores: [] }
          for (const [id, score] of entries) {
            listing.ids.push(id)
            if (withScores) listing.scores.push(score)
          }
          return listing
        })
      )
    }

    return {
      calls: {
        exists: existsCall,
        get: (sessionId) => getCall(sessionId, false),
        dataGet: dataGetCall,
        dataSet: dataSetCall
      },
      now: call("TIME", promised(() => client.time()), (reply) => {
        const ms = HashReads.millisOf(reply)
        if (ms === undefined) return Effect.fail(new RedisError({ message: "Unexpected reply to TIME" }))
        return clockOffset === undefined ? Effect.succeed(ms) : Effect.map(clockOffset, (off) => ms + Math.round(off))
      }),
      create: (input) =>
        Effect.suspend(() => {
          const token = newSessionToken()
          const sessionId = idOf(token)
          return swept(run(
            Scripts.create,
            { SESSION: ks.session(sessionId), USER: ks.user(input.userId) },
            {
              SID: sessionId,
              UID: input.userId,
              TTL: input.ttl,
              LIFETIME: input.lifetime,
              LIMIT: input.limit?.max ?? 0,
              REFUSE: input.limit?.policy === "refuse",
              BATCH: batchSize
            },
            flat(input.fields),
            (reply) => {
              if (reply[0] === -1) return Option.none()
              if (reply[0] === 0) return Option.some({ _tag: "LimitReached" } as const)
              const [, now, expires, deadline] = reply
              const fields: Record<string, string> = {}
              for (const [name, value] of input.fields) fields[name] = value
              return Option.some(
                {
                  _tag: "Created",
                  created: {
                    token,
                    read: {
                      now,
                      session: {
                        sessionId,
                        userId: input.userId,
                        createdAt: now,
                        lastAccess: now,
                        ttl: input.ttl,
                        expires,
                        deadline,
                        fields
                      }
                    }
                  }
                } as const
              )
            }
            // with a per-user limit too, gathered with the turn's other creates: making room removes
            // sessions, but a script call's removals stop once it has run its batch time (lua/lib/each.lua)
          ))
        }),
      get: (sessionId, touch, touchAfter) => perform(getCall(sessionId, touch, touchAfter)),
      exists: (sessionId) => perform(existsCall(sessionId)),
      update: (sessionId, fields) =>
        run(
          Scripts.update,
          session(sessionId),
          { SID: sessionId, NAMES: fieldNames.length },
          [...fieldNames, ...flat(fields)],
          (reply) => sessionRead(sessionId, fieldNames, reply)
        ),
      rotate: (sessionId) =>
        Effect.suspend(() => {
          const token = newSessionToken()
          const newSessionId = idOf(token)
          return run(
            Scripts.rotate,
            { SESSION: ks.session(sessionId), NEW_SESSION: ks.session(newSessionId), FORWARD: ks.forward(sessionId) },
            { SID: sessionId, NEW_SID: newSessionId, FORWARD_TTL: rotatedIdReach },
            fieldNames,
            (reply) => Option.map(sessionRead(newSessionId, fieldNames, reply), (read) => ({ token, read }))
          )
        }),
      killOthers: (sessionId) => {
        const step = run(Scripts.killOthers, session(sessionId), { SID: sessionId, LIMIT: batchSize }, [], identity)
        // a first batch of -1: the session is not live; a later one (killed meanwhile): stop there
        const rest = (total: number): Effect.Effect<number, RedisError> =>
          Effect.flatMap(
            step,
            ([removed, more]) =>
              removed < 0 ? Effect.succeed(total) : more === 1 ? rest(total + removed) : Effect.succeed(total + removed)
          )
        return Effect.flatMap(step, ([removed, more]) =>
          removed < 0
            ? Effect.succeedNone
            : Effect.asSome(more === 1 ? rest(removed) : Effect.succeed(removed)))
      },
      dataSet: (sessionId, entries, limits) => perform(dataSetCall(sessionId, entries, limits)),
      dataGet: (sessionId, keys) => perform(dataGetCall(sessionId, keys)),
      dataGetAll: (sessionId) => {
        const key = ks.session(sessionId)
        return run(
          Scripts.dataGetAll,
          { SESSION: key },
          { SID: sessionId },
          [],
          (reply) => {
            if (reply === null) return Option.none()
            const entries: Array<readonly [string, string]> = []
            const pairs = reply[0]
            for (let i = 0; i + 1 < pairs.length; i += 2) entries.push([pairs[i]!, pairs[i + 1]!])
            return Option.some(entries)
          },
          undefined,
          { key, fields: undefined, reply: dataGetAllReply }
        )
      },
      dataRemove: (sessionId, keys) =>
        run(
          Scripts.dataRemove,
          session(sessionId),
          { SID: sessionId },
          keys,
          (n) => n < 0 ? Option.none() : Option.some(n)
        ),
      kill: (sessionId) =>
        run(
          Scripts.kill,
          { SESSION: ks.session(sessionId), FORWARD: ks.forward(sessionId) },
          { SID: sessionId },
          [],
          (n) => n === 1
        ),
      killUser: (userId) =>
        drain(run(Scripts.killUser, { USER: ks.user(userId) }, { UID: userId, LIMIT: batchSize }, [], identity)),
      killAll: drain(run(Scripts.killAll, {}, { LIMIT: batchSize }, [], identity)),
      wipe: drain(run(Scripts.wipe, {}, { LIMIT: batchSize }, [], identity)),
      count: (query) =>
        swept(run(
          Scripts.count,
          { USER: query.userId === undefined ? undefined : ks.user(query.userId) },
          { LIMIT: batchSize, WINDOW: query.windowMs },
          [],
          (n) => n === -1 ? Option.none() : Option.some(n)
        )),
      list: (query) => Effect.map(listIndex(query, false), (listing) => listing.ids),
      listIndex,
      oldest: (userId, touch) =>
        swept(run(
          Scripts.oldest,
          { USER: ks.user(userId) },
          { LIMIT: batchSize, UID: userId, TOUCH: touch },
          fieldNames,
          (reply) =>
            reply[0] === -1
              ? Option.none()
              : Option.some(
                reply[0] === 0
                  ? Option.none()
                  : sessionRead(reply[2], fieldNames, [reply[1], reply[3]])
              )
        ))
    }
  }

  /** `SessionStore.many` over the shard stores (`shardOf` a session's). */
  const manyOn = (shardOf: (sessionId: string) => ShardStore): ManyOps => ({
    exists: (ids) => callMany(ids.map((id) => shardOf(id).calls.exists(id))),
    get: (ids) => callMany(ids.map((id) => shardOf(id).calls.get(id))),
    dataGet: (calls) => callMany(calls.map(({ keys, sessionId }) => shardOf(sessionId).calls.dataGet(sessionId, keys))),
    dataSet: (calls) =>
      callMany(
        calls.map(({ entries, limits, sessionId }) => shardOf(sessionId).calls.dataSet(sessionId, entries, limits))
      )
  })

  /** Records the namespace's layout (under `{namespace}`, whatever its shards) or reads the recorded one. */
  const recordLayout = (namespace: string, shards: number, regularTtl: number) =>
    call(
      Scripts.layout.name,
      (waiter) => evalsha(Scripts.layout, 1, [keyspace(namespace).meta, String(shards), String(regularTtl)], waiter),
      decoded(Scripts.layout, identity)
    )

  const open = ({ defaultTtl, fieldNames, namespace, shards }: StoreConfig) =>
    Effect.flatMap(
      Effect.zipLeft(
        recordLayout(namespace, shards, defaultTtl),
        Effect.promise(() => functionsLoaded ? Promise.resolve() : loadFunctions())
      ),
      ([recordedShards, regularTtl]) => {
        if (recordedShards !== shards) return Effect.fail(shardsMismatch(namespace, recordedShards, shards))
        if (shards === 1) {
          const one = shardStore(keyspace(namespace), regularTtl, fieldNames, () => newToken(0, 1))
          return Effect.succeed<SessionStore>({ ...one, many: manyOn(() => one) })
        }
        const all = Array.from(
          { length: shards },
          (_, shard) =>
            shardStore(keyspace(namespace, shard, shards), regularTtl, fieldNames, () => newToken(shard, shards))
        )
        return Effect.succeed(sharded(all, shards, manyOn))
      }
    )

  return { open }
}

/** One store over the stores of every shard: a session or user goes to its shard, the rest to all. */
const sharded = (
  all: ReadonlyArray<ShardStore>,
  shards: number,
  manyOn: (shardOf: (sessionId: string) => ShardStore) => ManyOps
): SessionStore => {
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
    get: (sessionId, touch, touchAfter) => ofSession(sessionId).get(sessionId, touch, touchAfter),
    exists: (sessionId) => ofSession(sessionId).exists(sessionId),
    update: (sessionId, fields) => ofSession(sessionId).update(sessionId, fields),
    rotate: (sessionId) => ofSession(sessionId).rotate(sessionId),
    killOthers: (sessionId) => ofSession(sessionId).killOthers(sessionId),
    dataSet: (sessionId, entries, limits) => ofSession(sessionId).dataSet(sessionId, entries, limits),
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
    oldest: (userId, touch) => ofUser(userId).oldest(userId, touch),
    many: manyOn(ofSession)
  }
}
