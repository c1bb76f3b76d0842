// Who may do what on this node: the enrolled nodes and their status, the blacklist, and every admin
// action applied, in a hash-chained audit log. One instance per node, backed by `admission-db`.
//
// Admin actions converge across coordinators without a leader: each target (a node's status, a
// node's blacklist entry, a policy key) takes the action with the latest signed issue time, so any
// order of delivery ends in the same state. Every action is kept in the audit log, including those
// that arrived late and were superseded. The records, the admission checks, what an action does to
// its target and the audit log are in files beside this one.
import type { AdmissionDb } from './db.js'
import { TokenStore, type TokenRecord } from './tokens.js'
import { NotAdmittedError, InvalidTokenError, UnauthorizedAdminError, DuplicateActionError } from '../errors/index.js'
import { verifyEnvelope, toHex } from '../wire/signed.js'
import { Domains } from '../wire/domains.js'
import { SignedEnvelope } from '../wire/pb/envelope.js'
import { AdminAction, AuthorityAction, EnrollRequest } from '../wire/pb/admission.js'
import { MeshAuthority, validateAuthorityAction } from './authority.js'
import { MalformedMessageError } from '../errors/index.js'
import { POLICY_KEYS, validateAction } from './action-rules.js'
import type { AdmissionMode, AuditRecord, BlacklistEntry, NodeRecord, NodeRole, NodeStatus, PolicyEntry } from './admission-records.js'
import { nextState } from './action-effects.js'
import { AuditLog, envelopeDomain } from './audit-log.js'
import { checkAssignable, checkSubmitter, listed, type AdmissionCheck } from './admission-checks.js'

// where they always were, for importers
export { POLICY_KEYS, validateAction, envelopeDomain }
export type { AdmissionMode, AuditRecord, BlacklistEntry, NodeRecord, NodeRole, NodeStatus, AdmissionCheck }

export interface AdmissionStateInit {
  meshId: string
  /** this node's peer id (tokens it issues carry its tag) */
  self: string
  /** the admin keys this node is started with (its trust anchor); admins may add and remove keys */
  adminKeys: string[]
  mode: AdmissionMode
  /** approve every enrollment at once (otherwise only tokens created with autoApprove do) */
  autoApprove?: boolean
  /**
   * told of each applied action (to hang up on a blacklisted peer, change pricing, run an operator
   * action); what it returns is handed back to whoever submitted the action
   */
  onApplied?: (action: AdminAction, record: AuditRecord) => unknown
  /**
   * signs an APPROVE admin action with this node's own key (one of its admin keys): an enrollment
   * approved at once is then backed by a signed, audited approval like an admin's, which is what a
   * welcome grant names (docs/ledger.md). Absent: such enrollments are active with no approval.
   */
  signApproval?: (target: string, reason: string) => Promise<SignedEnvelope>
}

/** the reason of a record whose approval on enrollment is being signed (a crash leaves it pending) */
const APPROVING = 'approving on enrollment'

/** An action applied and audited; its effect's own result, or the error its effect threw (the action stands either way). */
export interface AppliedAction {
  action: AdminAction | AuthorityAction
  record: AuditRecord
  result?: unknown
  effectError?: Error
}

export class AdmissionState implements AdmissionCheck {
  readonly tokens: TokenStore
  private readonly nodeMap = new Map<string, NodeRecord>()
  private readonly blacklistMap = new Map<string, BlacklistEntry>()
  private readonly policyMap = new Map<string, PolicyEntry>()
  /** admin keys and coordinator grants */
  readonly authority: MeshAuthority
  /** peer -> ids of every token it enrolled with (rotations included): who shares an operator */
  private readonly tokensOf = new Map<string, Set<string>>()
  private readonly auditLog: AuditLog
  /** serializes writes: enrollments and actions each read, then write */
  private queue: Promise<unknown> = Promise.resolve()

  constructor (private readonly db: AdmissionDb, private readonly init: AdmissionStateInit) {
    this.tokens = new TokenStore(db, init.self)
    this.authority = new MeshAuthority(db, init.adminKeys)
    this.auditLog = new AuditLog(db, init.meshId)
  }

  get mode (): AdmissionMode { return this.init.mode }
  get adminKeys (): string[] { return this.authority.adminKeys }

  async open (): Promise<void> {
    await this.authority.open()
    for await (const v of this.db.nodes.values()) { const n = JSON.parse(v) as NodeRecord; this.nodeMap.set(n.peerId, n) }
    for (const t of await this.tokens.list()) for (const p of t.usedBy) this.noteToken(p, t.id)
    for await (const v of this.db.blacklist.values()) { const b = JSON.parse(v) as BlacklistEntry; this.blacklistMap.set(b.peerId, b) }
    for await (const [k, v] of this.db.policy.iterator()) this.policyMap.set(k, JSON.parse(v) as { value: unknown, issuedAt: number })
    await this.auditLog.open()
  }

  private async serial<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn)
    this.queue = run.catch(() => {})
    return await run
  }

  /** A blacklisted peer: no connection, no gossip, no work. */
  isDenied (peer: string, now = Date.now()): boolean {
    return listed(this.blacklistMap.get(peer), now)
  }

  /** Throws NotAdmittedError unless `peer` may be given work here. */
  checkAssignable (peer: string): void {
    checkAssignable(this.isDenied(peer), this.nodeMap.get(peer), this.init.mode)
  }

  /** Throws NotAdmittedError unless `peer` may submit jobs here (the coordinator's own account may). */
  checkSubmitter (peer: string): void {
    checkSubmitter(this.isDenied(peer), peer, this.init.self, this.nodeMap.get(peer), this.init.mode)
  }

  /** Whether two accounts enrolled under one token: one operator, whatever their keys. */
  sameOperator (a: string, b: string): boolean {
    if (a === b) return true
    const ta = this.tokensOf.get(a)
    const tb = this.tokensOf.get(b)
    if (ta == null || tb == null) return false
    for (const t of ta) if (tb.has(t)) return true
    return false
  }

  private noteToken (peer: string, tokenId: string): void {
    let set = this.tokensOf.get(peer)
    if (set == null) this.tokensOf.set(peer, set = new Set())
    set.add(tokenId)
  }

  /**
   * The signed APPROVE action that makes `peer` active here, exactly as the audit log stores it, or
   * undefined when it is not active on an approval. The coordinator's own account is approved by its
   * own key the first time this is asked (there is no enrollment to approve).
   */
  async approvalOf (peer: string): Promise<SignedEnvelope | undefined> {
    if (this.isDenied(peer)) return undefined
    let n = this.nodeMap.get(peer)
    if (peer === this.init.self && n?.decidedBy == null && this.init.signApproval != null) {
      await this.applyAction(await this.init.signApproval(peer, 'the coordinator\'s own account')).catch(() => {})
      n = this.nodeMap.get(peer)
    }
    if (n?.status !== 'active' || n.decidedBy == null) return undefined
    return await this.auditLog.envelopeOf(n.decidedBy)
  }

  node (peer: string): NodeRecord | undefined { return this.nodeMap.get(peer) }

  nodes (status?: NodeStatus): NodeRecord[] {
    return [...this.nodeMap.values()].filter(n => status == null || n.status === status).sort((a, b) => a.enrolledAt - b.enrolledAt)
  }

  blacklist (now = Date.now()): BlacklistEntry[] {
    return [...this.blacklistMap.values()].filter(b => b.listed && (b.until === 0 || b.until > now))
  }

  policy (key: string): unknown { return this.policyMap.get(key)?.value }
  policies (): Record<string, unknown> { return Object.fromEntries([...this.policyMap].map(([k, v]) => [k, v.value])) }

  /**
   * Enrolls `peer` (already proven to be the signer of the request). A known peer re-enrolling with
   * its own token, or with none, just learns its status (a restart); a new token is a rotation: it
   * is spent and recorded, and the node keeps its status, identity and credits.
   */
  async enroll (peer: string, req: Omit<EnrollRequest, 'role'> & { role?: string }, now = Date.now()): Promise<NodeRecord> {
    const { rec, approve } = await this.enrollNow(peer, req, now)
    if (!approve || this.init.signApproval == null) return rec
    // approved on enrollment: by an APPROVE signed with this node's key, applied and audited like an
    // admin's (the token's auto-approve flag or the admission mode is what it attests)
    const why = this.init.mode === 'open' ? 'open admission' : this.init.autoApprove === true ? 'the coordinator auto-approves' : `auto-approve token ${rec.tokenId}`
    try {
      await this.applyAction(await this.init.signApproval(peer, `approved on enrollment (${why})`), { now })
    } catch (err) {
      // a later approval of this node already won: it keeps that one
      if ((err as Error).name !== 'DuplicateActionError') throw err
    }
    return this.nodeMap.get(peer) ?? rec
  }

  private async enrollNow (peer: string, req: Omit<EnrollRequest, 'role'> & { role?: string }, now: number): Promise<{ rec: NodeRecord, approve: boolean }> {
    return await this.serial(async () => {
      if (this.isDenied(peer, now)) throw new NotAdmittedError('this peer is blacklisted')
      const known = this.nodeMap.get(peer)
      let token: TokenRecord | undefined
      if (req.token !== '' && known == null) {
        token = await this.tokens.spend(req.token, peer, now)
      } else if (req.token !== '' && known != null) {
        // a known node: a new token rotates; a token it cannot spend (its old one, expired, or
        // another coordinator's) just reports its status, which a restart needs to learn
        try { token = await this.tokens.spend(req.token, peer, now) } catch (err) { if ((err as Error).name !== 'InvalidTokenError') throw err }
      } else if (known == null && this.init.mode === 'token') {
        throw new InvalidTokenError('a registration token is required to enroll here')
      }
      const executors = req.executors.slice(0, 64).map(e => e.slice(0, 32))
      const label = req.label.slice(0, 200)
      const role: NodeRole = req.role === 'client' ? 'client' : 'worker'
      let rec: NodeRecord
      let approve = false
      if (known != null) {
        rec = { ...known, role, label: label !== '' ? label : known.label, executors, tokenId: token?.id ?? known.tokenId, updatedAt: now }
        // a node asking where it stands, with nothing new: an answer, not a write
        if ((token == null || token.id === known.tokenId) && rec.label === known.label && rec.role === known.role && rec.executors.join() === known.executors.join() && known.reason !== APPROVING) return { rec: known, approve: false }
        // an approval on enrollment cut short by a crash, or a record from before approvals were signed
        approve = known.decidedBy == null && (known.reason === APPROVING || (known.status === 'active' && known.reason === 'approved on enrollment'))
      } else {
        approve = this.init.mode === 'open' || this.init.autoApprove === true || token?.autoApprove === true
        // with a signer, the record turns active only through the signed approval (see enroll)
        const signed = approve && this.init.signApproval != null
        rec = { peerId: peer, status: approve && !signed ? 'active' : 'pending', role, label, executors, tokenId: token?.id ?? '', enrolledAt: now, updatedAt: now, reason: signed ? APPROVING : approve ? 'approved on enrollment' : 'awaiting approval', decidedAt: 0 }
      }
      // open mode without a token: nothing to remember (a stranger's peer ids must not fill the disk)
      // (it is admitted all the same: open admission gives work to any peer not blacklisted)
      if (this.init.mode === 'open' && token == null && known == null) return { rec: { ...rec, status: 'active', reason: 'open admission' }, approve: false }
      await this.db.nodes.put(peer, JSON.stringify(rec))
      this.nodeMap.set(peer, rec)
      if (token != null) this.noteToken(peer, token.id)
      return { rec, approve }
    })
  }

  isAdmin (peer: string): boolean { return this.authority.isAdmin(peer) }

  /**
   * A granted coordinator that is not an admin still approves, here only, the enrollments its own
   * auto-approve tokens admit (and its own account): the signed approval a welcome grant names.
   * Other nodes do not apply it (the signer is not their admin key), so it admits nowhere else.
   */
  private ownApproval (signer: string, a: AdminAction): boolean {
    return signer === this.init.self && a.kind === AdminAction.Kind.APPROVE && this.authority.isGranted(signer)
  }

  /** Whether this exact signed action was applied before. */
  async seen (envelope: SignedEnvelope): Promise<boolean> {
    return await this.auditLog.seen(envelope)
  }

  /**
   * Verifies and applies a signed admin action: right domain and mesh, unexpired (unless replayed
   * from another node's audit log, `allowExpired`), signed by an admin key, never applied before.
   * Appends it to the audit log in the same batch as its effect.
   */
  async applyAction (envelope: SignedEnvelope, opts: { allowExpired?: boolean, now?: number } = {}): Promise<AppliedAction> {
    if (envelopeDomain(envelope) === Domains.authority) return await this.applyAuthority(envelope, opts)
    const v = await verifyEnvelope(envelope, { domain: Domains.adminAction, meshId: this.init.meshId, allowExpired: opts.allowExpired })
    const signer = v.signer.toString()
    let action: AdminAction
    try { action = AdminAction.decode(v.payload.body, { limits: {} }) } catch (err) { throw new MalformedMessageError(`admin action does not decode: ${(err as Error).message}`) }
    if (!this.isAdmin(signer) && !this.ownApproval(signer, action)) throw new UnauthorizedAdminError(`${signer} is not an admin key of this node`)
    validateAction(action)
    const id = toHex(v.digest)
    const issuedAt = Number(v.payload.issuedAtMs)
    const envBytes = SignedEnvelope.encode(envelope)
    return await this.serial(async () => {
      if ((await this.db.applied.get(id)) != null) throw new DuplicateActionError(`admin action ${id.slice(0, 12)} was already applied`)
      const now = opts.now ?? Date.now()
      const next = nextState({ nodes: this.nodeMap, blacklist: this.blacklistMap, policy: this.policyMap }, action, issuedAt, id, signer, now)
      const record = this.auditLog.next({ id, kind: action.kind, target: action.target, reason: action.reason, signer, issuedAt, appliedAt: now, effect: next == null ? 'superseded' : 'applied', envelope: Buffer.from(envBytes).toString('base64') })
      // the effect, the audit record and the "applied" mark in one batch: a crash keeps all or none
      const ops = this.auditLog.ops(record)
      if (next != null && next.table !== 'none') ops.push({ type: 'put', key: next.key, value: JSON.stringify(next.value), sublevel: this.db[next.table] })
      await this.db.level.batch(ops)
      this.auditLog.advance(record)
      let result: unknown
      let effectError: Error | undefined
      if (next != null) {
        if (next.table === 'nodes') this.nodeMap.set(next.key, next.value as NodeRecord)
        else if (next.table === 'blacklist') this.blacklistMap.set(next.key, next.value as BlacklistEntry)
        else if (next.table === 'policy') this.policyMap.set(next.key, next.value as { value: unknown, issuedAt: number })
        // the action is applied and recorded whatever a listener does with it
        try { result = await this.init.onApplied?.(action, record) } catch (err) { effectError = err instanceof Error ? err : new Error(String(err)) }
      }
      return { action, record, result, effectError }
    })
  }

  /**
   * An AuthorityAction (coordinator grant, admin key): checked and audited like an admin action, its
   * effect kept by MeshAuthority. The signer must be an admin when the action is applied.
   */
  private async applyAuthority (envelope: SignedEnvelope, opts: { allowExpired?: boolean, now?: number }): Promise<{ action: AuthorityAction, record: AuditRecord }> {
    const v = await verifyEnvelope(envelope, { domain: Domains.authority, meshId: this.init.meshId, allowExpired: opts.allowExpired })
    const signer = v.signer.toString()
    if (!this.isAdmin(signer)) throw new UnauthorizedAdminError(`${signer} is not an admin key of this node`)
    let action: AuthorityAction
    try { action = AuthorityAction.decode(v.payload.body, { limits: {} }) } catch (err) { throw new MalformedMessageError(`authority action does not decode: ${(err as Error).message}`) }
    const kind = validateAuthorityAction(action)
    const id = toHex(v.digest)
    const issuedAt = Number(v.payload.issuedAtMs)
    return await this.serial(async () => {
      if ((await this.db.applied.get(id)) != null) throw new DuplicateActionError(`authority action ${id.slice(0, 12)} was already applied`)
      const next = this.authority.nextState(kind, action, issuedAt, id, signer)
      const record = this.auditLog.next({ id, kind, target: action.target, reason: action.reason, signer, issuedAt, appliedAt: opts.now ?? Date.now(), effect: next == null ? 'superseded' : 'applied', envelope: Buffer.from(SignedEnvelope.encode(envelope)).toString('base64') })
      await this.db.level.batch([...this.auditLog.ops(record), ...(next != null ? [this.authority.op(next)] : [])])
      this.auditLog.advance(record)
      if (next != null) this.authority.commit(next)
      return { action, record }
    })
  }

  /** Audit records from `from`, oldest first. */
  async audit (from = 0, limit = 1000): Promise<AuditRecord[]> {
    return await this.auditLog.read(from, limit)
  }

  /**
   * Recomputes the hash chain and checks every signature in it. Returns where it breaks, if it does:
   * an edited, removed or reordered record, or an envelope that no longer verifies.
   */
  async verifyAudit (): Promise<{ ok: boolean, count: number, head: string, problem?: string }> {
    // under the write queue: an action applied meanwhile must not look like a broken chain
    return await this.serial(async () => await this.auditLog.verify())
  }
}
