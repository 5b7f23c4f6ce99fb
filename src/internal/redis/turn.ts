/**
 * Batches due at the end of the event loop's current turn (`setImmediate`): after the callbacks of
 * everything that arrived together (the requests read from many sockets at once, the replies of
 * one batch), not after each (as `process.nextTick` would). `gather.ts` sends script calls this way,
 * `hashReads.ts` plain reads.
 *
 * Where calls come one at a time, waiting for the turn's end gains nothing and costs latency: the
 * command would go only after everything the caller does once its call is made (its fiber
 * suspended, its promise made), where a command written at once lets Redis work meanwhile. So when
 * the last `loneTurns` turns that made calls made at most one each, the next turn's first batch goes
 * at once, as it gets its first call; the turn's other batches still go at its end, and a turn of
 * many calls puts the next back to waiting (a burst after a quiet spell sends its first call
 * alone). A batch sent at once takes no more calls, identical or not: a call made after it was
 * sent must not get a reply read before the call was made.
 */

/**
 * How many turns in a row of at most one call each (of the turns that made calls) make the next
 * turn's first batch go at once.
 */
export const loneTurns = 3

/** The batches of one kind due at the end of the turn, each sent by `go` then. */
export interface Turn<B> {
  /**
   * Sends `batch`, just opened with its first call, at the end of the turn with the others due, or
   * now when it is the turn's first batch after `loneTurns` lone turns. Returns whether it was sent
   * now.
   */
  readonly due: (batch: B) => boolean
  /** Sends a due batch now, before the turn ends (a full one). */
  readonly now: (batch: B) => void
}

/**
 * Batches sent by `go` at the end of each turn they are due in, or with `atOnce` a lone turn's first
 * at once (see the module's doc); `calls` tells how many callers a batch has.
 */
export const make = <B>(go: (batch: B) => void, calls: (batch: B) => number, atOnce: boolean): Turn<B> => {
  let due: Array<B> = []
  let scheduled = false
  /** How many turns in a row, of those that made calls, made at most one. */
  let lone = 0
  /** Calls of this turn in batches already sent (at once, or full). */
  let sent = 0
  const flush = () => {
    scheduled = false
    const batches = due
    due = []
    let made = sent
    sent = 0
    for (const batch of batches) made += calls(batch)
    lone = made <= 1 ? lone + 1 : 0
    for (const batch of batches) go(batch)
  }
  return {
    due: (batch) => {
      if (!scheduled) {
        scheduled = true
        setImmediate(flush)
        if (atOnce && lone >= loneTurns) {
          sent += calls(batch)
          go(batch)
          return true
        }
      }
      due.push(batch)
      return false
    },
    now: (batch) => {
      const at = due.indexOf(batch)
      if (at >= 0) due.splice(at, 1)
      sent += calls(batch)
      go(batch)
    }
  }
}
