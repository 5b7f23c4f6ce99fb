/**
 * The Redis store's scripts, each a typed contract: its keys, its arguments (with their types)
 * and a Schema of its reply. The Lua lives in `lua/` (one file per script, and one per shared
 * function in `lua/lib/`), read once when this module loads.
 *
 * A script of a shard (`shard: true`, all but `layout`) runs one or more calls of its operation
 * (`gather.ts` sends the calls made in the same turn of the event loop together). Its keys are
 * the shard's index keys `A X R` (activity, expiries, regular; `keys.ts`), then each
 * call's own keys; its arguments are the shard's `P` (key prefix), `OFFSET` (ms added to the
 * server's clock; 0 outside tests), `GRACE` (how far past its logical expiry a key's native TTL may
 * reach, ms; -1: no native TTLs), `REG` (the namespace's regular ttl, ms; 0: none) and `BUSY` (how
 * long a call goes on removing sessions before it stops and answers that more may remain, µs:
 * `lua/lib/busy.lua`), then for each call the number of its own keys (only when its last key is
 * optional), the number of its arguments, and the arguments.
 * It replies `{replies, failed}`: one reply per call (false for nil), and the positions (from 1)
 * of the calls that failed, whose replies are the error messages. A call that fails (an error
 * reply or a failed command) changes nothing more and does not stop the others.
 *
 * Its source is made of:
 * - locals of the shard: `local A, X, R = KEYS[1], ...`,
 *   `local P, OFFSET, GRACE, REG, BUSY = ...`;
 * - the storage format's constants it uses (`format.ts`, `keys.ts`);
 * - the functions of `lua/lib` it calls, with those they call, each before its first use: Redis
 *   runs a script's whole source on every call, so a definition it does not use would be a cost on
 *   every call;
 * - its file, as the body of `local function operation(first_key, key_count, first_arg, arg_count)`,
 *   after locals named after its contract: `local SESSION = KEYS[first_key]`,
 *   `local SID, TOUCH = ARGV[first_arg], ARGV[first_arg + 1] == '1'` (numbers come as numbers,
 *   flags as booleans), and for variable arguments where they start and end (`FIELDS_AT`,
 *   `FIELDS_END`);
 * - the loop that runs the calls and collects the replies, in `pcall`: a call that raises an error
 *   is recorded as failed, and the loop goes on after it.
 *
 * The same parts make {@link library}: every shard script's operation and loop as one Redis
 * Functions library, whose functions are defined once when it is loaded instead of on every call.
 * The store calls a script's function (`function`) by FCALL where the library is loaded, and sends
 * the script by EVALSHA elsewhere: the same code runs either way.
 *
 * Keys in KEYS are all the keys a caller can name: the shard's indexes and the session or user the
 * call is about. Scripts also touch keys that only Redis knows when the script runs: the sessions
 * and users named by index entries (a sweep, a user's sessions) or by a session's hash (its user's
 * index). These are built from `P` and carry the shard's hash tag, so they are always in the slot
 * of the declared keys (Redis Cluster routes by those, and allows keys of the same slot). While a
 * slot migrates, such a key may already have moved: scripts read before they write, so the read
 * fails the script before it has changed anything, and the caller retries.
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { createHash } from "node:crypto"
import { readdirSync, readFileSync } from "node:fs"
import * as Format from "./format.js"
import * as Keys from "./keys.js"

/** How an argument travels: text, a number (`tonumber` in Lua) or a flag (`'1'` / `'0'`, a boolean in Lua). */
export type ArgType = "string" | "number" | "flag"

/** The TypeScript value of an argument of type `T`. */
export type ArgValue<T extends ArgType> = T extends "number" ? number : T extends "flag" ? boolean : string

/** The keys every shard script takes first. */
export const shardKeys = ["A", "X", "R"] as const

/** The arguments every shard script takes first. */
export const shardArgs = { P: "string", OFFSET: "number", GRACE: "number", REG: "number", BUSY: "number" } as const

/** Any script, whatever its contract (what the driver call needs). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyScript<R> = Script<any, any, any, R>

/** A reply's schema: decodes to `R`, from whatever a reply of that shape is. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ReplySchema<R> = Schema.Schema<R, any>

/** A script: its contract, its source and the SHA1 Redis knows it by. */
export interface Script<K extends string, O extends string, A extends Record<string, ArgType>, R> {
  readonly name: string
  /** Takes the shard's keys and arguments first, then one or more calls (see the module's doc). */
  readonly shard: boolean
  /**
   * Whether the calls made in the same turn of the event loop on one shard go to Redis as one
   * script call (`gather.ts`): each call is small and bounded whatever the data, and the sweep
   * that queries start with has one budget per script call (`lua/lib/sweep.lua`).
   */
  readonly gather: boolean
  /**
   * Whether identical calls gathered together may run once, all their callers getting its reply:
   * a read, or a touch (run twice at one moment, it answers the same and leaves the same state).
   */
  readonly shareable: boolean
  /** Its own keys, in order (after the shard's); `optionalKey` may be left out (then it is nil in Lua). */
  readonly keys: ReadonlyArray<K | O>
  readonly optionalKey: O | undefined
  /** Its own arguments, in order (after the shard's), with their types. */
  readonly args: A
  /** `args` as a list, in order. */
  readonly argList: ReadonlyArray<readonly [name: keyof A & string, type: ArgType]>
  /** The name of its variable arguments, which follow the others (`<REST>_AT` in Lua). */
  readonly rest: string | undefined
  /** The reply's schema: a reply it rejects is an error, never a silent misreading. */
  readonly reply: ReplySchema<R>
  /** The fast path of `decode`, if any: `undefined` leaves a reply to the schema. */
  readonly fast: ((reply: unknown) => R | undefined) | undefined
  /** The reply decoded, or what is wrong with it. */
  readonly decode: (reply: unknown) => Either.Either<R, string>
  readonly source: string
  readonly sha: string
  /** A shard script's parts, from which its source and its function in the library are made. */
  readonly parts: ShardParts | undefined
  /** Its function in the {@link library} (a shard script's), called by FCALL where the library is loaded. */
  readonly function: string | undefined
}

const luaDir = new URL("./lua/", import.meta.url)
const read = (file: string) => readFileSync(new URL(file, luaDir), "utf8").trim()

/** The shared functions of `lua/lib`, by name (each file defines the function it is named after). */
const libFunctions: ReadonlyMap<string, string> = new Map(
  readdirSync(new URL("lib/", luaDir)).filter((file) => file.endsWith(".lua")).map((file) => {
    const name = file.slice(0, -".lua".length)
    const source = read(`lib/${file}`)
    if (!source.includes(`local function ${name}(`)) throw new Error(`lua/lib/${file} must define ${name}`)
    return [name, source] as const
  })
)

const calls = (source: string, name: string) => new RegExp(`\\b${name}\\(`).test(source)
const mentions = (source: string, name: string) => new RegExp(`\\b${name}\\b`).test(source)

/** The library functions `body` calls, with those they call, each after what it calls. */
const functionsFor = (body: string): Array<string> => {
  const ordered: Array<string> = []
  const seen = new Set<string>()
  const visit = (source: string) => {
    for (const [name, definition] of libFunctions) {
      if (!seen.has(name) && calls(source, name)) {
        seen.add(name)
        visit(definition)
        ordered.push(name)
      }
    }
  }
  visit(body)
  return ordered
}

const constants = [...Format.luaConstants, ...Keys.luaConstants]

const luaArg = (type: ArgType, at: string) =>
  type === "number" ? `tonumber(ARGV[${at}])` : type === "flag" ? `ARGV[${at}] == '1'` : `ARGV[${at}]`

const plus = (name: string, i: number) => i === 0 ? name : `${name} + ${i}`

const locals = (names: ReadonlyArray<string>, values: ReadonlyArray<string>) =>
  names.length === 0 ? [] : [`local ${names.join(", ")} = ${values.join(", ")}`]

/** A shard script's operation and what it needs, to assemble as a script or in the library. */
export interface ShardParts {
  /** The functions of `lua/lib` it calls (with those they call), in order of definition. */
  readonly functions: ReadonlyArray<string>
  /** Its file as a function of one call's keys and arguments, named `name`. */
  readonly operation: (name: string) => Array<string>
  /** Its own keys per call, or undefined when a count of them comes first (an optional last key). */
  readonly fixedKeys: number | undefined
}

const shardArgList = Object.entries(shardArgs)

/** Where a batch's first call's keys and arguments start, after the shard's. */
const firstCallKey = shardKeys.length + 1
const firstCallArg = shardArgList.length + 1

const shardPartsOf = (
  file: string,
  keys: ReadonlyArray<string>,
  optionalKey: string | undefined,
  args: ReadonlyArray<readonly [string, ArgType]>,
  rest: string | undefined
): ShardParts => {
  const body = read(file)
  const ownKeys = keys.map((name, i) =>
    name === optionalKey ? `key_count > ${i} and KEYS[${plus("first_key", i)}] or nil` : `KEYS[${plus("first_key", i)}]`
  )
  return {
    functions: functionsFor(body),
    operation: (name) => [
      `local function ${name}(first_key, key_count, first_arg, arg_count)`,
      ...locals(keys, ownKeys),
      ...locals(args.map(([arg]) => arg), args.map(([, type], i) => luaArg(type, plus("first_arg", i)))),
      ...(rest === undefined ? [] : [
        `local ${rest}_AT, ${rest}_END = ${plus("first_arg", args.length)}, first_arg + arg_count - 1`
      ]),
      body,
      "end"
    ],
    fixedKeys: optionalKey === undefined ? keys.length : undefined
  }
}

/** The constants and functions of `lua/lib` that code calling `functions` uses. */
const helpers = (functions: ReadonlyArray<string>, code: ReadonlyArray<string>) => {
  const definitions = functions.map((name) => libFunctions.get(name)!)
  const used = [...code, ...definitions].join("\n")
  const consts = constants.filter(([name]) => mentions(used, name))
  return [...locals(consts.map(([name]) => name), consts.map(([, value]) => value)), ...definitions]
}

/**
 * The loop that runs every call of a batch (`operation`, with `fixed` keys per call or a count of
 * them first) and collects the replies, in one pcall: a call that raises an error (a failed command)
 * is recorded as failed, and the loop goes on after it in a new pcall.
 */
const batchLoop = (fixed: number | undefined, operation = "operation", run = "run_calls"): Array<string> => {
  const header = fixed === undefined ? 2 : 1
  return [
    `local function ${run}()`,
    "  while a <= #ARGV do",
    fixed === undefined
      ? "    local key_count, arg_count = tonumber(ARGV[a]), tonumber(ARGV[a + 1])"
      : `    local key_count, arg_count = ${fixed}, tonumber(ARGV[a])`,
    `    next_k, next_a, n = k + key_count, a + ${header} + arg_count, n + 1`,
    `    local reply = ${operation}(k, key_count, a + ${header}, arg_count)`,
    "    if type(reply) == 'table' and reply.err then",
    "      reply = reply.err",
    "      failed[#failed + 1] = n",
    "    elseif reply == nil then",
    "      reply = false",
    "    end",
    "    replies[n] = reply",
    "    k, a = next_k, next_a",
    "  end",
    "end"
  ]
}

const runBatch = (run = "run_calls") => [
  "while true do",
  `  local ok, err = pcall(${run})`,
  "  if ok then break end",
  // a call whose counts cannot be read: where the next one starts is unknown, so stop here
  "  if next_a == nil or next_a <= a then",
  "    return redis.error_reply('ERR effect-redisess: malformed call at argument ' .. tostring(a))",
  "  end",
  "  if type(err) == 'table' then err = err.err end",
  "  replies[n] = tostring(err)",
  "  failed[#failed + 1] = n",
  "  k, a = next_k, next_a",
  "end",
  "return {replies, failed}"
]

/**
 * The source of a shard script: the shard's locals, the constants and functions its file uses, its
 * file as the function `operation` of one call's keys and arguments, and the loop that runs every
 * call of the batch (see the module's doc).
 */
const shardSourceOf = (parts: ShardParts): string => {
  const operation = parts.operation("operation")
  return [
    ...locals(shardKeys, shardKeys.map((_, i) => `KEYS[${i + 1}]`)),
    ...locals(shardArgList.map(([name]) => name), shardArgList.map(([, type], i) => luaArg(type, String(i + 1)))),
    ...helpers(parts.functions, operation),
    ...operation,
    `local replies, failed, n, k, a = {}, {}, 0, ${firstCallKey}, ${firstCallArg}`,
    "local next_k, next_a",
    ...batchLoop(parts.fixedKeys),
    ...runBatch()
  ].join("\n")
}

/** The source of a script of no shard: locals of its contract, the constants and functions it uses, its file. */
const plainSourceOf = (file: string, keys: ReadonlyArray<string>, args: ReadonlyArray<readonly [string, ArgType]>) => {
  const body = read(file)
  return [
    ...locals(keys, keys.map((_, i) => `KEYS[${i + 1}]`)),
    ...locals(args.map(([name]) => name), args.map(([, type], i) => luaArg(type, String(i + 1)))),
    ...helpers(functionsFor(body), [body]),
    body
  ].join("\n")
}

/**
 * Declares a script. `fast` may decode the common well-formed replies without the schema (this is
 * on every call's path); it must agree with the schema wherever it answers (see the tests) and
 * returns `undefined` to leave a reply to the schema.
 */
const define = <
  const K extends string,
  const A extends Record<string, ArgType>,
  R,
  const O extends string = never
>(contract: {
  readonly name: string
  readonly shard?: boolean
  readonly gather?: boolean
  readonly shareable?: boolean
  readonly keys: ReadonlyArray<K>
  readonly optionalKey?: O
  readonly args: A
  readonly rest?: string
  readonly reply: ReplySchema<R>
  readonly fast?: (reply: unknown) => R | undefined
}): Script<Exclude<K, O>, O, A, R> => {
  const shard = contract.shard ?? true
  if (contract.optionalKey !== undefined && contract.keys.at(-1) !== (contract.optionalKey as string)) {
    throw new Error(`${contract.name}: only the last key may be optional`)
  }
  const file = `${contract.name}.lua`
  const args = Object.entries(contract.args)
  const parts = shard ? shardPartsOf(file, contract.keys, contract.optionalKey, args, contract.rest) : undefined
  const source = parts !== undefined ? shardSourceOf(parts) : plainSourceOf(file, contract.keys, args)
  const decodeSchema = Schema.decodeUnknownEither(contract.reply)
  const fast = contract.fast
  return {
    name: contract.name,
    shard,
    gather: contract.gather ?? false,
    shareable: contract.shareable ?? false,
    keys: contract.keys as ReadonlyArray<Exclude<K, O> | O>,
    optionalKey: contract.optionalKey,
    args: contract.args,
    argList: Object.entries(contract.args) as Array<[keyof A & string, ArgType]>,
    rest: contract.rest,
    reply: contract.reply,
    fast,
    decode: (reply) => {
      const decoded = fast?.(reply)
      return decoded !== undefined
        ? Either.right(decoded)
        : Either.mapLeft(decodeSchema(reply), (error) => ParseResult.TreeFormatter.formatErrorSync(error))
    },
    source,
    sha: createHash("sha1").update(source).digest("hex"),
    parts,
    function: undefined
  }
}

// ---------------------------------------------------------------------------------------------
// Replies

const isArray = Array.isArray as (value: unknown) => value is ReadonlyArray<unknown>
const isMillis = (value: unknown): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 0

/** Milliseconds as a script computes them (an integer reply). */
const Millis = Schema.Int.pipe(Schema.nonNegative())

/** Milliseconds as a session's hash stores them (a decimal string). */
const StoredMillis = Schema.NumberFromString.pipe(Schema.int(), Schema.nonNegative())

const storedMillis = (value: unknown): number | undefined =>
  typeof value === "string" ? Format.storedNumber(value) : undefined

/**
 * A live session as `lua/lib/load.lua` returns it: user id, creation time, idle ttl, deadline (null:
 * none), the values of the additional fields asked for (null where it has none), then last access
 * and expiry (0: never).
 */
export const SessionValues = Schema.Tuple(
  [Schema.String, StoredMillis, StoredMillis, Schema.NullOr(StoredMillis)],
  Schema.NullOr(Schema.String),
  Millis,
  Millis
)

/** The decoded {@link SessionValues}. */
export type SessionValues = typeof SessionValues.Type

/** The {@link SessionValues} in the first `n` values of `reply`, decoded without the schema. */
const fastSession = (reply: ReadonlyArray<unknown>, n: number): Array<string | number | null> | undefined => {
  if (n < 6) return undefined
  const userId = reply[0]
  const createdAt = storedMillis(reply[1])
  const ttl = storedMillis(reply[2])
  const deadline = reply[3] === null ? null : storedMillis(reply[3])
  const lastAccess = reply[n - 2]
  const expires = reply[n - 1]
  if (
    typeof userId !== "string" || createdAt === undefined || ttl === undefined || deadline === undefined ||
    !isMillis(lastAccess) || !isMillis(expires)
  ) return undefined
  const values: Array<string | number | null> = [userId, createdAt, ttl, deadline]
  for (let i = 4; i < n - 2; i++) {
    const value = reply[i]
    if (value !== null && typeof value !== "string") return undefined
    values.push(value)
  }
  values.push(lastAccess, expires)
  return values
}

/**
 * A read as a script replies it: the session's {@link SessionValues} followed by the store's time,
 * in one array (one table for Redis to turn into a reply, not two), or null when it is not live;
 * decoded as the time and the session.
 */
const Read = Schema.NullOr(Schema.transform(
  Schema.Tuple(
    [Schema.String, StoredMillis, StoredMillis, Schema.NullOr(StoredMillis)],
    Schema.NullOr(Schema.String),
    Millis,
    Millis,
    Millis
  ),
  Schema.Tuple(Millis, Schema.typeSchema(SessionValues)),
  {
    strict: false,
    decode: (flat) => [flat[flat.length - 1], flat.slice(0, -1)] as const,
    encode: ([now, values]) => [...values, now]
  }
))

const fastRead = (reply: unknown): typeof Read.Type | undefined => {
  if (reply === null) return null
  if (!isArray(reply)) return undefined
  const now = reply[reply.length - 1]
  if (!isMillis(now)) return undefined
  const session = fastSession(reply, reply.length - 1)
  return session === undefined ? undefined : [now, session as unknown as SessionValues]
}

const Bit = Schema.Literal(0, 1)
const fastBit = (reply: unknown) => reply === 0 || reply === 1 ? reply : undefined

const Count = Schema.Int.pipe(Schema.greaterThanOrEqualTo(-1))

/** A batch step: live sessions removed, and 1 while there may be more. */
const Batch = Schema.Tuple(Schema.NonNegativeInt, Bit)

// ---------------------------------------------------------------------------------------------
// Scripts

/** Stores a new session. */
export const create = define({
  name: "create",
  gather: true,
  keys: ["SESSION", "USER"],
  args: {
    SID: "string",
    UID: "string",
    TTL: "number",
    LIFETIME: "number",
    LIMIT: "number",
    REFUSE: "flag",
    BATCH: "number"
  },
  rest: "FIELDS",
  reply: Schema.Union(
    Schema.Tuple(Schema.Literal(-1)),
    Schema.Tuple(Schema.Literal(0)),
    Schema.Tuple(Schema.Literal(1), Millis, Millis, Millis)
  ),
  fast: (reply) =>
    isArray(reply) && reply.length === 4 && reply[0] === 1 && isMillis(reply[1]) && isMillis(reply[2]) &&
      isMillis(reply[3])
      ? [1, reply[1], reply[2], reply[3]] as const
      : undefined
})

/** Reads a session, touching it or not. */
export const get = define({
  name: "get",
  gather: true,
  shareable: true,
  keys: ["SESSION"],
  args: { SID: "string", TOUCH: "flag", TOUCH_AFTER: "number" },
  rest: "FIELD_NAMES",
  reply: Read,
  fast: fastRead
})

/** Whether a session is live. */
export const exists = define({
  name: "exists",
  gather: true,
  shareable: true,
  keys: ["SESSION"],
  args: { SID: "string" },
  reply: Bit,
  fast: fastBit
})

/** Writes additional fields of a live session and reads it back. */
export const update = define({
  name: "update",
  gather: true,
  keys: ["SESSION"],
  args: { SID: "string", NAMES: "number" },
  rest: "FIELDS",
  reply: Read
})

/** Removes a session. */
export const kill = define({
  name: "kill",
  gather: true,
  keys: ["SESSION", "FORWARD"],
  args: { SID: "string" },
  reply: Bit,
  fast: fastBit
})

/** Removes a batch of a user's sessions. */
export const killUser = define({
  name: "killUser",
  keys: ["USER"],
  args: { UID: "string", LIMIT: "number" },
  reply: Batch
})

/** Removes a batch of the shard's sessions (a user's set goes with their last one). */
export const killAll = define({ name: "killAll", keys: [], args: { LIMIT: "number" }, reply: Batch })

/** Removes a batch of expired sessions. */
export const wipe = define({ name: "wipe", keys: [], args: { LIMIT: "number" }, reply: Batch })

/** Counts sessions (of a user, with USER) within a window, after a sweep. */
export const count = define({
  name: "count",
  gather: true,
  shareable: true,
  keys: ["USER"],
  optionalKey: "USER",
  args: { LIMIT: "number", WINDOW: "number" },
  reply: Count
})

/** One page of an index, after a sweep. */
export const list = define({
  name: "list",
  keys: ["USER"],
  optionalKey: "USER",
  args: { LIMIT: "number", WINDOW: "number", INDEX: "string", SIZE: "number", SCORES: "flag" },
  rest: "OFFSETS",
  reply: Schema.Union(
    Schema.Tuple(Schema.Literal(-1)),
    Schema.Tuple([Schema.Literal(1), Schema.Array(Schema.Union(Schema.String, Schema.Number))], Schema.NonNegativeInt)
  )
})

/** A user's least recently accessed session, after a sweep. */
export const oldest = define({
  name: "oldest",
  keys: ["USER"],
  args: { LIMIT: "number", UID: "string", TOUCH: "flag" },
  rest: "FIELD_NAMES",
  reply: Schema.Union(
    Schema.Tuple(Schema.Literal(-1)),
    Schema.Tuple(Schema.Literal(0)),
    Schema.Tuple(Schema.Literal(1), Millis, Schema.String, SessionValues)
  )
})

/** Moves a session to a new id. */
export const rotate = define({
  name: "rotate",
  gather: true,
  keys: ["SESSION", "NEW_SESSION", "FORWARD"],
  args: { SID: "string", NEW_SID: "string", FORWARD_TTL: "number" },
  rest: "FIELD_NAMES",
  reply: Read
})

/** Removes a batch of the other sessions of a session's user. */
export const killOthers = define({
  name: "killOthers",
  keys: ["SESSION"],
  args: { SID: "string", LIMIT: "number" },
  reply: Schema.Tuple(Count, Bit)
})

/** Writes data entries within a size limit. */
export const dataSet = define({
  name: "dataSet",
  gather: true,
  keys: ["SESSION"],
  // the session is named by its key alone: the write neither indexes nor names it
  args: { MAX: "number", MAX_KEYS: "number" },
  rest: "ENTRIES",
  // entries written, or minus the size the data would have had (over MAX): one integer, which
  // costs Redis less to reply than a table; or {keys} it would have held (over MAX_KEYS)
  reply: Schema.NullOr(Schema.Union(Schema.Int, Schema.Tuple(Schema.Int))),
  fast: (reply) =>
    reply === null || Number.isSafeInteger(reply)
      ? reply as number | null
      : Array.isArray(reply) && reply.length === 1 && Number.isSafeInteger(reply[0])
      ? reply as [number]
      : undefined
})

/** Reads data entries. */
export const dataGet = define({
  name: "dataGet",
  gather: true,
  shareable: true,
  keys: ["SESSION"],
  args: {},
  rest: "KEYS",
  // the fields read to check that the session is live (user, last access, ttl, deadline), then the values
  reply: Schema.NullOr(
    Schema.Tuple(
      [Schema.String, Schema.NullOr(Schema.String), Schema.NullOr(Schema.String), Schema.NullOr(Schema.String)],
      Schema.NullOr(Schema.String)
    )
  ),
  fast: (reply) => {
    if (reply === null) return null
    if (!isArray(reply) || reply.length < 4 || typeof reply[0] !== "string") return undefined
    for (let i = 1; i < reply.length; i++) {
      const value = reply[i]
      if (value !== null && typeof value !== "string") return undefined
    }
    return reply as readonly [string, string | null, string | null, string | null, ...Array<string | null>]
  }
})

/** Reads every data entry. */
export const dataGetAll = define({
  name: "dataGetAll",
  gather: true,
  shareable: true,
  keys: ["SESSION"],
  args: { SID: "string" },
  reply: Schema.NullOr(Schema.Tuple(Schema.Array(Schema.String)))
})

/** Removes data entries. */
export const dataRemove = define({
  name: "dataRemove",
  gather: true,
  keys: ["SESSION"],
  args: { SID: "string" },
  rest: "KEYS",
  reply: Count
})

/** Records a namespace's layout, or reads the recorded one. */
export const layout = define({
  name: "layout",
  shard: false,
  keys: ["META"],
  args: { SHARDS: "number", REGULAR_TTL: "number" },
  reply: Schema.Tuple(Schema.Int.pipe(Schema.positive()), Schema.NonNegativeInt)
})

/**
 * The plain reads of a shard made together, as one call (`lua/reads.lua`, `hashReads.ts`): as
 * many keys as reads; the number of field lists, each list (its length, then its fields; -1: the
 * whole hash), then each key's list. Replies each read's values (an error in its place where it
 * failed), then the server's `TIME`. Not a shard script: it reads the hashes it is given and
 * nothing else, and writes nothing; in the library it is flagged `no-writes`.
 */
export const reads = (() => {
  const source = read("reads.lua")
  return {
    name: "reads",
    source,
    sha: createHash("sha1").update(source).digest("hex"),
    optionalKey: undefined,
    shareable: false,
    function: undefined as string | undefined
  }
})()

/** Every script, by name. */
export const all = {
  create,
  get,
  exists,
  update,
  kill,
  killUser,
  killAll,
  wipe,
  count,
  list,
  oldest,
  rotate,
  killOthers,
  dataSet,
  dataGet,
  dataGetAll,
  dataRemove,
  layout
} as const

// ---------------------------------------------------------------------------------------------
// The library

/** The shard scripts as one Redis Functions library. */
export interface Library {
  /** Its name on the server: `effect_redisess_` and a hash of its source, so versions live side by side. */
  readonly name: string
  /** The source for `FUNCTION LOAD`. */
  readonly source: string
}

/** A file's state: its top-level locals other than functions (`local now_read = nil`), as name list and values. */
const stateOf = (definition: string): Array<readonly [names: string, values: string]> =>
  Array.from(
    definition.matchAll(/^local (?!function\b)([\w, ]+?) = (.+)$/gm),
    (match) => [match[1]!, match[2]!] as const
  )

/**
 * Builds the library of `scripts`' shard scripts, and names each script's function in it.
 *
 * A script's source runs whole on every EVALSHA, defining every function it uses anew: the library
 * defines them once, when it is loaded. Its functions share the shard's locals and the state of
 * `lua/lib` (the clock read once per call, the sweep's budget), which every call sets or resets
 * first; Redis runs one function at a time. Each script's operation is the same code as in its
 * script, and so is the loop over a batch's calls: a call gets the same reply either way.
 */
const makeLibrary = (
  scripts: ReadonlyArray<{ readonly name: string; readonly parts: ShardParts | undefined }>
): Library => {
  const shard = scripts.flatMap((script) => script.parts === undefined ? [] : [[script, script.parts] as const])
  const operations = shard.map(([script, parts]) => parts.operation(`op_${script.name}`))
  const functions = functionsFor(operations.map((lines) => lines.join("\n")).join("\n"))
  const state = functions.flatMap((name) => stateOf(libFunctions.get(name)!))
  const body = [
    "local KEYS, ARGV",
    `local ${shardKeys.join(", ")}`,
    `local ${shardArgList.map(([name]) => name).join(", ")}`,
    ...helpers(functions, operations.flat()),
    "local replies, failed, n, k, a, next_k, next_a",
    // a call's start: its keys and arguments, the shard's locals, fresh state
    "local function begin(keys, args)",
    "  KEYS, ARGV = keys, args",
    `  ${shardKeys.join(", ")} = ${shardKeys.map((_, i) => `KEYS[${i + 1}]`).join(", ")}`,
    `  ${shardArgList.map(([name]) => name).join(", ")} = ${
      shardArgList.map(([, type], i) => luaArg(type, String(i + 1))).join(", ")
    }`,
    ...state.map(([names, values]) => `  ${names} = ${values}`),
    `  replies, failed, n, k, a, next_k, next_a = {}, {}, 0, ${firstCallKey}, ${firstCallArg}, nil, nil`,
    "end",
    ...shard.flatMap(([script, parts], i) => [
      ...operations[i]!,
      ...batchLoop(parts.fixedKeys, `op_${script.name}`, `run_${script.name}`)
    ])
  ].join("\n")
  const hash = createHash("sha1").update(body).update(reads.source).digest("hex").slice(0, 12)
  const registrations = shard.map(([script]) => {
    const name = `effect_redisess_${hash}_${script.name}`
    ;(script as unknown as { function: string | undefined }).function = name
    return [
      `redis.register_function('${name}', function(keys, args)`,
      "  begin(keys, args)",
      ...runBatch(`run_${script.name}`).map((line) => `  ${line}`),
      "end)"
    ].join("\n")
  })
  const readsName = `effect_redisess_${hash}_${reads.name}`
  reads.function = readsName
  const readsFunction = [
    "redis.register_function{",
    `  function_name = '${readsName}',`,
    "  callback = function(KEYS, ARGV)",
    ...reads.source.split("\n").map((line) => `    ${line}`),
    "  end,",
    "  flags = {'no-writes'}",
    "}"
  ].join("\n")
  const name = `effect_redisess_${hash}`
  return { name, source: [`#!lua name=${name}`, body, ...registrations, readsFunction].join("\n") }
}

/**
 * Every shard script as one Redis Functions library (Redis >= 7.0): where it is loaded,
 * a call is an FCALL of the script's function, which runs the same operation without defining its
 * functions first (see `store.ts`).
 */
export const library: Library = makeLibrary(Object.values(all))
