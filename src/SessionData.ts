/**
 * Session data: values an app keeps in a session, and their storage encoding.
 *
 * Each entry is the hash field `d:<key>` of the session's hash, so no key an app picks can collide
 * with the session's own fields (one letter) or additional fields (`f:<name>`). The value is one
 * type letter followed by its text, so another language can read it:
 *
 * | letter | type | text |
 * | --- | --- | --- |
 * | `s` | string | the string itself (a string with a lone surrogate is stored as `j` JSON) |
 * | `n` | number | JavaScript's `String(n)`, plus `-0`, `NaN`, `Infinity`, `-Infinity` |
 * | `t` / `f` | boolean | nothing |
 * | `z` | null | nothing |
 * | `d` | Date | milliseconds since the epoch |
 * | `x` | bytes (Uint8Array, Buffer) | base64 |
 * | `j` | array or object | tagged JSON (below) |
 *
 * Tagged JSON is plain JSON where a value JSON cannot hold is an object `{"$t": tag, "v": ...}`:
 * `n` (a non-finite number or -0, as text), `d` (a Date, as epoch ms), `x` (bytes, as base64); an
 * object of the app's that has its own `$t` key is wrapped as `{"$t": "o", "v": {...}}`.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as Schema from "effect/Schema"
import { loneSurrogate } from "./internal/ids.js"

/**
 * A value that can be stored as session data and comes back with its type.
 *
 * @since 0.1.0
 */
export type DataValue =
  | string
  | number
  | boolean
  | null
  | Date
  | Uint8Array
  | ReadonlyArray<DataValue>
  | { readonly [key: string]: DataValue }

/**
 * The most characters (UTF-16 code units) a data key may have.
 *
 * @since 0.1.0
 */
export const maxDataKeyLength = 256

/**
 * A data key: 1 to 256 characters of well-formed Unicode.
 *
 * @since 0.1.0
 */
export const DataKey = Schema.String.pipe(
  Schema.minLength(1, { message: () => "a data key must not be empty" }),
  Schema.maxLength(maxDataKeyLength, { message: () => `a data key has at most ${maxDataKeyLength} characters` }),
  Schema.filter((s) => !loneSurrogate.test(s), {
    message: () => "a data key must be well-formed Unicode"
  })
)

/**
 * Default limits on encoded data: 256 KiB for one value, 1 MiB for one session's data (keys and
 * values), 1,000 keys for one session. Redis can hold more, but a session is read on every
 * request, and reading all of its data is one command: keep it small.
 *
 * @since 0.1.0
 */
export const defaultLimits = { maxValueBytes: 256 * 1024, maxSessionBytes: 1024 * 1024, maxSessionKeys: 1000 } as const

const numberText = (n: number): string => Object.is(n, -0) ? "-0" : String(n)

const isPlainObject = (value: object): value is Readonly<Record<string, unknown>> => {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

const describe = (value: unknown): string =>
  typeof value === "object" && value !== null ? `a ${value.constructor?.name ?? "null-prototype object"}` : typeof value

/** Converts a nested value to its tagged-JSON form, or says what cannot be stored and where. */
const toTagged = (value: unknown, path: string): Either.Either<unknown, string> => {
  if (value === null || typeof value === "string" || typeof value === "boolean") return Either.right(value)
  if (typeof value === "number") {
    return Number.isFinite(value) && !Object.is(value, -0)
      ? Either.right(value)
      : Either.right({ $t: "n", v: numberText(value) })
  }
  if (value instanceof Date) {
    const ms = value.getTime()
    return Number.isNaN(ms) ? Either.left(`${path} is an invalid Date`) : Either.right({ $t: "d", v: ms })
  }
  if (value instanceof Uint8Array) return Either.right({ $t: "x", v: Encoding.encodeBase64(value) })
  if (Array.isArray(value)) {
    const out: Array<unknown> = []
    for (const [i, item] of value.entries()) {
      const tagged = toTagged(item, `${path}[${i}]`)
      if (Either.isLeft(tagged)) return tagged
      out.push(tagged.right)
    }
    return Either.right(out)
  }
  if (typeof value === "object" && isPlainObject(value)) {
    const entries: Array<[string, unknown]> = []
    for (const key of Object.keys(value)) {
      const tagged = toTagged(value[key], `${path}.${key}`)
      if (Either.isLeft(tagged)) return tagged
      entries.push([key, tagged.right])
    }
    const object = Object.fromEntries(entries)
    return Either.right(Object.hasOwn(value, "$t") ? { $t: "o", v: object } : object)
  }
  return Either.left(`${path} is ${describe(value)}, which cannot be stored (use a plain value, Date or bytes)`)
}

/** The inverse of {@link toTagged}. */
const fromTagged = (node: unknown): DataValue => {
  if (Array.isArray(node)) return node.map(fromTagged)
  if (node !== null && typeof node === "object") {
    const record = node as Record<string, unknown>
    if (Object.hasOwn(record, "$t")) {
      const v = record.v
      switch (record.$t) {
        case "n":
          return Number(v)
        case "d":
          return new Date(Number(v))
        case "x":
          return Either.getOrThrow(Encoding.decodeBase64(String(v)))
        case "o":
          return fromTaggedObject(v as Record<string, unknown>)
      }
    }
    return fromTaggedObject(record)
  }
  return node as DataValue
}

const fromTaggedObject = (record: Record<string, unknown>): DataValue =>
  Object.fromEntries(Object.keys(record).map((key) => [key, fromTagged(record[key])]))

/**
 * Encodes a value for storage; `Left` says what cannot be stored (undefined, functions, class
 * instances other than Date and Uint8Array, invalid Dates, bigint, symbols) and where.
 *
 * @since 0.1.0
 */
export const encode = (value: unknown): Either.Either<string, string> => {
  // a string with a lone surrogate has no UTF-8 form: JSON escapes it
  if (typeof value === "string") {
    return Either.right(loneSurrogate.test(value) ? `j${JSON.stringify(value)}` : `s${value}`)
  }
  if (typeof value === "number") return Either.right(`n${numberText(value)}`)
  if (typeof value === "boolean") return Either.right(value ? "t" : "f")
  if (value === null) return Either.right("z")
  if (value instanceof Date) {
    const ms = value.getTime()
    return Number.isNaN(ms) ? Either.left("the value is an invalid Date") : Either.right(`d${ms}`)
  }
  if (value instanceof Uint8Array) return Either.right(`x${Encoding.encodeBase64(value)}`)
  return Either.map(toTagged(value, "value"), (tagged) => `j${JSON.stringify(tagged)}`)
}

/**
 * Decodes a stored value; `Left` when the text is not in the encoding.
 *
 * @since 0.1.0
 */
export const decode = (text: string): Either.Either<DataValue, string> => {
  const body = text.slice(1)
  switch (text[0]) {
    case "s":
      return Either.right(body)
    case "n": {
      const n = Number(body)
      return body !== "" && (!Number.isNaN(n) || body === "NaN") ? Either.right(n) : Either.left(`bad number ${body}`)
    }
    case "t":
      return Either.right(true)
    case "f":
      return Either.right(false)
    case "z":
      return Either.right(null)
    case "d":
      return /^-?\d+$/.test(body) ? Either.right(new Date(Number(body))) : Either.left(`bad date ${body}`)
    case "x":
      return Either.mapLeft(Encoding.decodeBase64(body), () => "bad base64")
    case "j":
      return Either.try({ try: () => fromTagged(JSON.parse(body)), catch: (e) => `bad JSON: ${String(e)}` })
    default:
      return Either.left(`unknown type letter ${JSON.stringify(text.slice(0, 1))}`)
  }
}
