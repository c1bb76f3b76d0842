// What every part of the worker shares: its init and components, its slots and the jobs running in
// them, the coordinators it serves, the session streams it calls them on, and the one claim it may
// have left waiting for work. One instance per worker, made by the service and handed to each part.
import type { Logger, PeerId } from '@libp2p/interface'
import { RpcServer, rpcCall } from '../../rpc/reqresp.js'
import { SessionClient } from '../../rpc/session.js'
import { ReplayGuard } from '../../wire/signed.js'
import type { ClaimRequest } from '../../wire/pb/jobs.js'
import type { WorkerComponents, WorkerInit } from './init.js'

export interface RunningJob {
  jobId: string
  coordinator: PeerId
  attempt: number
  abort: AbortController
  done: Promise<void>
}

/** the one claim left waiting for work while a slot is free, and the coordinator holding it */
export interface ParkedClaim {
  coordinator: string
  withdraw: AbortController
  done: Promise<void>
}

export class WorkerContext {
  readonly log: Logger
  readonly rpc: RpcServer
  readonly replay = new ReplayGuard()
  readonly slots: number
  /** slots taken by running jobs and by claims in flight */
  reserved = 0
  readonly running = new Map<string, RunningJob>()
  /** granted coordinators heard from (announcements, DHT, identify) */
  readonly coordinators = new Set<string>()
  /** peers that looked like coordinators but hold no grant */
  readonly ungranted = new Set<string>()
  readonly abort = new AbortController()
  draining = false
  /** claims, lease renewals and results go over one session stream per coordinator */
  readonly calls: SessionClient
  parked?: ParkedClaim
  /** the coordinator that last gave us work: where a waiting claim goes */
  lastWorkFrom?: string

  constructor (readonly components: WorkerComponents, readonly init: WorkerInit) {
    this.log = components.logger.forComponent('edgecoder:worker')
    this.rpc = new RpcServer(components, 'worker')
    this.slots = init.slots ?? 2
    const dialer = components.connectionManager
    this.calls = new SessionClient(dialer, async (peer, protocol, request, options) => await rpcCall(dialer, peer, protocol, request, options))
  }

  get self (): string { return this.components.peerId.toString() }

  get offered (): string[] {
    const all = this.init.executors.names()
    return this.init.offer != null ? all.filter((n: string) => this.init.offer?.includes(n) === true) : all
  }

  get freeSlots (): number { return this.slots - this.reserved }

  granted (peer: string): boolean { return this.init.authority?.isGranted(peer) ?? true }

  /** A slot was taken: when it was our last free one, the claim waiting elsewhere would only overfill us. */
  reserveSlot (): void {
    this.reserved++
    if (this.freeSlots <= 0) this.parked?.withdraw.abort()
  }

  claimRequest (freeSlots: number, claimNonce: Uint8Array<ArrayBuffer>, jobId = '', waitMs = 0): ClaimRequest {
    return { jobId, executors: this.offered, freeSlots, capacity: { cpuMillis: 0, memoryMb: this.init.memoryLimitMb ?? 256 }, claimNonce, waitMs }
  }
}
