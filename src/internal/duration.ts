/**
 * The library's one convention for durations: an Effect `Duration`, a string Effect parses
 * (`"30 minutes"`, `"2 seconds"`), or a bare number of seconds, in every option alike (Effect's own
 * `Duration.decode` reads a bare number as milliseconds; this library never does).
 */
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"

/** A duration as options take it: numbers are seconds. */
export type Input = Duration.DurationInput

/** The duration `input` says, or `None` when it is not one (a number of seconds is taken as such). */
export const decode = (input: unknown): Option.Option<Duration.Duration> =>
  typeof input === "number"
    ? Number.isNaN(input) || input < 0 ? Option.none() : Option.some(Duration.seconds(input))
    : (typeof input === "string" && input.trim().startsWith("-")) || (typeof input === "bigint" && input < 0)
    ? Option.none() // Effect reads a negative duration as zero, which here would mean "never expires"
    : Duration.decodeUnknown(input)

/**
 * {@link decode} for an option typed as a duration (`fallback` when absent). A value that is not a
 * duration throws, naming the option: a programming error, found when the layer is built.
 */
export const option = (name: string, input: Input | undefined, fallback: Duration.Duration): Duration.Duration =>
  input === undefined ? fallback : Option.getOrThrowWith(
    decode(input),
    () => new TypeError(`Invalid ${name}: ${String(input)} is not a duration (seconds, a Duration or e.g. "2 seconds")`)
  )
