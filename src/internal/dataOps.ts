/**
 * The session-data operations of the manager: free-form values (encoded by `SessionData`) and the
 * typed accessor made from schemas on top of them.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type { RedisError } from "../Errors.js"
import { DataTooLarge, DecodeError, SessionNotFound, ValidationError } from "../Errors.js"
import type { SessionStore } from "../RedisLayer.js"
import * as S from "../Schema.js"
import * as SessionData from "../SessionData.js"

/** Errors of reading session data. */
export type DataReadError = SessionNotFound | ValidationError | RedisError | DecodeError
/** Errors of writing session data. */
export type DataWriteError = SessionNotFound | ValidationError | DataTooLarge | RedisError

/** The free-form data operations (see `SessionManagerService`). */
export interface DataOps {
  readonly setData: {
    (sessionId: string, key: string, value: SessionData.DataValue): Effect.Effect<number, DataWriteError>
    (sessionId: string, values: Readonly<Record<string, SessionData.DataValue>>): Effect.Effect<number, DataWriteError>
  }
  readonly getData: {
    (sessionId: string, key: string): Effect.Effect<Option.Option<SessionData.DataValue>, DataReadError>
    (
      sessionId: string,
      keys: ReadonlyArray<string>
    ): Effect.Effect<ReadonlyArray<Option.Option<SessionData.DataValue>>, DataReadError>
    <K extends string>(
      sessionId: string,
      keys: Readonly<Record<K, unknown>>
    ): Effect.Effect<Record<K, Option.Option<SessionData.DataValue>>, DataReadError>
  }
  readonly getAllData: (sessionId: string) => Effect.Effect<Record<string, SessionData.DataValue>, DataReadError>
  readonly removeData: (
    sessionId: string,
    keys: string | ReadonlyArray<string>
  ) => Effect.Effect<number, SessionNotFound | ValidationError | RedisError>
}

/**
 * Session data typed by schemas, one per key (see `SessionManagerService.data`).
 *
 * @since 0.1.0
 */
export interface TypedData<A> {
  /** The value of one key, decoded with its schema; `None` when never set. */
  readonly get: <K extends keyof A & string>(
    sessionId: string,
    key: K
  ) => Effect.Effect<Option.Option<A[K]>, DataReadError>
  /** Validates and writes the given keys in one step; returns how many were written. */
  readonly set: (sessionId: string, values: Partial<A>) => Effect.Effect<number, DataWriteError>
  /** Removes keys; returns how many existed. */
  readonly remove: (
    sessionId: string,
    keys: ReadonlyArray<keyof A & string>
  ) => Effect.Effect<number, SessionNotFound | ValidationError | RedisError>
  /** Every declared key that is set, decoded. */
  readonly getAll: (sessionId: string) => Effect.Effect<Partial<A>, DataReadError>
}

/** Size limits, bytes. */
export interface DataLimits {
  readonly maxValueBytes: number
  readonly maxSessionBytes: number
}

const validSessionId = Schema.decodeUnknownEither(S.SessionId)
const validKey = Schema.decodeUnknownEither(SessionData.DataKey)
const maxKeysPerCall = 1000

const check = <A>(result: Either.Either<A, ParseResult.ParseError>, what: string) =>
  Either.match(result, {
    onLeft: (error) => Effect.fail(ValidationError.fromParseError(what, error)),
    onRight: Effect.succeed
  })

/** Checks the keys of one call in a plain loop (this is on every data read and write). */
const validKeys = (keys: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<string>, ValidationError> => {
  if (keys.length > maxKeysPerCall) {
    return Effect.fail(new ValidationError({ message: `Invalid data keys: at most ${maxKeysPerCall} keys per call` }))
  }
  for (const key of keys) {
    const valid = validKey(key)
    if (Either.isLeft(valid)) return Effect.fail(ValidationError.fromParseError("data key", valid.left))
  }
  return Effect.succeed(keys)
}

const notFound = (sessionId: string) => Effect.fail(new SessionNotFound({ sessionId }))

/** Makes the free-form data operations on a store. */
export const make = (store: SessionStore, limits: DataLimits): DataOps => {
  const write = (sessionId: string, values: Readonly<Record<string, unknown>>) =>
    Effect.gen(function*() {
      const id = yield* check(validSessionId(sessionId), "session id")
      const entries: Array<readonly [string, string]> = []
      for (const key of Object.keys(values)) {
        yield* check(validKey(key), "data key")
        const encoded = SessionData.encode(values[key])
        if (Either.isLeft(encoded)) {
          return yield* Effect.fail(
            new ValidationError({ message: `Invalid data value for ${key}: ${encoded.left.replace(/^value/, key)}` })
          )
        }
        const size = Buffer.byteLength(encoded.right)
        if (size > limits.maxValueBytes) {
          return yield* Effect.fail(
            new DataTooLarge({ sessionId: id, scope: "value", key, size, limit: limits.maxValueBytes })
          )
        }
        entries.push([key, encoded.right])
      }
      if (entries.length > maxKeysPerCall) {
        return yield* Effect.fail(
          new ValidationError({ message: `Invalid data: at most ${maxKeysPerCall} keys per call` })
        )
      }
      const result = yield* store.dataSet(id, entries, limits.maxSessionBytes)
      if (Option.isNone(result)) return yield* notFound(id)
      if (result.value._tag === "TooLarge") {
        return yield* Effect.fail(
          new DataTooLarge({ sessionId: id, scope: "session", size: result.value.size, limit: limits.maxSessionBytes })
        )
      }
      return result.value.written
    })

  const decodeValue = (sessionId: string, key: string, text: string) =>
    Either.match(SessionData.decode(text), {
      onLeft: (message) =>
        Effect.fail(new DecodeError({ sessionId, field: `d:${key}`, message: `stored data ${key}: ${message}` })),
      onRight: Effect.succeed
    })

  const read = (
    sessionId: string,
    keys: ReadonlyArray<string>
  ): Effect.Effect<Array<Option.Option<SessionData.DataValue>>, DataReadError> =>
    Effect.gen(function*() {
      const id = yield* check(validSessionId(sessionId), "session id")
      yield* validKeys(keys)
      const texts = yield* store.dataGet(id, keys)
      if (Option.isNone(texts)) return yield* notFound(id)
      const values: Array<Option.Option<SessionData.DataValue>> = []
      for (const [i, key] of keys.entries()) {
        const text = texts.value[i]
        if (text === undefined) {
          values.push(Option.none())
          continue
        }
        const value = SessionData.decode(text)
        if (Either.isLeft(value)) {
          return yield* Effect.fail(
            new DecodeError({ sessionId: id, field: `d:${key}`, message: `stored data ${key}: ${value.left}` })
          )
        }
        values.push(Option.some(value.right))
      }
      return values
    })

  const getData = (sessionId: string, keys: string | ReadonlyArray<string> | Readonly<Record<string, unknown>>) => {
    if (typeof keys === "string") return Effect.map(read(sessionId, [keys]), (values) => values[0]!)
    if (Array.isArray(keys)) return read(sessionId, keys as ReadonlyArray<string>)
    const names = Object.keys(keys)
    return Effect.map(read(sessionId, names), (values) => Object.fromEntries(names.map((key, i) => [key, values[i]!])))
  }

  return {
    setData:
      ((sessionId: string, keyOrValues: string | Readonly<Record<string, unknown>>, value?: unknown) =>
        typeof keyOrValues === "string"
          ? write(sessionId, Object.fromEntries([[keyOrValues, value]]))
          : write(sessionId, keyOrValues)) as DataOps["setData"],
    getData: getData as DataOps["getData"],
    getAllData: (sessionId) =>
      Effect.gen(function*() {
        const id = yield* check(validSessionId(sessionId), "session id")
        const entries = yield* store.dataGetAll(id)
        if (Option.isNone(entries)) return yield* notFound(id)
        const out: Array<[string, SessionData.DataValue]> = []
        for (const [key, text] of entries.value) out.push([key, yield* decodeValue(id, key, text)])
        return Object.fromEntries(out)
      }),
    removeData: (sessionId, keys) =>
      Effect.gen(function*() {
        const id = yield* check(validSessionId(sessionId), "session id")
        const names = yield* validKeys(typeof keys === "string" ? [keys] : keys)
        const removed = yield* store.dataRemove(id, names)
        return Option.isNone(removed) ? yield* notFound(id) : removed.value
      })
  }
}

/** Makes the typed accessor of `fields` on the free-form operations. */
export const makeTyped = <F extends Schema.Struct.Fields>(
  fields: F,
  ops: DataOps
): TypedData<Schema.Struct.Type<F>> => {
  type A = Schema.Struct.Type<F>
  // Schemas needing services are excluded by the caller's type; R is never here.
  const struct = Schema.Struct(fields) as unknown as Schema.Schema<A, Record<string, unknown>>
  const encodeValues = Schema.encodeUnknownEither(Schema.partialWith(struct, { exact: true }), {
    onExcessProperty: "error"
  })
  const keySchemas = new Map(
    Object.keys(fields).map((key) => [
      key,
      Schema.decodeUnknownEither(
        Schema.Struct({ [key]: fields[key]! }) as unknown as Schema.Schema<
          Record<string, unknown>,
          Record<string, unknown>
        >
      )
    ])
  )
  const declared = (key: string) =>
    keySchemas.has(key)
      ? Effect.succeed(keySchemas.get(key)!)
      : Effect.fail(new ValidationError({ message: `Invalid data key: ${key} is not declared` }))
  const decodeKey = (sessionId: string, key: string, value: SessionData.DataValue) =>
    Effect.flatMap(declared(key), (decode) =>
      Either.match(decode({ [key]: value }), {
        onLeft: (error) =>
          Effect.fail(
            new DecodeError({
              sessionId,
              field: `d:${key}`,
              message: `stored data ${key} does not decode: ${ParseResult.TreeFormatter.formatErrorSync(error)}`,
              cause: error
            })
          ),
        onRight: (decoded) => Effect.succeed(decoded[key])
      }))

  return {
    get: <K extends keyof A & string>(sessionId: string, key: K) =>
      Effect.flatMap(declared(key), () =>
        Effect.flatMap(ops.getData(sessionId, key), (value) =>
          Option.match(value, {
            onNone: () => Effect.succeedNone,
            // decoded with the schema declared for this key
            onSome: (value) => Effect.asSome(decodeKey(sessionId, key, value) as Effect.Effect<A[K], DecodeError>)
          }))),
    set: (sessionId, values) =>
      Effect.flatMap(
        check(encodeValues(values), "data"),
        (encoded) => ops.setData(sessionId, encoded as Record<string, SessionData.DataValue>)
      ),
    remove: (sessionId, keys) => Effect.flatMap(Effect.forEach(keys, declared), () => ops.removeData(sessionId, keys)),
    getAll: (sessionId) =>
      Effect.flatMap(ops.getAllData(sessionId), (all) =>
        Effect.map(
          Effect.forEach(
            Object.keys(all).filter((key) => keySchemas.has(key)),
            (key) => Effect.map(decodeKey(sessionId, key, all[key]!), (value) => [key, value] as const)
          ),
          (entries) => Object.fromEntries(entries) as Partial<A>
        ))
  }
}
