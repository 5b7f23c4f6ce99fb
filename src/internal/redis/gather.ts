/**
 * Calls of one shard script made in the same turn of the event loop, sent to Redis as one script
 * call. Redis spends most of a small call on the call itself (reading, parsing and answering a
 * command, setting up a script run), so a call carrying many operations costs it a fraction per
 * operation; Node sends and parses one command instead of many. The calls still run one after
 * another, each as it would alone, and each gets its own reply or error (`scripts.ts` shows the
 * script's side).
 *
 * Nothing waits for company: a call joins the batch of its shard and script, and the batches go
 * out at the end of the event loop's current turn (`turn.ts`), whether they hold one call or many;
 * where calls come one at a time (three lone turns in a row), a turn's first batch goes at once, as
 * its first call comes (`turn.ts`).
 * A batch is also sent as soon as it holds `maxCalls` calls, `maxBytes` bytes of arguments or
 * `maxArgs` arguments, and before a call that would take it past `maxArgs`, so one script call
 * stays short.
 *
 * Identical calls of a shareable script (a read, or a touch: run twice at one moment they answer
 * the same and leave the same state) made together run once, and all their callers get its reply:
 * the requests a page fires at once with one cookie cost one read.
 */
import * as Turn from "./turn.js"

/**
 * What gathering and sending need of a script (`scripts.ts`): its name, its code and function,
 * whether its last key is optional, and whether identical calls made together may share one run.
 */
export interface ScriptCode {
  readonly name: string
  readonly source: string
  readonly sha: string
  readonly optionalKey: string | undefined
  readonly shareable: boolean
  /** Its function in the Functions library, if it has one (then it may go by FCALL). */
  readonly function: string | undefined
}

/**
 * Sends one script call (FCALL of its function, or EVALSHA: the store's choice): `numKeys` keys,
 * then the arguments, all in `argv`; tells `waiter` its reply or error.
 */
export type Send = (script: ScriptCode, numKeys: number, argv: Array<string>, waiter: Waiter) => void

/** What a call's caller is told: its reply, or its error. */
export interface Waiter {
  readonly ok: (reply: unknown) => void
  readonly fail: (error: unknown) => void
}

/**
 * Most calls in one script call. Small enough that many calls in flight make several batches, so
 * Redis runs one while Node reads the replies of another (one batch for all would take turns).
 */
export const maxCalls = 16

/** Most bytes of keys and arguments in one script call, unless one call alone has more. */
export const maxBytes = 64 * 1024

/**
 * Most keys and arguments of calls in one script call, unless one call alone has more: a call that
 * would take a batch past it goes in the next one. A script's work grows with its arguments (a data
 * write of many keys), so one script call stays about one large call's work long.
 */
export const maxArgs = 1024

/** A call of a batch: its keys, arguments and caller. */
interface Call {
  readonly keys: ReadonlyArray<string>
  readonly args: ReadonlyArray<string>
  readonly waiter: Waiter
}

/**
 * The calls of one shard script waiting to go. Their keys and arguments are copied once, into the
 * script call's own argument list, when it goes; it is also the waiter of that script call.
 */
class Batch implements Waiter {
  /** In order. */
  readonly calls: Array<Call> = []
  /** Callers of a shareable script waiting for an identical call of the batch, by its position. */
  twins: Map<number, Array<Waiter>> | undefined = undefined
  /**
   * The positions of a shareable script's calls by their first key (`""` without keys), to find
   * identical ones; made when a second call comes.
   */
  byKey: Map<string, Array<number>> | undefined = undefined
  keyCount = 0
  bytes = 0
  /** Keys and arguments of its calls. */
  args = 0
  /** Its callers: one per call, and one per call joining an identical one. */
  callers = 0
  constructor(
    /** The open batches of its shard, by script: this one is there until it goes. */
    readonly open: Map<ScriptCode, Batch | undefined>,
    readonly script: ScriptCode,
    readonly offset: number,
    readonly shardKeys: ReadonlyArray<string>,
    readonly shardArgs: ReadonlyArray<string>
  ) {}
  /** The script call's keys then arguments: the shard's, then each call's in turn. */
  argv(): Array<string> {
    const { calls, shardArgs, shardKeys } = this
    const counted = this.script.optionalKey !== undefined
    const argv: Array<string> = []
    for (const key of shardKeys) argv.push(key)
    for (const call of calls) for (const key of call.keys) argv.push(key)
    for (const arg of shardArgs) argv.push(arg)
    for (const call of calls) {
      if (counted) argv.push(String(call.keys.length))
      argv.push(String(call.args.length))
      for (const arg of call.args) argv.push(arg)
    }
    return argv
  }
  readonly ok = (reply: unknown) => settle(this, reply)
  readonly fail = (error: unknown) => failAll(this, error)
}

/** An error a script call reported for one of its calls, named like the driver's. */
const replyError = (message: string): Error => {
  const error = new Error(message)
  error.name = "ReplyError"
  return error
}

const isArray = Array.isArray as (value: unknown) => value is ReadonlyArray<unknown>

const firstKey = (keys: ReadonlyArray<string>): string => keys.length > 0 ? keys[0]! : ""

const same = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Tells every caller of a batch the same error. */
const failAll = (batch: Batch, error: unknown): void => {
  for (const call of batch.calls) call.waiter.fail(error)
  if (batch.twins !== undefined) {
    for (const twins of batch.twins.values()) {
      for (const twin of twins) twin.fail(error)
    }
  }
}

/** Tells every caller of a batch its reply: `{replies, failed}`, failed listing (from 1) the calls that failed. */
const settle = (batch: Batch, reply: unknown): void => {
  const { calls } = batch
  if (
    !isArray(reply) || reply.length !== 2 || !isArray(reply[0]) || !isArray(reply[1]) ||
    reply[0].length !== calls.length
  ) {
    return failAll(
      batch,
      replyError(
        `Unexpected reply from script ${batch.script.name}: not the {replies, failed} of ${calls.length} call(s)`
      )
    )
  }
  const [replies, failed] = reply
  let next = failed.length > 0 ? Number(failed[0]) : 0
  let f = 0
  for (let i = 0; i < calls.length; i++) {
    const twins = batch.twins?.get(i)
    const waiter = calls[i]!.waiter
    if (i + 1 === next) {
      const error = replyError(String(replies[i]))
      waiter.fail(error)
      if (twins !== undefined) { for (const twin of twins) twin.fail(error) }
      next = ++f < failed.length ? Number(failed[f]) : 0
    } else {
      waiter.ok(replies[i])
      if (twins !== undefined) { for (const twin of twins) twin.ok(replies[i]) }
    }
  }
}

/**
 * Whether a call of a shareable script joins an identical one of the batch (then it waits for that
 * call's reply, and is not sent). Calls are found by their first key, then compared; a batch of one
 * call indexes nothing.
 */
const joinsTwin = (
  batch: Batch,
  keys: ReadonlyArray<string>,
  args: ReadonlyArray<string>,
  waiter: Waiter
): boolean => {
  const { calls } = batch
  // the first call: nothing to compare with yet, and (at one call in flight) nothing to index
  if (!batch.script.shareable || calls.length === 0) return false
  if (batch.byKey === undefined) batch.byKey = new Map([[firstKey(calls[0]!.keys), [0]]])
  const key = firstKey(keys)
  const found = batch.byKey.get(key)
  const twin = found?.find((at) => same(calls[at]!.keys, keys) && same(calls[at]!.args, args))
  if (twin === undefined) {
    if (found === undefined) batch.byKey.set(key, [calls.length])
    else found.push(calls.length)
    return false
  }
  batch.twins ??= new Map()
  const twins = batch.twins.get(twin)
  if (twins === undefined) batch.twins.set(twin, [waiter])
  else twins.push(waiter)
  return true
}

/** The calls of every shard of one client, gathered per shard and script. */
export interface Gather {
  /**
   * The gathering of one shard: its keys and arguments (`A X R`, then `P OFFSET GRACE REG BUSY`
   * with `OFFSET` left to each call).
   */
  readonly shard: (shardKeys: ReadonlyArray<string>, args: (offset: number) => ReadonlyArray<string>) => ShardGather
}

/** The gathering of one shard. */
export interface ShardGather {
  /**
   * Runs one call of `script` (its own keys and arguments), with the others of its batch unless
   * `alone` (a call whose work grows with the data).
   */
  readonly submit: (
    script: ScriptCode,
    offset: number,
    keys: ReadonlyArray<string>,
    args: ReadonlyArray<string>,
    alone: boolean,
    waiter: Waiter
  ) => void
}

/** Gathers the calls sent through `send`; with `atOnce`, a lone turn's first batch goes at once (`turn.ts`). */
export const make = (send: Send, atOnce: boolean): Gather => {
  /** Sends a batch (closed: no call joins it any more). */
  const go = (batch: Batch) => {
    // closed ones are left as undefined: no map entry made and dropped per batch
    if (batch.open.get(batch.script) === batch) batch.open.set(batch.script, undefined)
    try {
      send(batch.script, batch.shardKeys.length + batch.keyCount, batch.argv(), batch)
    } catch (error) {
      // a driver that throws instead of rejecting: its callers are told, the event loop is not
      failAll(batch, error)
    }
  }

  const turn = Turn.make(go, (batch) => batch.callers, atOnce)

  return {
    shard: (shardKeys, shardArgs) => {
      const open = new Map<ScriptCode, Batch | undefined>()

      const add = (batch: Batch, keys: ReadonlyArray<string>, args: ReadonlyArray<string>, waiter: Waiter) => {
        batch.callers++
        if (joinsTwin(batch, keys, args, waiter)) return
        let bytes = 0
        for (const key of keys) bytes += key.length
        for (const arg of args) bytes += arg.length
        batch.bytes += bytes
        batch.args += keys.length + args.length
        batch.keyCount += keys.length
        batch.calls.push({ keys, args, waiter })
      }

      return {
        submit: (script, offset, keys, args, alone, waiter) => {
          if (alone) {
            const batch = new Batch(open, script, offset, shardKeys, shardArgs(offset))
            add(batch, keys, args, waiter)
            return go(batch)
          }
          let batch = open.get(script)
          if (batch !== undefined && batch.offset !== offset) {
            // a test moved the clock: calls before and after it do not share a batch
            turn.now(batch)
            batch = undefined
          }
          if (batch !== undefined && batch.args + keys.length + args.length > maxArgs) {
            turn.now(batch)
            batch = undefined
          }
          if (batch === undefined) {
            batch = new Batch(open, script, offset, shardKeys, shardArgs(offset))
            open.set(script, batch)
            add(batch, keys, args, waiter)
            // sent now where calls come one at a time (turn.ts)
            if (turn.due(batch)) return
          } else {
            add(batch, keys, args, waiter)
          }
          if (batch.calls.length >= maxCalls || batch.bytes >= maxBytes || batch.args >= maxArgs) turn.now(batch)
        }
      }
    }
  }
}
