// Messages between the bench (the parent: feeder, client, bookkeeping) and its child processes:
// worker hosts and the coordinator host.
import type { SignedEnvelope } from '../../src/wire/pb/envelope.js'
import type { CounterSnapshot } from './counters.js'

export interface HostConfig {
  meshId: string
  bootstrap: string[]
  /** the mesh's admin keys: a worker gives work only to coordinators granted under them */
  adminKeys?: string[]
  /** registration token (auto-approve) the workers enroll with, as contributors do */
  token?: string
  workers: number
  slots: number
  /** id of this host, for logs */
  index: number
}

export type ToHost =
  | { type: 'clock', id: number }
  | { type: 'record', on: boolean }
  | { type: 'usage' }
  /** the host's (first) worker catches up with `log` from nothing and reports how long it took */
  | { type: 'reconcile', log: string }
  | { type: 'stop' }

export type FromHost =
  | { type: 'ready', peers: string[], pid: number }
  | { type: 'clock', id: number, t: number }
  /** execution starts: [job id, host clock ms] */
  | { type: 'starts', starts: Array<[string, number]> }
  | { type: 'usage', rssBytes: number, heapUsedBytes: number, cpuMicros: number, executed: number }
  | { type: 'reconciled', ms: number, verified: boolean, size: number }
  | { type: 'error', message: string }
  | { type: 'stopped' }

export interface CoordinatorConfig {
  meshId: string
  /** uses of the workers' auto-approve registration token */
  workers: number
  /** the bench client's peer id, enrolled as an admitted account before `ready` */
  client: string
}

/** One instant in the coordinator process: everything a round is the difference of. */
export interface CoordinatorSample {
  /** the shared OS clock (performance.timeOrigin + now()), ms */
  t: number
  /** process.cpuUsage() of the coordinator process, user + system, µs */
  cpuMicros: number
  /** job:completed events so far */
  completed: number
  ledgerSize: number
  /** jobs queued at the coordinator, not yet assigned: > 0 while the feeder keeps it busy */
  queueDepth: number
  counters: CounterSnapshot
  rssBytes: number
}

export interface CoordinatorStatus {
  /** peers subscribed to the jobs topic, as the coordinator sees them */
  subscribers: number
  /** enrolled and approved nodes */
  activeNodes: number
  queueDepth: number
  waitingClaims: number
}

/** Requests carry an id; the reply of the same type carries it back (with `error` if it failed). */
export type ToCoordinator =
  | { type: 'clock', id: number }
  /** presigned specs for later submits, kept in order */
  | { type: 'specs', id: number, specs: SignedEnvelope[] }
  /** submit the next `n` presigned specs at once (as a client with n requests in flight would) */
  | { type: 'submit', id: number, n: number }
  | { type: 'sample', id: number }
  | { type: 'status', id: number }
  /** every job succeeded, with a signed assignment and a signed result stored, and settled in the ledger */
  | { type: 'verify', id: number, jobs: string[] }
  /** job-store state of each job, counted (why a drain did not end) */
  | { type: 'states', id: number, jobs: string[] }
  /** forward job:queued and job:assigned times (dispatch legs) */
  | { type: 'record', on: boolean }
  | { type: 'stop' }

export type FromCoordinator =
  | { type: 'ready', pid: number, peerId: string, addrs: string[], adminKeys: string[], workerToken: string }
  | { type: 'clock', id: number, t: number }
  | { type: 'specs', id: number, error?: string }
  /** [job id, coordinator clock ms at the call to submit] */
  | { type: 'submit', id: number, jobs: Array<[string, number]>, error?: string }
  | { type: 'sample', id: number, sample: CoordinatorSample, error?: string }
  | { type: 'status', id: number, status: CoordinatorStatus, error?: string }
  | { type: 'verify', id: number, verified: number, error?: string }
  | { type: 'states', id: number, states: Record<string, number>, error?: string }
  /** job events, batched: ended jobs always, queued/assigned times [job id, ms] while recording */
  | { type: 'events', completed: string[], failed: Array<[string, string]>, queued: Array<[string, number]>, assigned: Array<[string, number]> }
  | { type: 'error', message: string }
  | { type: 'stopped' }
