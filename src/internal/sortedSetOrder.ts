/**
 * Redis's order of sorted-set entries: by score, then members by their bytes (UTF-8), which is
 * code point order. Shards' listings are merged in it, and the in-memory store lists in it.
 */

/**
 * A UTF-16 code unit's rank in code point order: surrogates (halves of code points above U+FFFF)
 * go after U+E000..U+FFFF, which JavaScript's code unit order puts after them.
 */
const rank = (unit: number): number =>
  unit >= 0xd800 && unit <= 0xdfff ? unit + 0x2000 : unit >= 0xe000 ? unit - 0x800 : unit

/** Compares two members as Redis does (their UTF-8 bytes), without encoding them. */
export const compareMembers = (a: string, b: string): number => {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return rank(x) - rank(y)
  }
  return a.length - b.length
}

/** Sorted-set order of `[member, score]` entries: by score, then by member. */
export const byScoreThenMember = (a: readonly [string, number], b: readonly [string, number]): number =>
  a[1] !== b[1] ? a[1] - b[1] : compareMembers(a[0], b[0])
