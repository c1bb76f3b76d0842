// Admin-sync: serves this node's audit log over /edgecoder/admin-sync and catches up from peers serving it.
import type { PeerId } from '@libp2p/interface'
import { ADMIN_SYNC_PAGE, ProtocolTable } from '../rpc/protocol-table.js'
import { Domains } from '../wire/domains.js'
import { verifyEnvelope, claimedSigner } from '../wire/signed.js'
import { SignedEnvelope, SignedPayload } from '../wire/pb/envelope.js'
import { AdminSyncRequest, AdminSyncResponse } from '../wire/pb/admission.js'
import { MalformedMessageError } from '../errors/index.js'
import type { AdmissionContext } from './admission-context.js'

/** actions of a not-yet-known admin key kept for the end of one sync (a rotated log's old key) */
const MAX_DEFERRED = 10_000
const SYNC_EVERY_MS = 30_000

export class AdminSync {
  /** peers synced from since they connected */
  private readonly synced = new Set<string>()
  /** where each peer's audit log was read up to (admin-sync resumes there) */
  private readonly position = new Map<string, bigint>()
  private resyncTimer?: ReturnType<typeof setTimeout>

  constructor (private readonly ctx: AdmissionContext) {}

  /** A peer serving admin-sync was identified: synced from once while it stays connected. */
  met (peer: PeerId): void {
    if (this.ctx.init.state.adminKeys.length > 0 && !this.synced.has(peer.toString())) {
      this.synced.add(peer.toString())
      void this.syncFrom(peer).catch(err => { this.synced.delete(peer.toString()); this.ctx.log('admin sync from %p: %s', peer, (err as Error).message) })
    }
  }

  /** A peer disconnected: met again (after a partition, a restart), it is synced again. */
  forget (key: string): void {
    this.synced.delete(key)
    this.position.delete(key)
  }

  start (): void { this.scheduleResync() }

  stop (): void { clearTimeout(this.resyncTimer) }

  async handleSync (req: SignedEnvelope, remote: PeerId): Promise<Uint8Array> {
    const { init } = this.ctx
    const v = await verifyEnvelope(req, { domain: Domains.adminSync, meshId: init.meshId, expectedSigner: remote, replay: this.ctx.replay })
    let q: AdminSyncRequest
    try { q = AdminSyncRequest.decode(v.payload.body) } catch (err) { throw new MalformedMessageError(`admin sync request does not decode: ${(err as Error).message}`) }
    const from = Number(q.from)
    const records = await init.state.audit(from, ADMIN_SYNC_PAGE)
    return AdminSyncResponse.encode({
      actions: records.map(r => SignedEnvelope.decode(Buffer.from(r.envelope, 'base64'))),
      next: BigInt(from + records.length)
    })
  }

  /** Applies every admin action `peer` holds that we lack (expired ones too: they were valid when issued). */
  async syncFrom (peer: PeerId, signal: AbortSignal = this.ctx.signal): Promise<number> {
    const { init, log } = this.ctx
    // resume where the last sync from this peer ended: its audit log only grows
    let from = this.position.get(peer.toString()) ?? 0n
    let applied = 0
    let fruitless = 0
    // signed by a key we do not hold as admin (yet): an admin key may be added later in the same
    // log than the server's order shows; these get one more try at the end
    const later: SignedEnvelope[] = []
    for (let page = 0; page < 10_000 && fruitless < 5; page++) {
      let ours = 0
      const res = await this.ctx.calls.call(ProtocolTable.adminSync, peer, { from }, { signal })
      for (const a of res.actions) {
        // only admin keys' actions are ours to apply: skip the rest before any signature check
        let signer: string
        try { signer = claimedSigner(a) } catch { continue }
        if (!init.state.isAdmin(signer)) {
          // an action of this mesh by a key we may learn is an admin's: the page is not junk
          if (isMeshAction(a, init.meshId)) {
            ours++
            if (later.length < MAX_DEFERRED) later.push(a)
          }
          continue
        }
        ours++
        if (await init.state.seen(a)) continue
        try {
          await init.state.applyAction(a, { allowExpired: true })
          applied++
        } catch (err) {
          // actions signed by keys we do not hold as admin are not ours to apply
          log('admin sync: action from %p not applied: %s', peer, (err as Error).message)
        }
      }
      // a server that does not advance by what it sent is not to be followed
      if (res.actions.length === 0 || res.next !== from + BigInt(res.actions.length)) break
      from = res.next
      this.position.set(peer.toString(), from)
      // pages with nothing signed by our admins (junk, or another mesh's) end the sync after a few
      fruitless = ours > 0 ? 0 : fruitless + 1
    }
    for (const a of later) {
      if (await init.state.seen(a)) continue
      try { await init.state.applyAction(a, { allowExpired: true }); applied++ } catch {}
    }
    if (applied > 0) log('admin sync: applied %d actions from %p', applied, peer)
    init.state.authority.synced = true
    return applied
  }

  /**
   * Every SYNC_EVERY_MS, resume admin-sync with each connected peer that serves it: an action
   * missed on gossip (a grant that arrived before the admin-add it depends on was ignored there,
   * and gossipsub does not deliver it twice) is picked up within that bound.
   */
  private scheduleResync (): void {
    if (this.ctx.signal.aborted || this.ctx.init.state.adminKeys.length === 0) return
    this.resyncTimer = setTimeout(() => {
      void (async () => {
        for (const conn of this.ctx.components.connectionManager.getConnections()) {
          const peer = conn.remotePeer
          if (this.ctx.signal.aborted || !this.synced.has(peer.toString())) continue
          await this.syncFrom(peer).catch(err => { this.ctx.log('admin re-sync from %p: %s', peer, (err as Error).message) })
        }
      })().finally(() => { this.scheduleResync() })
    }, SYNC_EVERY_MS)
    this.resyncTimer.unref?.()
  }
}

/** An admin or authority action of this mesh, by its claimed domain and mesh (no signature check). */
function isMeshAction (env: SignedEnvelope, meshId: string): boolean {
  try {
    const p = SignedPayload.decode(env.payload)
    return p.meshId === meshId && (p.domain === Domains.adminAction || p.domain === Domains.authority)
  } catch {
    return false
  }
}
