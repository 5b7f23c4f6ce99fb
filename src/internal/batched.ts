/**
 * The manager's operations that the calls of many callers can share one effect: each takes the
 * inputs of many calls and answers each on its own (a value or its error), as the call alone would.
 * `PromiseApi.ts` runs the calls a turn of promise callers makes this way, so that they cost one
 * effect, not one each. The manager keeps them on its service object under `TypeId`, out of its
 * public interface.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Option from "effect/Option"
import type { DataTooLarge, DecodeError, RedisError, SessionNotFound, ValidationError } from "../Errors.js"
import type { Session, TokenInput } from "../Session.js"
import type { DataValue } from "../SessionData.js"

/** The key of a manager's batched operations on its service object. */
export const TypeId: unique symbol = Symbol.for("effect-redisess/SessionManager/Batched")

/** The results of many calls, in their order. */
export type Results<A, E> = Effect.Effect<ReadonlyArray<Either.Either<A, E>>>

/** A manager's operations over many calls (see the module's doc). */
export interface Batched<A> {
  readonly exists: (tokens: ReadonlyArray<TokenInput>) => Results<boolean, ValidationError | RedisError>
  /** `get` without a touch (`noUpdate`). */
  readonly get: (
    tokens: ReadonlyArray<TokenInput>
  ) => Results<Session<A>, SessionNotFound | ValidationError | RedisError | DecodeError>
  readonly getData: (
    calls: ReadonlyArray<{ readonly token: TokenInput; readonly keys: ReadonlyArray<string> }>
  ) => Results<ReadonlyArray<Option.Option<DataValue>>, SessionNotFound | ValidationError | RedisError | DecodeError>
  readonly setData: (
    calls: ReadonlyArray<{ readonly token: TokenInput; readonly values: Readonly<Record<string, unknown>> }>
  ) => Results<number, SessionNotFound | ValidationError | DataTooLarge | RedisError>
}

/** The batched operations kept on a manager's service object, if it has them (a hand-made service may not). */
export const of = <A>(service: object): Batched<A> | undefined =>
  (service as { readonly [TypeId]?: Batched<A> })[TypeId]

/** Keeps batched operations on a service object (not enumerable: spreading the service leaves them). */
export const attach = <S extends object, A>(service: S, batched: Batched<A>): S =>
  Object.defineProperty(service, TypeId, { value: batched, enumerable: false })

/**
 * Runs many calls of one operation: `prepare` checks each call's input (a failure answers that
 * call, and nothing is sent for it), `run` makes the store's calls for the rest together, and
 * `finish` turns each store result into the call's.
 */
export const calls = <I, Q, R, A, E1, E2>(
  inputs: ReadonlyArray<I>,
  prepare: (input: I) => Either.Either<Q, E1>,
  run: (prepared: ReadonlyArray<Q>) => Results<R, RedisError>,
  finish: (prepared: Q, result: R) => Either.Either<A, E2>
): Results<A, E1 | E2 | RedisError> =>
  Effect.suspend(() => {
    const out: Array<Either.Either<A, E1 | E2 | RedisError>> = new Array(inputs.length)
    const prepared: Array<Q> = []
    const at: Array<number> = []
    for (let i = 0; i < inputs.length; i++) {
      const input = prepare(inputs[i]!)
      if (Either.isLeft(input)) out[i] = Either.left(input.left)
      else {
        prepared.push(input.right)
        at.push(i)
      }
    }
    if (prepared.length === 0) return Effect.succeed(out)
    return Effect.flatMap(run(prepared), (results) => {
      // a store of one's own that answers fewer or more results: a defect, not a call left hanging
      if (results.length !== prepared.length) {
        return Effect.dieMessage(`The store answered ${results.length} results to ${prepared.length} calls`)
      }
      for (let j = 0; j < results.length; j++) {
        const result = results[j]!
        out[at[j]!] = Either.isLeft(result) ? Either.left(result.left) : finish(prepared[j]!, result.right)
      }
      return Effect.succeed(out)
    })
  })
