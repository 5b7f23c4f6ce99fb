/**
 * Timeouts for many calls that share one duration, on one timer. Deadlines then come in the order
 * the calls start, so the pending calls form a queue ordered by deadline: the timer waits for the
 * oldest, and a call that completes is only marked, and dropped once it reaches the head. Per call
 * that is one small object instead of a Node timer set and cleared (about 0.4 µs and 0.5 KB less per
 * operation in `npm run bench:costs`). A call stuck until its timeout holds the entries of the calls
 * completed after it until then: small objects, since a settled entry lets go of its callback.
 *
 * An entry that leaves the queue points at nothing. The queue is a linked list, and the garbage
 * collector's young-generation pass treats every old-generation object as alive: an entry that
 * lived long enough to be promoted, still pointing at the next, would keep that one alive and
 * promote it in turn, and with it the callback's fiber, down the whole chain of later calls
 * (measured: 2.2 MB promoted per scavenge in a one-call-at-a-time loop, pauses of 4-5 ms).
 *
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
    timer = setTimeout(expire, Math.max(1, Math.ceil(delay)))
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
      const pending: Pending = {
        deadline: performance.now() + durationMillis,
        onTimeout,
        settled: false,
        next: undefined
      }
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
