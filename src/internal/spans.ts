/**
 * Tracing spans around a manager's operations (the manager's `spans` option): each call runs in a
 * span named after its operation (`SessionManager.get`, `SessionManager.data.set`), kind `client`,
 * whose one attribute is the namespace. Nothing a call is given is recorded: a token is a secret,
 * a user id may be personal data. A failed call's span ends with its typed error, which names a
 * session by its id, never by its token (`Errors.ts`).
 */
import * as Effect from "effect/Effect"
import type * as Tracer from "effect/Tracer"

/** The attribute naming the namespace on every span. */
export const namespaceAttribute = "session.namespace"

/** The attribute on a span of many calls run together (`PromiseApi`): how many. */
export const callsAttribute = "session.calls"

/**
 * Options of one span. Without a captured stack trace: it would point into this library, not at the
 * caller, and capturing it costs time on every call.
 */
const spanOptions = (attributes: Record<string, unknown>): Tracer.SpanOptions => ({
  kind: "client",
  captureStackTrace: false,
  attributes
})

/**
 * The operations with each call in a span `<prefix>.<operation>`: an operation that is an effect
 * runs in one, a function's returned effect runs in one; other members, and those named in `keep`,
 * are kept as they are. `attributes` adds to the namespace's, from a call's arguments.
 */
const wrapAll = <T extends object>(
  operations: T,
  prefix: string,
  namespace: string,
  keep: ReadonlyArray<keyof T>,
  attributes?: (args: ReadonlyArray<unknown>) => Record<string, unknown>
): T => {
  const fixed = spanOptions({ [namespaceAttribute]: namespace })
  const optionsOf = (args: ReadonlyArray<unknown>) =>
    attributes === undefined ? fixed : spanOptions({ [namespaceAttribute]: namespace, ...attributes(args) })
  const out: Record<string, unknown> = {}
  for (const [name, member] of Object.entries(operations)) {
    const spanName = `${prefix}.${name}`
    out[name] = keep.includes(name as keyof T)
      ? member
      : Effect.isEffect(member)
      ? Effect.withSpan(member, spanName, fixed)
      : typeof member === "function"
      ? (...args: Array<unknown>) => {
        const result: unknown = member(...args)
        return Effect.isEffect(result) ? Effect.withSpan(result, spanName, optionsOf(args)) : result
      }
      : member
  }
  return out as T
}

/**
 * The same operations, each call in a span `<prefix>.<operation>`: an operation that is an effect
 * (`killAll`) runs in one, a function's returned effect runs in one; other members (`namespace`,
 * `ttl`) are kept as they are. Members named in `keep` are kept as they are too (the caller traces
 * what they return itself).
 */
export const traced = <T extends object>(
  operations: T,
  prefix: string,
  namespace: string,
  keep: ReadonlyArray<keyof T> = []
): T => wrapAll(operations, prefix, namespace, keep)

/**
 * The same operations over many calls (`batched.ts`), each run in one span `<prefix>.<operation>`
 * that tells how many calls it carried.
 */
export const tracedMany = <T extends object>(operations: T, prefix: string, namespace: string): T =>
  wrapAll(operations, prefix, namespace, [], ([calls]) => ({
    [callsAttribute]: (calls as ReadonlyArray<unknown>).length
  }))
