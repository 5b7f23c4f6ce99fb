/**
 * Batches due at the end of the event loop's current turn (`setImmediate`): after the callbacks of
 * everything that arrived together (the requests read from many sockets at once, the replies of
 * one batch), not after each (as `process.nextTick` would). `gather.ts` sends script calls this way,
 * `hashReads.ts` plain reads.
 */

/** The batches of one kind due at the end of the turn, each sent by `go` then. */
export interface Turn<B> {
  /** Sends `batch` at the end of the turn, with the others due. */
  readonly due: (batch: B) => void
  /** Sends a due batch now, before the turn ends. */
  readonly now: (batch: B) => void
}

/** Batches sent by `go` at the end of each turn they are due in. */
export const make = <B>(go: (batch: B) => void): Turn<B> => {
  let due: Array<B> = []
  let scheduled = false
  const flush = () => {
    scheduled = false
    const batches = due
    due = []
    for (const batch of batches) go(batch)
  }
  return {
    due: (batch) => {
      due.push(batch)
      if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    },
    now: (batch) => {
      const at = due.indexOf(batch)
      if (at >= 0) due.splice(at, 1)
      go(batch)
    }
  }
}
