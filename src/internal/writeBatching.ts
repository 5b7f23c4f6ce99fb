/**
 * Batches the connection's writes per tick. Node writes each command to the socket as it is sent,
 * one system call per command; `cork` holds writes back and `uncork` on the next tick sends all
 * of them in one call. Commands started in one tick (the operations of many fibers resumed by one
 * batch of replies) then leave together, as with ioredis's auto-pipelining but without its
 * per-batch bookkeeping. Nothing waits longer than the end of the current tick.
 */
import type { Cluster, Redis } from "ioredis"
import type { Socket } from "node:net"

/** The sockets of a client's connections: one, or every node's of a Cluster. */
const socketsOf = (client: Redis | Cluster): ReadonlyArray<Socket> =>
  "nodes" in client ? client.nodes("all").map((node) => node.stream) : [client.stream]

const uncorkAll = (sockets: ReadonlyArray<Socket>) => {
  for (const socket of sockets) socket.uncork()
}

/**
 * Returns `batch`: call it before sending a command. The first call of a tick corks the client's
 * sockets and schedules their uncork for the end of the tick (`process.nextTick`); later calls in
 * the same tick do nothing.
 */
export const make = (client: Redis | Cluster): () => void => {
  // the one piece of state: whether an uncork is already scheduled for this tick
  let scheduled = false
  const flush = (sockets: ReadonlyArray<Socket>) => {
    scheduled = false
    uncorkAll(sockets)
  }
  return () => {
    if (scheduled) return
    const sockets = socketsOf(client).filter((socket) => socket !== undefined && socket !== null)
    if (sockets.length === 0) return
    scheduled = true
    for (const socket of sockets) socket.cork()
    process.nextTick(flush, sockets)
  }
}
