// The coordinators this worker serves: found through identify (peers that serve the claim
// protocol), the DHT record and announcements, and served only while they hold a grant.
import { peerIdFromString } from '@libp2p/peer-id'
import type { IdentifyResult, PeerId } from '@libp2p/interface'
import { Protocols } from '../../wire/domains.js'
import { ExecutionAbortedError } from '../../errors/index.js'
import { coordinatorsCid } from '../coordinators-cid.js'
import type { WorkerContext } from './context.js'
import type { Claims } from './claims.js'

/** peers heard of as coordinators (announcement, identify, DHT) that hold no grant: kept for when one arrives */
const MAX_UNGRANTED = 256
const LOOKUP_TIMEOUT_MS = 10_000
/** how often the DHT is asked while no coordinator is known, and once one is */
const LOOKUP_UNTIL_FOUND_MS = 2_000
const LOOKUP_FOUND_MS = 60_000

export class Coordinators {
  private timer?: ReturnType<typeof setTimeout>
  private readonly onIdentify = (evt: CustomEvent<IdentifyResult>): void => {
    if (evt.detail.protocols.includes(Protocols.claim)) this.add(evt.detail.peerId)
  }

  constructor (private readonly ctx: WorkerContext, private readonly claims: Claims) {}

  /** Listens for identified peers that serve claims. */
  listen (): void { this.ctx.components.events.addEventListener('peer:identify', this.onIdentify) }

  /** Looks coordinators up in the DHT now, and again periodically. */
  discover (): void { void this.lookUp() }

  stop (): void {
    if (this.timer != null) clearTimeout(this.timer)
    this.timer = undefined
    this.ctx.components.events.removeEventListener('peer:identify', this.onIdentify)
  }

  /**
   * The mesh's grants changed (or one lapsed): a coordinator that lost its grant gets no claim,
   * result or renewal from now on and its jobs here stop; one that gained it is served.
   */
  authorityChanged (): void {
    const ctx = this.ctx
    for (const id of [...ctx.coordinators]) {
      if (ctx.granted(id)) continue
      ctx.coordinators.delete(id)
      ctx.ungranted.add(id)
      ctx.log('coordinator %s lost its grant: no more work from it', id)
      if (ctx.parked?.coordinator === id) ctx.parked.withdraw.abort()
      for (const r of ctx.running.values()) {
        if (r.coordinator.toString() === id) r.abort.abort(new ExecutionAbortedError('coordinator grant removed'))
      }
    }
    for (const id of [...ctx.ungranted]) {
      if (!ctx.granted(id)) continue
      ctx.ungranted.delete(id)
      this.add(peerIdFromString(id))
    }
  }

  private add (peer: PeerId): void {
    const ctx = this.ctx
    if (peer.equals(ctx.components.peerId)) return
    const id = peer.toString()
    if (ctx.coordinators.has(id)) return
    if (!ctx.granted(id)) {
      // a peer that merely offers the claim protocol or provides the record gets no claim
      if (!ctx.ungranted.has(id) && ctx.ungranted.size < MAX_UNGRANTED) {
        ctx.ungranted.add(id)
        ctx.log('not serving %s: %s', id, ctx.init.authority?.standing(id).why)
      }
      return
    }
    ctx.coordinators.add(id)
    ctx.log('serving coordinator %s', id)
    // a new coordinator may already hold queued work: ask once
    void this.claims.fill(peer)
  }

  private async lookUp (): Promise<void> {
    const ctx = this.ctx
    try {
      const cid = await coordinatorsCid(ctx.init.meshId)
      const signal = AbortSignal.any([ctx.abort.signal, AbortSignal.timeout(LOOKUP_TIMEOUT_MS)])
      for await (const prov of ctx.components.contentRouting.findProviders(cid, { signal })) {
        if (prov.multiaddrs.length > 0) await ctx.components.peerStore.merge(prov.id, { multiaddrs: prov.multiaddrs }).catch(() => {})
        this.add(prov.id)
      }
    } catch (err) {
      if (!ctx.abort.signal.aborted) ctx.log('coordinator discovery: %s', (err as Error).message)
    }
    if (ctx.abort.signal.aborted) return
    const interval = ctx.init.discoveryIntervalMs ?? (ctx.coordinators.size === 0 ? LOOKUP_UNTIL_FOUND_MS : LOOKUP_FOUND_MS)
    this.timer = setTimeout(() => { void this.lookUp() }, interval)
    this.timer.unref?.()
  }
}
