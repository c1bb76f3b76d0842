// Enrollment, worker and client side: asks each granted coordinator where this node stands, with backoff.
import type { PeerId } from '@libp2p/interface'
import { ProtocolTable } from '../rpc/protocol-table.js'
import { EnrollResponse, type EnrollRequest } from '../wire/pb/admission.js'
import { coordinatorTag, tokenCoordinatorTag } from './tokens.js'
import type { AdmissionContext } from './admission-context.js'

/** A node's standing at each coordinator it enrolled with. */
export type Standing = Record<string, { status: 'pending' | 'active' | 'rejected', reason: string }>

export class EnrollmentClient {
  /** our status at each coordinator (workers) */
  readonly statusAt = new Map<string, { status: EnrollResponse.Status, reason: string }>()
  private readonly retryTimers = new Map<string, ReturnType<typeof setTimeout>>()
  private readonly retryDelay = new Map<string, number>()
  /** coordinators met that serve enrollment (workers and clients): asked for our standing once granted */
  private readonly enrollPeers = new Map<string, PeerId>()

  constructor (private readonly ctx: AdmissionContext) {}

  /** A coordinator that serves enrollment was identified. */
  met (peer: PeerId): void {
    this.enrollPeers.set(peer.toString(), peer)
    this.askStanding(peer)
  }

  /** A peer disconnected: a gone peer is not retried; met again, it is asked afresh. */
  forget (key: string): void {
    this.enrollPeers.delete(key)
    clearTimeout(this.retryTimers.get(key))
    this.retryTimers.delete(key)
  }

  stop (): void {
    for (const t of this.retryTimers.values()) clearTimeout(t)
  }

  /** Our enrollment state at each granted coordinator, in words (status, /status, the console). */
  standing (): Standing {
    const out: Record<string, { status: 'pending' | 'active' | 'rejected', reason: string }> = {}
    for (const [k, v] of this.statusAt) out[k] = { status: statusName(v.status), reason: v.reason }
    return out
  }

  /**
   * Learns where this node stands at a granted coordinator: the token goes only to the coordinator
   * that issued it (its tag is in the token); any other granted coordinator is asked without one,
   * since an admin's approval admits us mesh-wide.
   */
  private askStanding (peer: PeerId): void {
    const key = peer.toString()
    if (this.ctx.signal.aborted || this.retryTimers.has(key)) return
    if (!this.ctx.init.state.authority.isGranted(key)) return
    void this.enroll(peer).catch(() => {})
  }

  /** An admin approved or rejected us (the action reached this node): ask every coordinator again now. */
  standingChanged (): void {
    for (const [key, peer] of this.enrollPeers) {
      clearTimeout(this.retryTimers.get(key))
      this.retryTimers.delete(key)
      this.retryDelay.delete(key)
      this.askStanding(peer)
    }
  }

  /** The mesh's grants changed: ask any newly granted coordinator met before. */
  authorityChanged (): void {
    for (const [key, peer] of this.enrollPeers) {
      if (this.ctx.init.state.authority.isGranted(key)) this.askStanding(peer)
      else { this.statusAt.delete(key); clearTimeout(this.retryTimers.get(key)); this.retryTimers.delete(key) }
    }
  }

  /** Enrolls with `coordinator` and records the answer; a pending node asks again later. */
  async enroll (coordinator: PeerId): Promise<EnrollResponse> {
    const init = this.ctx.init
    const key = coordinator.toString()
    clearTimeout(this.retryTimers.get(key))
    this.retryTimers.delete(key)
    const ours = init.token != null && tokenCoordinatorTag(init.token) === coordinatorTag(key)
    try {
      const request: EnrollRequest = { token: ours ? init.token ?? '' : '', label: init.label ?? '', executors: init.role === 'client' ? [] : init.executors?.() ?? [], role: init.role ?? 'worker' }
      const res = await this.ctx.calls.call(ProtocolTable.enroll, coordinator, request, { signal: this.ctx.signal })
      const before = this.statusAt.get(key)
      this.statusAt.set(key, { status: res.status, reason: res.reason })
      if (before?.status !== res.status) init.onStatus?.(coordinator, res.status, res.reason)
      if (res.status === EnrollResponse.Status.PENDING) this.retryLater(coordinator)
      else this.retryDelay.delete(key)
      return res
    } catch (err) {
      const e = err as Error
      this.ctx.log('enrolling with %p: %s %s', coordinator, e.name, e.message)
      // asked without a token (it is another coordinator's, or we have none): the mesh's approval
      // of us may not have reached this coordinator yet; ask again later
      const waiting = !ours && e.name === 'InvalidTokenError'
      const status = waiting ? EnrollResponse.Status.PENDING : EnrollResponse.Status.REJECTED
      const reason = waiting
        ? (init.token != null ? 'not enrolled here: waiting for the mesh\'s approval of this node to reach this coordinator' : 'not enrolled: start with a registration token (--token or AGENT_REGISTRATION_TOKEN) from a coordinator of the mesh')
        : `${e.name}: ${e.message}`
      const before = this.statusAt.get(key)
      this.statusAt.set(key, { status, reason })
      if (before?.status !== status || before.reason !== reason) init.onStatus?.(coordinator, status, reason)
      if (waiting || (e.name !== 'InvalidTokenError' && e.name !== 'NotAdmittedError')) this.retryLater(coordinator)
      throw err
    }
  }

  private retryLater (coordinator: PeerId): void {
    if (this.ctx.signal.aborted) return
    // back off while pending: 2 s, doubling to a minute
    const key = coordinator.toString()
    const delay = Math.min(60_000, this.retryDelay.get(key) ?? this.ctx.init.pendingRetryMs ?? 2_000)
    this.retryDelay.set(key, delay * 2)
    const t = setTimeout(() => { void this.enroll(coordinator).catch(() => {}) }, delay)
    t.unref?.()
    this.retryTimers.set(coordinator.toString(), t)
  }
}

export function statusName (s: EnrollResponse.Status): 'pending' | 'active' | 'rejected' {
  return s === EnrollResponse.Status.ACTIVE ? 'active' : s === EnrollResponse.Status.PENDING ? 'pending' : 'rejected'
}
