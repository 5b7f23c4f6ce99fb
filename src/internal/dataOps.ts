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
import type * as S from "../Schema.js"
import type { TokenInput } from "../Session.js"
import * as SessionData from "../SessionData.js"
import type { DataGetCall, DataSetCall, DataSetLimits, DataSetResult, SessionStore } from "../SessionStore.js"
import * as Batched from "./batched.js"
import * as Ids from "./ids.js"
import * as Validate from "./validate.js"

/** Errors of reading session data. */
export type DataReadError = SessionNotFound | ValidationError | RedisError | DecodeError
/** Errors of writing session data. */
export type DataWriteError = SessionNotFound | ValidationError | DataTooLarge | RedisError

/** The free-form data operations (see `SessionManagerService`), by token: reading or writing a session's data authenticates. */
export interface DataOps {
  readonly setData: {
    (token: TokenInput, key: string, value: SessionData.DataValue): Effect.Effect<number, DataWriteError>
    (token: TokenInput, values: Readonly<Record<string, SessionData.DataValue>>): Effect.Effect<number, DataWriteError>
  }
  readonly getData: {
    (token: TokenInput, key: string): Effect.Effect<Option.Option<SessionData.DataValue>, DataReadError>
    (
      token: TokenInput,
      keys: ReadonlyArray<string>
    ): Effect.Effect<ReadonlyArray<Option.Option<SessionData.DataValue>>, DataReadError>
    <K extends string>(
      token: TokenInput,
      keys: Readonly<Record<K, unknown>>
    ): Effect.Effect<Record<K, Option.Option<SessionData.DataValue>>, DataReadError>
  }
  readonly getAllData: (token: TokenInput) => Effect.Effect<Record<string, SessionData.DataValue>, DataReadError>
  readonly removeData: (
    token: TokenInput,
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
    token: TokenInput,
    key: K
  ) => Effect.Effect<Option.Option<A[K]>, DataReadError>
  /** Validates and writes the given keys in one step; returns how many were written. */
  readonly set: (token: TokenInput, values: Partial<A>) => Effect.Effect<number, DataWriteError>
  /** Removes keys; returns how many existed. */
  readonly remove: (
    token: TokenInput,
    keys: ReadonlyArray<keyof A & string>
  ) => Effect.Effect<number, SessionNotFound | ValidationError | RedisError>
  /** Every declared key that is set, decoded. */
  readonly getAll: (token: TokenInput) => Effect.Effect<Partial<A>, DataReadError>
}

/** Size limits: bytes of one value, bytes of a session's data, and how many keys a session holds. */
export interface DataLimits {
  readonly maxValueBytes: number
  readonly maxSessionBytes: number
  readonly maxSessionKeys: number
}

const maxKeysPerCall = 1000

// every data read and write checks these: well-formed input skips the schemas
const validKey = Ids.decodeFast(
  SessionData.DataKey,
  (input) => Ids.isWellFormedText(input, SessionData.maxDataKeyLength)
)

/** What is wrong with one data key, if anything. */
const invalidKey = (key: string): ValidationError | undefined => {
  const valid = validKey(key)
  return Either.isLeft(valid) ? ValidationError.fromParseError("data key", valid.left) : undefined
}

/** What is wrong with the keys of one call, if anything (a plain loop: this is on every data read and write). */
const invalidKeys = (keys: ReadonlyArray<string>): ValidationError | undefined => {
  if (!Array.isArray(keys)) {
    return new ValidationError({ message: "Invalid data keys: expected a key or an array of keys" })
  }
  if (keys.length > maxKeysPerCall) {
    return new ValidationError({ message: `Invalid data keys: at most ${maxKeysPerCall} keys per call` })
  }
  for (const key of keys) {
    const invalid = invalidKey(key)
    if (invalid !== undefined) return invalid
  }
  return undefined
}

const validKeys = (keys: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<string>, ValidationError> => {
  const invalid = invalidKeys(keys)
  return invalid === undefined ? Effect.succeed(keys) : Effect.fail(invalid)
}

/** A data read in one of `getData`'s forms: the keys it reads, and its answer from their values in order. */
export interface ReadForm {
  readonly keys: ReadonlyArray<string>
  readonly answer: (values: ReadonlyArray<Option.Option<SessionData.DataValue>>) => unknown
}

/**
 * The form of a data read's `keys`: one key, an array of keys, or a record (its own keys, the
 * values given back under them). Anything else is read as given, for the key checks to refuse.
 */
export const readForm = (keys: unknown): ReadForm => {
  if (typeof keys === "string") return { keys: [keys], answer: (values) => values[0] }
  if (typeof keys !== "object" || keys === null || Array.isArray(keys)) {
    return { keys: keys as ReadonlyArray<string>, answer: (values) => values }
  }
  const names = Object.keys(keys)
  return { keys: names, answer: (values) => Object.fromEntries(names.map((key, i) => [key, values[i]!])) }
}

const notFound = (sessionId: string) => Effect.fail(new SessionNotFound({ sessionId }))

const dataError = (sessionId: string, key: string, message: string, cause?: unknown) =>
  new DecodeError({ sessionId, source: "data", key, message, ...(cause === undefined ? {} : { cause }) })

/**
 * Makes the free-form data operations on a store, and their forms over many calls (`many`, kept
 * by the manager for `PromiseApi`: `batched.ts`; not part of its interface).
 */
export const make = (
  store: SessionStore,
  limits: DataLimits
): DataOps & { readonly many: Pick<Batched.Batched<unknown>, "getData" | "setData"> } => {
  /** What the store keeps a session's data within, on every write. */
  const setLimits: DataSetLimits = { maxBytes: limits.maxSessionBytes, maxKeys: limits.maxSessionKeys }

  /** The encoded entries of a write, or why it cannot be made (nothing is written then). */
  const entriesOf = (
    id: S.SessionId,
    values: Readonly<Record<string, unknown>>
  ): Either.Either<Array<readonly [string, string]>, ValidationError | DataTooLarge> => {
    if (typeof values !== "object" || values === null || Array.isArray(values)) {
      return Either.left(new ValidationError({ message: "Invalid data: expected an object of keys and values" }))
    }
    const entries: Array<readonly [string, string]> = []
    for (const key of Object.keys(values)) {
      const invalid = invalidKey(key)
      if (invalid !== undefined) return Either.left(invalid)
      const encoded = SessionData.encode(values[key])
      if (Either.isLeft(encoded)) {
        return Either.left(
          new ValidationError({ message: `Invalid data value for ${key}: ${encoded.left.replace(/^value/, key)}` })
        )
      }
      const size = Buffer.byteLength(encoded.right)
      if (size > limits.maxValueBytes) {
        return Either.left(new DataTooLarge({ sessionId: id, scope: "value", key, size, limit: limits.maxValueBytes }))
      }
      entries.push([key, encoded.right])
    }
    if (entries.length > maxKeysPerCall) {
      return Either.left(new ValidationError({ message: `Invalid data: at most ${maxKeysPerCall} keys per call` }))
    }
    return Either.right(entries)
  }

  /** A data set's result from the store's: how many entries were written, or why none was. */
  const written = (
    sessionId: string,
    result: Option.Option<DataSetResult>
  ): Either.Either<number, SessionNotFound | DataTooLarge> => {
    if (Option.isNone(result)) return Either.left(new SessionNotFound({ sessionId }))
    if (result.value._tag === "TooLarge") {
      return Either.left(
        new DataTooLarge({ sessionId, scope: "session", size: result.value.size, limit: limits.maxSessionBytes })
      )
    }
    if (result.value._tag === "TooMany") {
      return Either.left(
        new DataTooLarge({ sessionId, scope: "keys", size: result.value.count, limit: limits.maxSessionKeys })
      )
    }
    return Either.right(result.value.written)
  }

  /** A write's store call, or why it cannot be made (nothing is written then). */
  const writeCall = (
    token: TokenInput,
    values: Readonly<Record<string, unknown>>
  ): Either.Either<DataSetCall, ValidationError | DataTooLarge> => {
    const id = Validate.tokenId(token)
    if (Either.isLeft(id)) return Either.left(id.left)
    const entries = entriesOf(id.right, values)
    if (Either.isLeft(entries)) return Either.left(entries.left)
    return Either.right({ sessionId: id.right, entries: entries.right, limits: setLimits })
  }

  // the hot write path in plain steps: checks and encoding first, then one store call (suspended, so
  // that the values are read when the effect runs, each time it runs)
  const write = (
    token: TokenInput,
    values: Readonly<Record<string, unknown>>
  ): Effect.Effect<number, DataWriteError> =>
    Effect.suspend((): Effect.Effect<number, DataWriteError> => {
      const call = writeCall(token, values)
      if (Either.isLeft(call)) return Effect.fail(call.left)
      const { entries, limits, sessionId } = call.right
      return Effect.flatMap(store.dataSet(sessionId, entries, limits), (result) => written(sessionId, result))
    })

  /** A stored text decoded into its value, or a `DecodeError` naming its key. */
  const storedValue = (
    sessionId: string,
    key: string,
    text: string
  ): Either.Either<SessionData.DataValue, DecodeError> =>
    Either.mapLeft(SessionData.decode(text), (message) => dataError(sessionId, key, `stored data ${key}: ${message}`))

  /** A read's values decoded from the store's texts (`None`: the session is not live). */
  const readValues = (
    sessionId: string,
    keys: ReadonlyArray<string>,
    texts: Option.Option<ReadonlyArray<string | undefined>>
  ): Either.Either<Array<Option.Option<SessionData.DataValue>>, SessionNotFound | DecodeError> => {
    if (Option.isNone(texts)) return Either.left(new SessionNotFound({ sessionId }))
    const values: Array<Option.Option<SessionData.DataValue>> = []
    for (let i = 0; i < keys.length; i++) {
      const text = texts.value[i]
      if (text === undefined) {
        values.push(Option.none())
        continue
      }
      const value = storedValue(sessionId, keys[i]!, text)
      if (Either.isLeft(value)) return Either.left(value.left)
      values.push(Option.some(value.right))
    }
    return Either.right(values)
  }

  /** A read's store call, or why it cannot be made. */
  const readCall = (token: TokenInput, keys: ReadonlyArray<string>): Either.Either<DataGetCall, ValidationError> => {
    const id = Validate.tokenId(token)
    if (Either.isLeft(id)) return Either.left(id.left)
    const invalid = invalidKeys(keys)
    return invalid === undefined ? Either.right({ sessionId: id.right, keys }) : Either.left(invalid)
  }

  /** One key's value decoded from the store's text (`None` in `texts`: the session is not live). */
  const readOne = (
    sessionId: string,
    key: string,
    texts: Option.Option<ReadonlyArray<string | undefined>>
  ): Either.Either<Option.Option<SessionData.DataValue>, SessionNotFound | DecodeError> => {
    if (Option.isNone(texts)) return Either.left(new SessionNotFound({ sessionId }))
    const text = texts.value[0]
    if (text === undefined) return Either.right(Option.none())
    return Either.map(storedValue(sessionId, key, text), Option.some)
  }

  // the read of one key, the common call: a string holds nothing to read later, so its checks run
  // now, and the effect is one store call and one decoding step
  const getOne = (token: TokenInput, key: string): Effect.Effect<unknown, DataReadError> => {
    const id = Validate.tokenId(token)
    if (Either.isLeft(id)) return Effect.fail(id.left)
    const invalid = invalidKey(key)
    if (invalid !== undefined) return Effect.fail(invalid)
    const sessionId = id.right
    return Effect.flatMap(store.dataGet(sessionId, [key]), (texts) => readOne(sessionId, key, texts))
  }

  // the other forms in plain steps, when the effect runs (arrays and records are read then): checks
  // first, then one store call and a decoding loop
  const getData = (token: TokenInput, keys: unknown): Effect.Effect<unknown, DataReadError> =>
    typeof keys === "string" ? getOne(token, keys) : Effect.suspend((): Effect.Effect<unknown, DataReadError> => {
      const form = readForm(keys)
      const call = readCall(token, form.keys)
      if (Either.isLeft(call)) return Effect.fail(call.left)
      const { sessionId } = call.right
      return Effect.flatMap(
        store.dataGet(sessionId, form.keys),
        (texts) => Either.map(readValues(sessionId, form.keys, texts), form.answer)
      )
    })

  return {
    many: {
      getData: (calls) =>
        Batched.calls(
          calls,
          ({ keys, token }) => readCall(token, keys),
          store.many.dataGet,
          ({ keys, sessionId }, texts) => readValues(sessionId, keys, texts)
        ),
      setData: (calls) =>
        Batched.calls(
          calls,
          ({ token, values }) => writeCall(token, values),
          store.many.dataSet,
          ({ sessionId }, result) => written(sessionId, result)
        )
    },
    setData:
      ((token: TokenInput, keyOrValues: string | Readonly<Record<string, unknown>>, value?: unknown) =>
        typeof keyOrValues === "string"
          ? write(token, Object.fromEntries([[keyOrValues, value]]))
          : write(token, keyOrValues)) as DataOps["setData"],
    getData: getData as DataOps["getData"],
    getAllData: (token) =>
      Effect.gen(function*() {
        const id = yield* Validate.tokenId(token)
        const entries = yield* store.dataGetAll(id)
        if (Option.isNone(entries)) return yield* notFound(id)
        const out: Array<[string, SessionData.DataValue]> = []
        for (const [key, text] of entries.value) out.push([key, yield* storedValue(id, key, text)])
        return Object.fromEntries(out)
      }),
    removeData: (token, keys) =>
      Effect.gen(function*() {
        const id = yield* Validate.tokenId(token)
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
  /** The session id errors name (never the token); the token is valid once a data operation read it. */
  const idFor = (token: TokenInput): string => Either.getOrElse(Validate.tokenId(token), () => "")
  // the id is derived (a hash) only for an error, not for every key read
  const decodeKey = (token: TokenInput, key: string, value: SessionData.DataValue) =>
    Effect.flatMap(declared(key), (decode) =>
      Either.match(decode({ [key]: value }), {
        onLeft: (error) =>
          Effect.fail(
            dataError(
              idFor(token),
              key,
              `stored data ${key} does not decode: ${ParseResult.TreeFormatter.formatErrorSync(error)}`,
              error
            )
          ),
        onRight: (decoded) => Effect.succeed(decoded[key])
      }))

  return {
    get: <K extends keyof A & string>(token: TokenInput, key: K) =>
      Effect.flatMap(declared(key), () =>
        Effect.flatMap(ops.getData(token, key), (value) =>
          Option.match(value, {
            onNone: () => Effect.succeedNone,
            // decoded with the schema declared for this key
            onSome: (value) => Effect.asSome(decodeKey(token, key, value) as Effect.Effect<A[K], DecodeError>)
          }))),
    set: (token, values) =>
      Effect.suspend(() =>
        Effect.flatMap(
          Validate.validateWith(encodeValues, "data")(values),
          (encoded) => ops.setData(token, encoded as Record<string, SessionData.DataValue>)
        )
      ),
    remove: (token, keys) => Effect.flatMap(Effect.forEach(keys, declared), () => ops.removeData(token, keys)),
    getAll: (token) =>
      Effect.flatMap(ops.getAllData(token), (all) =>
        Effect.map(
          Effect.forEach(
            Object.keys(all).filter((key) => keySchemas.has(key)),
            (key) => Effect.map(decodeKey(token, key, all[key]!), (value) => [key, value] as const)
          ),
          (entries) => Object.fromEntries(entries) as Partial<A>
        ))
  }
}
