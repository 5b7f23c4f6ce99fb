/**
 * Timeouts for many calls that share one duration, on one timer. Deadlines then come in the order
 * the calls start, so the pending calls form a queue ordered by deadline: the timer waits for the
 * oldest, and a settled call is only marked, and dropped once it reaches the head. Per call that is
 * one small object instead of a Node timer set and cleared.
 *
 * Entries are class instances and an entry leaving the queue points at nothing: V8 may allocate
 * object literals made after a burst straight in the old generation, where they would keep each
 * call's callback (and its fiber) alive until a full collection (`test/Deadlines.test.ts`).
 * The timer is unref'd: a pending call keeps the process alive through its socket, not through this.
 */

/** One timed call. */
export interface Pending {
  readonly deadline: number
  /** What to run at the deadline; dropped once the call is settled. */
  onTimeout: (() => void) | undefined
  settled: boolean
  next: Pending | undefined
}

/** An entry (a class: see above). */
class Entry implements Pending {
  settled = false
  next: Pending | undefined = undefined
  constructor(readonly deadline: number, public onTimeout: (() => void) | undefined) {}
}

/** The timeouts of the calls of one client. */
export interface Deadlines {
  /** Starts timing a call: `onTimeout` runs if it is still pending `durationMillis` from now. */
  readonly start: (onTimeout: () => void) => Pending
  /** Ends timing a call; false when it had already timed out (then its result is to be dropped). */
  readonly settle: (pending: Pending) => boolean
}

/** Timeouts of `durationMillis` for calls, on one unref'd timer. */
export const make = (durationMillis: number): Deadlines => {
  let head: Pending | undefined
  let tail: Pending | undefined
  let timer: ReturnType<typeof setTimeout> | undefined

  const arm = (delay: number) => {
    // Node fires a delay past 2^31 - 1 ms at once: longer waits go in steps
    timer = setTimeout(expire, Math.min(Math.max(1, Math.ceil(delay)), 2 ** 31 - 1))
    timer.unref()
  }

  /** Takes the head off the queue, leaving it pointing at nothing. */
  const dropHead = (first: Pending) => {
    head = first.next
    first.next = undefined
    if (head === undefined) tail = undefined
  }

  /** Fails the calls whose deadline has passed, drops the settled ones before them, and waits for the next. */
  const expire = () => {
    timer = undefined
    const now = performance.now()
    while (head !== undefined && (head.settled || head.deadline <= now)) {
      const first = head
      dropHead(first)
      if (!first.settled) {
        const onTimeout = first.onTimeout
        first.settled = true
        first.onTimeout = undefined
        onTimeout?.()
      }
    }
    if (head !== undefined) arm(head.deadline - now)
  }

  return {
    start: (onTimeout) => {
      const pending: Pending = new Entry(performance.now() + durationMillis, onTimeout)
      if (tail === undefined) head = pending
      else tail.next = pending
      tail = pending
      if (timer === undefined) arm(durationMillis)
      return pending
    },
    settle: (pending) => {
      if (pending.settled) return false
      pending.settled = true
      pending.onTimeout = undefined
      while (head !== undefined && head.settled) dropHead(head)
      return true
    }
  }
}
