/**
 * The Redis storage format, in one place: the fields of a session's hash, the prefixes that keep
 * additional fields and data apart from them, and the fields of a namespace's layout record.
 * Scripts see these as Lua constants (`luaConstants`); key names are `keys.ts`'s.
 *
 * A session's hash holds its user, creation time, last access, idle ttl, lifetime deadline (only
 * when it has one), additional fields (`f:<name>`, the manager's JSON) and data (`d:<key>`,
 * `SessionData`'s encoding, with their total size and how many there are). Its expiry follows from last access, ttl and
 * deadline. The last access is also its score in its user's sorted set and in the shard's index
 * (which order them): kept in the hash too, a read of the session, its data or its liveness is one
 * HMGET, where reading the score would be a second command (and a touch writes the hash instead).
 */

/** The fields of a session's hash (values are decimal strings for numbers). */
export const sessionField = {
  userId: "u",
  createdAt: "c",
  /** Last access, unix ms (every touch writes it, with the indexes' scores). */
  lastAccess: "a",
  /** Idle ttl, ms. */
  ttl: "t",
  /** Lifetime deadline, unix ms; absent when there is none. */
  deadline: "l",
  /** Bytes of data keys and values the session holds. */
  dataSize: "D",
  /** How many data keys the session holds. */
  dataKeys: "K"
} as const

/** The hash field of additional field `name` is `f:<name>`, so no name can collide with the fixed ones. */
export const fieldPrefix = "f:"

/** The hash field of data key `key` is `d:<key>`. */
export const dataPrefix = "d:"

/** The fields of a namespace's layout record (`keys.ts`'s `meta`). */
export const layoutField = {
  shards: "shards",
  /** The namespace's regular ttl (ms; 0: none): see `internal/redis/store.ts`. */
  regularTtl: "regularTtl"
} as const

const lua = (value: string) => `'${value}'`

/** The format as Lua locals, defined at the top of every script. */
export const luaConstants: ReadonlyArray<readonly [name: string, value: string]> = [
  ["F_USER", lua(sessionField.userId)],
  ["F_CREATED", lua(sessionField.createdAt)],
  ["F_LAST", lua(sessionField.lastAccess)],
  ["F_TTL", lua(sessionField.ttl)],
  ["F_DEADLINE", lua(sessionField.deadline)],
  ["F_DATA_SIZE", lua(sessionField.dataSize)],
  ["F_DATA_KEYS", lua(sessionField.dataKeys)],
  ["FIELD_PREFIX", lua(fieldPrefix)],
  ["DATA_PREFIX", lua(dataPrefix)],
  ["L_SHARDS", lua(layoutField.shards)],
  ["L_REGULAR_TTL", lua(layoutField.regularTtl)]
]

/**
 * A whole number of ms as a hash stores it (absent: 0): one to 15 decimal digits, or undefined
 * when it is not one. A loop over the characters, not a regex: every plain read parses three.
 */
export const storedNumber = (value: string | null): number | undefined => {
  if (value === null) return 0
  const length = value.length
  if (length === 0 || length > 15) return undefined
  let n = 0
  for (let i = 0; i < length; i++) {
    const digit = value.charCodeAt(i) - 48
    if (digit < 0 || digit > 9) return undefined
    n = n * 10 + digit
  }
  return n
}

/**
 * A session's last access and expiry (unix ms; 0: never) from its hash's last access, ttl and
 * deadline as read (null where absent), computed as `lua/lib/times.lua` does; undefined when one
 * is not a whole number of ms (a read that leaves it to the script, and its error).
 */
export const storedTimes = (
  lastAccess: string | null,
  ttl: string | null,
  deadline: string | null
): readonly [lastAccess: number, expires: number] | undefined => {
  const last = storedNumber(lastAccess)
  const t = storedNumber(ttl)
  const l = storedNumber(deadline)
  if (last === undefined || t === undefined || l === undefined) return undefined
  let expires = t > 0 ? last + t : 0
  if (l > 0 && (expires === 0 || l < expires)) expires = l
  return [last, expires]
}
