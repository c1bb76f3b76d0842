// Who holds authority in the mesh: its admin keys and its granted coordinators. The trust anchor is
// the set of admin keys a node is started with (the bootstrap file carries them); admins can add
// and remove admin keys and grant or remove coordinators with signed AuthorityActions, which every
// node applies in the same last-writer-wins way as admin actions (admission-state.ts audits them).
// A node gives work to, takes work from and follows the ledger of granted coordinators only.
import { peerIdFromString } from '@libp2p/peer-id'
import type { AdmissionDb } from './db.js'
import { AuthorityAction } from '../wire/pb/admission.js'
import { InvalidArgumentError } from '../errors/index.js'

export const AUTHORITY_KINDS = ['coordinator-grant', 'coordinator-remove', 'admin-add', 'admin-remove'] as const
export type AuthorityKind = typeof AUTHORITY_KINDS[number]

/** One target's current state: a coordinator grant or an admin key, as the latest action left it. */
export interface AuthorityEntry {
  peerId: string
  /** granted (coordinator) or an admin key (admin); false once removed, kept so an older action delivered late cannot undo it */
  present: boolean
  label: string
  /** coordinators: unix ms after which the grant lapses; 0 = until removed */
  until: number
  reason: string
  /** the admin key that signed the action */
  by: string
  issuedAt: number
  /** id (payload digest) of the action that set this entry: ties on issuedAt go to the larger id */
  actionId: string
}

/** A coordinator as this node sees it, with why. */
export interface CoordinatorView extends AuthorityEntry {
  state: 'granted' | 'removed' | 'expired'
}

export interface Standing { granted: boolean, why: string }

type Table = 'coordinator' | 'admin'
const keyOf = (t: Table, peer: string): string => `${t}/${peer}`

function supersedes (issuedAt: number, id: string, prev: AuthorityEntry | undefined): boolean {
  return prev == null || issuedAt > prev.issuedAt || (issuedAt === prev.issuedAt && id > prev.actionId)
}

/** Refuses actions whose fields do not fit their kind, before anything is verified further. */
export function validateAuthorityAction (a: AuthorityAction): AuthorityKind {
  if (!(AUTHORITY_KINDS as readonly string[]).includes(a.kind)) throw new InvalidArgumentError(`unknown authority action "${a.kind.slice(0, 40)}" (one of ${AUTHORITY_KINDS.join(', ')})`)
  try { peerIdFromString(a.target) } catch { throw new InvalidArgumentError(`"${a.target.slice(0, 80)}" is not a peer id`) }
  if (a.label.length > 200) throw new InvalidArgumentError('label is longer than 200 characters')
  if (a.reason.length > 500) throw new InvalidArgumentError('reason is longer than 500 characters')
  return a.kind as AuthorityKind
}

export class MeshAuthority {
  private readonly pinned: Set<string>
  private readonly entries = new Map<string, AuthorityEntry>()
  private readonly listeners = new Set<() => void>()
  private expiryTimer?: ReturnType<typeof setTimeout>
  /**
   * true once this node has read a peer's audit log (or holds an admin key itself): only then does
   * a publisher it knows no grant for count as ungranted rather than not heard of yet
   */
  synced = false

  constructor (private readonly db: AdmissionDb, pinnedAdminKeys: string[]) {
    for (const k of pinnedAdminKeys) {
      try { peerIdFromString(k) } catch { throw new InvalidArgumentError(`admin key "${k}" is not a peer id`) }
    }
    this.pinned = new Set(pinnedAdminKeys)
  }

  async open (): Promise<void> {
    for await (const [k, v] of this.db.authority.iterator()) this.entries.set(k, JSON.parse(v) as AuthorityEntry)
    this.scheduleExpiry()
  }

  close (): void {
    if (this.expiryTimer != null) clearTimeout(this.expiryTimer)
    this.expiryTimer = undefined
    this.listeners.clear()
  }

  /** Called after any grant or admin key changes, and when a grant lapses. */
  onChange (fn: () => void): () => void {
    this.listeners.add(fn)
    return () => { this.listeners.delete(fn) }
  }

  /** A pinned key is an admin until an admin removes it; an added key until it is removed. */
  isAdmin (peer: string): boolean {
    const e = this.entries.get(keyOf('admin', peer))
    return e != null ? e.present : this.pinned.has(peer)
  }

  get adminKeys (): string[] {
    const out = new Set([...this.pinned].filter(k => this.isAdmin(k)))
    for (const [k, e] of this.entries) if (e.present && k.startsWith('admin/')) out.add(e.peerId)
    return [...out].sort()
  }

  isGranted (peer: string, now = Date.now()): boolean {
    const e = this.entries.get(keyOf('coordinator', peer))
    return e != null && e.present && (e.until === 0 || e.until > now) && this.isAdmin(e.by)
  }

  /** Whether `peer` is a coordinator of this mesh, and why (or why not), in words for operators. */
  standing (peer: string, now = Date.now()): Standing {
    const e = this.entries.get(keyOf('coordinator', peer))
    if (this.adminKeys.length === 0) return { granted: false, why: 'this node knows no admin key of the mesh: start it with the bootstrap file of the mesh (it carries the admin keys) or --admin-key' }
    if (e == null) return { granted: false, why: `${peer} holds no coordinator grant from the mesh's admin keys` }
    if (!e.present) return { granted: false, why: `coordinator grant removed by ${e.by} at ${new Date(e.issuedAt).toISOString()}${e.reason !== '' ? ` (${e.reason})` : ''}` }
    if (e.until !== 0 && e.until <= now) return { granted: false, why: `coordinator grant expired at ${new Date(e.until).toISOString()}` }
    // a grant stands only while its signer is an admin key: removing a (stolen) key ends every grant
    // it made, and a backdated signature of a removed key is worth nothing
    if (!this.isAdmin(e.by)) return { granted: false, why: `coordinator grant signed by ${e.by}, which is not (or no longer) an admin key of this mesh: an admin grants it again` }
    return { granted: true, why: `granted by ${e.by}${e.until !== 0 ? ` until ${new Date(e.until).toISOString()}` : ''}${e.label !== '' ? ` ("${e.label}")` : ''}` }
  }

  hasGrantRecord (peer: string): boolean { return this.entries.has(keyOf('coordinator', peer)) }

  /**
   * Whether an ungranted direct publisher may be charged in the peer guard: never one we hold a
   * grant record for (removed or lapsed: it may not have heard yet), nor before this node knows
   * the mesh's grants (a fresh node mid-sync would charge honest coordinators).
   */
  mayCharge (peer: string, self: string): boolean {
    return !this.hasGrantRecord(peer) && (this.synced || this.isAdmin(self))
  }

  coordinators (now = Date.now()): CoordinatorView[] {
    return [...this.entries].filter(([k]) => k.startsWith('coordinator/')).map(([, e]) => e)
      .map(e => ({ ...e, state: !e.present ? 'removed' as const : e.until !== 0 && e.until <= now ? 'expired' as const : this.isAdmin(e.by) ? 'granted' as const : 'removed' as const }))
      .sort((a, b) => a.issuedAt - b.issuedAt)
  }

  /**
   * The entry an action leaves (key and value to write), or undefined when a later action on the
   * same target was already applied. Throws when the action would leave the mesh without an admin.
   */
  nextState (kind: AuthorityKind, a: AuthorityAction, issuedAt: number, id: string, signer: string): { key: string, value: AuthorityEntry } | undefined {
    const table: Table = kind.startsWith('admin') ? 'admin' : 'coordinator'
    const key = keyOf(table, a.target)
    if (!supersedes(issuedAt, id, this.entries.get(key))) return undefined
    const present = kind === 'coordinator-grant' || kind === 'admin-add'
    if (kind === 'admin-remove' && this.adminKeys.every(k => k === a.target)) {
      throw new InvalidArgumentError('removing the last admin key would leave the mesh with no one to grant coordinators: add another admin key first')
    }
    return { key, value: { peerId: a.target, present, label: a.label, until: kind === 'coordinator-grant' ? Number(a.expiresAtMs) : 0, reason: a.reason, by: signer, issuedAt, actionId: id } }
  }

  /** The batch op for an entry (written with its audit record by admission-state.ts). */
  op (next: { key: string, value: AuthorityEntry }): { type: 'put', key: string, value: string, sublevel: AdmissionDb['authority'] } {
    return { type: 'put', key: next.key, value: JSON.stringify(next.value), sublevel: this.db.authority }
  }

  /** After the batch is durable: the entry takes effect and listeners hear of it. */
  commit (next: { key: string, value: AuthorityEntry }): void {
    this.entries.set(next.key, next.value)
    this.scheduleExpiry()
    this.notify()
  }

  private notify (): void {
    for (const fn of this.listeners) {
      try { fn() } catch {}
    }
  }

  /** One timer for the next grant to lapse, so expiry takes effect without anyone asking. */
  private scheduleExpiry (now = Date.now()): void {
    if (this.expiryTimer != null) clearTimeout(this.expiryTimer)
    this.expiryTimer = undefined
    let next = Infinity
    for (const e of this.entries.values()) if (e.present && e.until > now) next = Math.min(next, e.until)
    if (next === Infinity) return
    // setTimeout takes at most 2^31-1 ms; a later lapse is rescheduled when this one fires
    this.expiryTimer = setTimeout(() => { this.scheduleExpiry(); this.notify() }, Math.min(next - now + 5, 2 ** 31 - 1))
    this.expiryTimer.unref?.()
  }
}
