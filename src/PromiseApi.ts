/**
 * The session manager as promises, for code outside Effect (an express app, a redisess user
 * migrating): each operation is the manager's Effect program, run on the runtime the API was made
 * in, its promise settled with the value or rejected with the typed error itself (a
 * `SessionNotFound`, a `ValidationError`...).
 *
 * Calls of `exists`, `get` with `noUpdate`, `getData` and `setData` made in the same stretch of
 * synchronous code and its microtasks (the callers one batch of replies wakes, the requests of one
 * loop) run as one program per operation, not one each: each call still gets its own result or
 * error, as alone. Identical `count` and `countForUser` calls made together share one run. No call
 * waits for company: a lone call goes when the code that made it yields.
 *
 * @example
 * import { Layer } from "effect"
 * import { PromiseApi, RedisLayer, SessionManager } from "effect-redisess"
 *
 * const sessions = await PromiseApi.fromLayer(
 *   SessionManager.layer({ namespace: "app" }).pipe(Layer.provide(RedisLayer.layer({ url: "redis://127.0.0.1:6379" })))
 * )
 * const { token } = await sessions.create("user-1")
 * await sessions.exists(token) // true
 * await sessions.close()
 *
 * @since 0.2.0
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import type * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import type * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import type * as Schema from "effect/Schema"
import * as Batched from "./internal/batched.js"
import { readForm, type TypedData } from "./internal/dataOps.js"
import type { AnyFields, TokenInput } from "./Session.js"
import type { DataValue } from "./SessionData.js"
import type { GetOptions, SessionManagerService } from "./SessionManager.js"
import { SessionManager } from "./SessionManager.js"

/** An operation of the manager as a promise: the same arguments, its value (its error rejects). */
type Promised<F> = F extends (...args: infer P) => Effect.Effect<infer A, infer _E, infer _R> ?
  (...args: P) => Promise<A>
  : F extends Effect.Effect<infer A, infer _E, infer _R> ? () => Promise<A>
  : F

/**
 * The session manager's operations as promises (see the module's doc); anything else goes through
 * `run`.
 *
 * @since 0.2.0
 */
export type PromiseSessionManager<A = AnyFields> =
  & {
    readonly [K in Exclude<keyof SessionManagerService<A>, "data" | "getData" | "setData">]: Promised<
      SessionManagerService<A>[K]
    >
  }
  & {
    readonly getData: {
      (token: TokenInput, key: string): Promise<Option.Option<DataValue>>
      (token: TokenInput, keys: ReadonlyArray<string>): Promise<ReadonlyArray<Option.Option<DataValue>>>
      <K extends string>(
        token: TokenInput,
        keys: Readonly<Record<K, unknown>>
      ): Promise<Record<K, Option.Option<DataValue>>>
    }
    readonly setData: {
      (token: TokenInput, key: string, value: DataValue): Promise<number>
      (token: TokenInput, values: Readonly<Record<string, DataValue>>): Promise<number>
    }
    /**
     * Session data typed by schemas, one per key, as promises (see `SessionManagerService.data`).
     *
     * @example
     * const prefs = sessions.data({ theme: Schema.Literal("dark", "light") })
     * await prefs.set(token, { theme: "dark" })
     * const theme = await prefs.get(token, "theme") // Option<"dark" | "light">
     */
    readonly data: <F extends Schema.Struct.Fields>(
      fields: F & (Schema.Struct.Context<F> extends never ? unknown : "data schemas must need no services")
    ) => PromiseTypedData<Schema.Struct.Type<F>>
    /** Runs any program on the manager, as a promise. */
    readonly run: <X, E>(program: (manager: SessionManagerService<A>) => Effect.Effect<X, E>) => Promise<X>
  }

/**
 * Typed session data as promises: `TypedData`'s operations, each run as its program.
 *
 * @since 0.2.0
 */
export interface PromiseTypedData<D> {
  /** The value of one key, decoded with its schema; `None` when never set. */
  readonly get: <K extends keyof D & string>(token: TokenInput, key: K) => Promise<Option.Option<D[K]>>
  /** Validates and writes the given keys in one step; returns how many were written. */
  readonly set: (token: TokenInput, values: Partial<D>) => Promise<number>
  /** Removes keys; returns how many existed. */
  readonly remove: (token: TokenInput, keys: ReadonlyArray<keyof D & string>) => Promise<number>
  /** Every declared key that is set, decoded. */
  readonly getAll: (token: TokenInput) => Promise<Partial<D>>
}

/**
 * Most calls of one operation in one program. A program answers its callers when its last call
 * is answered: the size of the store's own batches (`hashReads.ts`), so that the first callers
 * do not wait for a second batch of replies before they can make their next calls.
 */
export const maxCalls = 32

/** A call's promise. */
interface Caller<X> {
  readonly resolve: (value: X) => void
  readonly reject: (error: unknown) => void
}

/** The error a promise rejects with: the failure itself (a typed error), else the defect or interruption. */
const rejection = <E>(cause: Cause.Cause<E>): unknown => Cause.squash(cause)

/**
 * The manager `service` as promises, its programs run on `runtime` (the effectful constructors
 * below take the runtime of the fiber that makes it).
 *
 * @since 0.2.0
 */
export const unsafeMake = <A>(
  service: SessionManagerService<A>,
  runtime: Runtime.Runtime<never>
): PromiseSessionManager<A> => {
  const runCallback = Runtime.runCallback(runtime)

  const run = <X, E>(program: Effect.Effect<X, E>): Promise<X> =>
    new Promise((resolve, reject) => {
      runCallback(program, {
        onExit: (exit) => Exit.isSuccess(exit) ? resolve(exit.value) : reject(rejection(exit.cause))
      })
    })

  /** Calls gathered until the code that made them yields, then run by `many` as one program. */
  const gathered = <I, X, E>(many: (inputs: ReadonlyArray<I>) => Batched.Results<X, E>) => {
    let inputs: Array<I> = []
    let callers: Array<Caller<X>> = []
    const go = () => {
      if (inputs.length === 0) return
      const these = callers
      const program = many(inputs)
      inputs = []
      callers = []
      runCallback(program, {
        onExit: (exit) => {
          if (Exit.isFailure(exit)) {
            const error = rejection(exit.cause)
            for (const caller of these) caller.reject(error)
            return
          }
          const results = exit.value
          for (let i = 0; i < these.length; i++) {
            const result = results[i]!
            if (Either.isRight(result)) these[i]!.resolve(result.right)
            else these[i]!.reject(result.left)
          }
        }
      })
    }
    return (input: I): Promise<X> =>
      new Promise<X>((resolve, reject) => {
        if (inputs.length === 0) queueMicrotask(go)
        inputs.push(input)
        callers.push({ resolve, reject })
        if (inputs.length >= maxCalls) go()
      })
  }

  /** Identical calls (by `key`) made together share one run, until the code that made them yields. */
  const shared = <X>() => {
    const running = new Map<string, Promise<X>>()
    return (key: string, program: () => Effect.Effect<X, unknown>): Promise<X> => {
      const found = running.get(key)
      if (found !== undefined) return found
      if (running.size === 0) queueMicrotask(() => running.clear())
      const promise = run(program())
      running.set(key, promise)
      return promise
    }
  }

  const promised: Record<string, unknown> = {}
  for (const [name, operation] of Object.entries(service)) {
    if (name === "data") continue
    promised[name] = typeof operation === "function"
      ? (...args: Array<unknown>) => run((operation as (...args: Array<unknown>) => Effect.Effect<unknown>)(...args))
      : Effect.isEffect(operation)
      ? () => run(operation as Effect.Effect<unknown, unknown>)
      : operation
  }

  const batched = Batched.of<A>(service)
  if (batched !== undefined) {
    const exists = gathered(batched.exists)
    const read = gathered(batched.get)
    const getData = gathered(batched.getData)
    const setData = gathered(batched.setData)
    promised.exists = exists
    promised.get = (token: TokenInput, options?: GetOptions) =>
      options?.noUpdate === true ? read(token) : run(service.get(token, options))
    promised.getData = (token: TokenInput, keys: unknown) => {
      const form = readForm(keys)
      return getData({ token, keys: form.keys }).then(form.answer)
    }
    promised.setData = (token: TokenInput, keyOrValues: string | Readonly<Record<string, unknown>>, value?: unknown) =>
      setData({ token, values: typeof keyOrValues === "string" ? { [keyOrValues]: value } : keyOrValues })
  }
  // only well-typed input is shared, each distinct value apart (NaN, -0): a call a check refuses gets its own error
  const counts = shared<number>()
  const windowKey = (secs: unknown): string | undefined =>
    secs === undefined ? "all" : typeof secs !== "number" ? undefined : Object.is(secs, -0) ? "-0" : String(secs)
  promised.count = (secs?: number) => {
    const key = windowKey(secs)
    return key !== undefined ? counts(key, () => service.count(secs)) : run(service.count(secs))
  }
  promised.countForUser = (userId: string, secs?: number) => {
    const key = windowKey(secs)
    // the window's key has no NUL: the user id after one cannot make another call's key
    return key !== undefined && typeof userId === "string"
      ? counts(`${key}\u0000${userId}`, () => service.countForUser(userId, secs))
      : run(service.countForUser(userId, secs))
  }
  promised.run = <X, E>(program: (manager: SessionManagerService<A>) => Effect.Effect<X, E>) => run(program(service))
  promised.data = (fields: Schema.Struct.Fields) => {
    const typed = service.data(fields as never) as TypedData<Record<string, unknown>>
    return {
      get: (token: TokenInput, key: string) => run(typed.get(token, key)),
      set: (token: TokenInput, values: Record<string, unknown>) => run(typed.set(token, values)),
      remove: (token: TokenInput, keys: ReadonlyArray<string>) => run(typed.remove(token, keys)),
      getAll: (token: TokenInput) => run(typed.getAll(token))
    }
  }
  return promised as PromiseSessionManager<A>
}

/**
 * The manager `service` as promises, run on the runtime of the fiber that makes it (its services,
 * clock and logger).
 *
 * @since 0.2.0
 */
export const fromService = <A>(service: SessionManagerService<A>): Effect.Effect<PromiseSessionManager<A>> =>
  Effect.map(Effect.runtime<never>(), (runtime) => unsafeMake(service, runtime))

/**
 * The `SessionManager` in context as promises, run on the runtime of the fiber that makes it.
 *
 * @since 0.2.0
 */
export const make: Effect.Effect<PromiseSessionManager, never, SessionManager> = Effect.flatMap(
  SessionManager,
  fromService
)

/**
 * A manager layer (`SessionManager.layer` on a `RedisLayer`) built in a runtime of its own, as
 * promises; `close` releases it (the wipe fiber, the connection). Rejects with the layer's error
 * when it cannot be built.
 *
 * @since 0.2.0
 */
export const fromLayer = async <E>(
  layer: Layer.Layer<SessionManager, E>
): Promise<PromiseSessionManager & { readonly close: () => Promise<void> }> => {
  const runtime = ManagedRuntime.make(layer)
  const exit = await runtime.runPromiseExit(make)
  if (Exit.isFailure(exit)) {
    await runtime.dispose()
    throw rejection(exit.cause)
  }
  return Object.assign(exit.value, { close: () => runtime.dispose() })
}
