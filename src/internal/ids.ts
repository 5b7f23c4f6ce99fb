/**
 * Session ids: 128 bits from the platform's cryptographic generator, URL-safe base64.
 *
 * Random bytes are drawn 4 KiB at a time and handed out 16 at a time (as the `uuid` package does):
 * one `getRandomValues` call per 256 ids instead of one per id, which was a tenth of `create`'s
 * CPU time. The pool only ever holds unused random bytes.
 */
import * as Encoding from "effect/Encoding"

const poolSize = 4096
const pool = new Uint8Array(poolSize)
let used = poolSize

/** 16 fresh random bytes. */
const randomBytes = (): Uint8Array => {
  if (used + 16 > poolSize) {
    globalThis.crypto.getRandomValues(pool)
    used = 0
  }
  const bytes = pool.slice(used, used + 16)
  used += 16
  return bytes
}

/** A new session id, after its shard and a dot when the namespace has more than one shard. */
export const newSessionId = (shard: number, shards: number): string => {
  const random = Encoding.encodeBase64Url(randomBytes())
  return shards === 1 ? random : `${shard}.${random}`
}
