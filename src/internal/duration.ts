/**
 * The library's one convention for durations: an Effect `Duration`, a string Effect parses
 * (`"30 minutes"`, `"2 seconds"`), or a bare number of seconds, in every option alike (Effect's own
 * `Duration.decode` reads a bare number as milliseconds; this library never does).
 */
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { ValidationError } from "../Errors.js"

/** A duration as options take it: numbers are seconds. */
export type Input = Duration.DurationInput

/** The duration `input` says, or `None` when it is not one (a number of seconds is taken as such). */
export const decode = (input: unknown): Option.Option<Duration.Duration> =>
  typeof input === "number"
    ? Number.isNaN(input) || input < 0 ? Option.none() : Option.some(Duration.seconds(input))
    : (typeof input === "string" && input.trim().startsWith("-")) || (typeof input === "bigint" && input < 0)
    ? Option.none() // Effect reads a negative duration as zero, which here would mean "never expires"
    : Duration.decodeUnknown(input)

/** What a duration option allows beyond a finite duration of more than zero. */
export interface Allowed {
  readonly zero?: boolean
  readonly infinite?: boolean
}

/**
 * {@link decode} for an option typed as a duration: `fallback` when absent, else the duration, or
 * a `ValidationError` naming the option when it is not one or is zero or infinite where `allowed`
 * does not say so. Checked when the layer is built, before anything connects.
 */
export const option = (
  name: string,
  input: Input | undefined,
  fallback: Duration.Duration,
  allowed: Allowed = {}
): Either.Either<Duration.Duration, ValidationError> => {
  if (input === undefined) return Either.right(fallback)
  const decoded = decode(input)
  const problem = Option.isNone(decoded)
    ? "is not a duration (seconds, a Duration or e.g. \"2 seconds\")"
    : allowed.zero !== true && Duration.isZero(decoded.value)
    ? "must be more than zero"
    : allowed.infinite !== true && !Duration.isFinite(decoded.value)
    ? "must be finite"
    : undefined
  return problem === undefined
    ? Either.right(Option.getOrThrow(decoded))
    : Either.left(new ValidationError({ message: `Invalid ${name}: ${String(input)} ${problem}` }))
}
