// Who may do what on this node: the enrolled nodes and their status, the blacklist, and every admin
// action applied, in a hash-chained audit log. One instance per node, backed by `admission-db`.
//
// Admin actions converge across coordinators without a leader: each target (a node's status, a
// node's blacklist entry, a policy key) takes the action with the latest signed issue time, so any
// order of delivery ends in the same state. Every action is kept in the audit log, including those
// that arrived late and were superseded.
import { createHash } from 'node:crypto'
import type { AdmissionDb } from './db.js'
import { TokenStore, type TokenRecord } from './tokens.js'
import { NotAdmittedError, InvalidTokenError, UnauthorizedAdminError, DuplicateActionError } from '../errors/index.js'
import { verifyEnvelope, toHex } from '../wire/signed.js'
import { Domains } from '../wire/domains.js'
import { SignedEnvelope, SignedPayload } from '../wire/pb/envelope.js'
import { AdminAction, AuthorityAction, EnrollRequest } from '../wire/pb/admission.js'
import { MeshAuthority, validateAuthorityAction } from './authority.js'
import { MalformedMessageError } from '../errors/index.js'
import { POLICY_KEYS, validateAction } from './action-rules.js'

// where they always were, for importers
export { POLICY_KEYS, validateAction }

export type AdmissionMode = 'token' | 'open'
export type NodeStatus = 'pending' | 'active' | 'rejected'
/** what an enrolled account is for: running jobs, or submitting them (an application user) */
export type NodeRole = 'worker' | 'client'

export interface NodeRecord {
  peerId: string
  status: NodeStatus
  /** absent in records from before clients enrolled: a worker */
  role?: NodeRole
  label: string
  executors: string[]
  /** id of the token it enrolled (or last rotated) with; '' in open mode */
  tokenId: string
  enrolledAt: number
  updatedAt: number
  reason: string
  /** issue time and id of the admin action that last set the status (last-writer-wins) */
  decidedAt: number
  decidedBy?: string
}

export interface BlacklistEntry {
  peerId: string
  /** false once removed (kept, so an older add delivered late cannot resurrect it) */
  listed: boolean
  reason: string
  /** unix ms after which the entry lapses; 0 = never */
  until: number
  by: string
  issuedAt: number
  /** id of the action that set this entry: ties on issuedAt go to the larger id */
  actionId?: string
}

export interface AuditRecord {
  seq: number
  /** hex SHA-256 of the previous record ('' for the first) */
  prev: string
  /** hex SHA-256 over seq, prev and the signed envelope: the chain */
  hash: string
  /** hex SHA-256 of the signed payload: names the action */
  id: string
  kind: string
  target: string
  reason: string
  signer: string
  issuedAt: number
  appliedAt: number
  /** 'applied', or 'superseded' when a later action on the same target was already applied */
  effect: 'applied' | 'superseded'
  /** base64 of the encoded SignedEnvelope, exactly as received */
  envelope: string
}

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

const pad = (n: number): string => n.toString().padStart(12, '0')

/** The chain: every field of the record (but its own hash), then the signed envelope. */
function chainHash (r: Omit<AuditRecord, 'hash'>): string {
  const fields = [r.seq, r.prev, r.id, r.kind, r.target, r.reason, r.signer, r.issuedAt, r.appliedAt, r.effect]
  return createHash('sha256').update(`edgecoder/audit/v2\n${JSON.stringify(fields)}\n`).update(Buffer.from(r.envelope, 'base64')).digest('hex')
}

/** Last-writer-wins order: later issue time first, then the larger action id, so ties resolve the same everywhere. */
function supersedes (issuedAt: number, id: string, prevIssuedAt: number, prevId: string | undefined): boolean {
  return issuedAt > prevIssuedAt || (issuedAt === prevIssuedAt && id > (prevId ?? ''))
}

/** What the job and ledger services ask of admission (AdmissionState implements it). */
export interface AdmissionCheck {
  isDenied: (peer: string) => boolean
  /** throws NotAdmittedError unless the peer may be given work */
  checkAssignable: (peer: string) => void
  /** throws NotAdmittedError unless the account may submit jobs */
  checkSubmitter?: (peer: string) => void
  policy: (key: string) => unknown
}

export class AdmissionState implements AdmissionCheck {
  readonly tokens: TokenStore
  private readonly nodeMap = new Map<string, NodeRecord>()
  private readonly blacklistMap = new Map<string, BlacklistEntry>()
  private readonly policyMap = new Map<string, { value: unknown, issuedAt: number, id?: string }>()
  /** admin keys and coordinator grants */
  readonly authority: MeshAuthority
  /** peer -> ids of every token it enrolled with (rotations included): who shares an operator */
  private readonly tokensOf = new Map<string, Set<string>>()
  private head = { seq: -1, hash: '' }
  /** serializes writes: enrollments and actions each read, then write */
  private queue: Promise<unknown> = Promise.resolve()

  constructor (private readonly db: AdmissionDb, private readonly init: AdmissionStateInit) {
    this.tokens = new TokenStore(db, init.self)
    this.authority = new MeshAuthority(db, init.adminKeys)
  }

  get mode (): AdmissionMode { return this.init.mode }
  get adminKeys (): string[] { return this.authority.adminKeys }

  async open (): Promise<void> {
    await this.authority.open()
    for await (const v of this.db.nodes.values()) { const n = JSON.parse(v) as NodeRecord; this.nodeMap.set(n.peerId, n) }
    for (const t of await this.tokens.list()) for (const p of t.usedBy) this.noteToken(p, t.id)
    for await (const v of this.db.blacklist.values()) { const b = JSON.parse(v) as BlacklistEntry; this.blacklistMap.set(b.peerId, b) }
    for await (const [k, v] of this.db.policy.iterator()) this.policyMap.set(k, JSON.parse(v) as { value: unknown, issuedAt: number })
    for await (const v of this.db.audit.values({ reverse: true, limit: 1 })) {
      const r = JSON.parse(v) as AuditRecord
      this.head = { seq: r.seq, hash: r.hash }
    }
  }

  private async serial<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn)
    this.queue = run.catch(() => {})
    return await run
  }

  /** A blacklisted peer: no connection, no gossip, no work. */
  isDenied (peer: string, now = Date.now()): boolean {
    const b = this.blacklistMap.get(peer)
    return b != null && b.listed && (b.until === 0 || b.until > now)
  }

  /** Throws NotAdmittedError unless `peer` may be given work here. */
  checkAssignable (peer: string): void {
    if (this.isDenied(peer)) throw new NotAdmittedError('this peer is blacklisted')
    const n = this.nodeMap.get(peer)
    // an admin's rejection holds in open mode too
    if (this.init.mode === 'open') {
      if (n?.status === 'rejected') throw new NotAdmittedError(`enrollment is rejected${n.reason !== '' ? ` (${n.reason})` : ''}`)
      return
    }
    if (n == null) throw new NotAdmittedError('not enrolled: start the worker with a registration token (--token or AGENT_REGISTRATION_TOKEN)')
    if (n.status !== 'active') throw new NotAdmittedError(`enrollment is ${n.status}${n.reason !== '' ? ` (${n.reason})` : ''}`)
  }

  /**
   * Throws NotAdmittedError unless `peer` may submit jobs here: the coordinator's own account, or an
   * account that is not blacklisted and (token mode) enrolled and active. A throwaway key is refused
   * before it is priced, so it is never granted anything.
   */
  checkSubmitter (peer: string): void {
    if (this.isDenied(peer)) throw new NotAdmittedError('the submitting account is blacklisted')
    if (peer === this.init.self) return
    const n = this.nodeMap.get(peer)
    if (n?.status === 'rejected') throw new NotAdmittedError(`the submitting account's enrollment is rejected${n.reason !== '' ? ` (${n.reason})` : ''}`)
    if (this.init.mode === 'open') return
    if (n == null) throw new NotAdmittedError('not enrolled: start the client with a registration token (--token or AGENT_REGISTRATION_TOKEN) and have an admin approve it')
    if (n.status !== 'active') throw new NotAdmittedError(`the submitting account's enrollment is ${n.status}: an admin must approve it (nodes approve ${peer})`)
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
    const seq = await this.db.applied.get(n.decidedBy)
    const rec = seq != null ? await this.db.audit.get(pad(Number(seq))) : undefined
    if (rec == null) return undefined
    return SignedEnvelope.decode(Buffer.from((JSON.parse(rec) as AuditRecord).envelope, 'base64'))
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
    const id = createHash('sha256').update(envelope.payload).digest('hex')
    return (await this.db.applied.get(id)) != null
  }

  /**
   * Verifies and applies a signed admin action: right domain and mesh, unexpired (unless replayed
   * from another node's audit log, `allowExpired`), signed by an admin key, never applied before.
   * Appends it to the audit log in the same batch as its effect.
   */
  async applyAction (envelope: SignedEnvelope, opts: { allowExpired?: boolean, now?: number } = {}): Promise<{ action: AdminAction | AuthorityAction, record: AuditRecord, result?: unknown }> {
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
      const next = this.nextState(action, issuedAt, id, signer, now)
      const record = this.auditRecord({ id, kind: action.kind, target: action.target, reason: action.reason, signer, issuedAt, appliedAt: now, effect: next == null ? 'superseded' : 'applied', envelope: Buffer.from(envBytes).toString('base64') })
      // the effect, the audit record and the "applied" mark in one batch: a crash keeps all or none
      const ops = this.auditOps(record)
      if (next != null && next.table !== 'none') ops.push({ type: 'put', key: next.key, value: JSON.stringify(next.value), sublevel: this.db[next.table] })
      await this.db.level.batch(ops)
      this.head = { seq: record.seq, hash: record.hash }
      let result: unknown
      if (next != null) {
        if (next.table === 'nodes') this.nodeMap.set(next.key, next.value as NodeRecord)
        else if (next.table === 'blacklist') this.blacklistMap.set(next.key, next.value as BlacklistEntry)
        else if (next.table === 'policy') this.policyMap.set(next.key, next.value as { value: unknown, issuedAt: number })
        // the action is applied and recorded whatever a listener does with it
        try { result = await this.init.onApplied?.(action, record) } catch (err) { result = { error: { name: (err as Error).name, message: (err as Error).message } } }
      }
      return { action, record, result }
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
      const record = this.auditRecord({ id, kind, target: action.target, reason: action.reason, signer, issuedAt, appliedAt: opts.now ?? Date.now(), effect: next == null ? 'superseded' : 'applied', envelope: Buffer.from(SignedEnvelope.encode(envelope)).toString('base64') })
      await this.db.level.batch([...this.auditOps(record), ...(next != null ? [this.authority.op(next)] : [])])
      this.head = { seq: record.seq, hash: record.hash }
      if (next != null) this.authority.commit(next)
      return { action, record }
    })
  }

  /** The next record of the chain. */
  private auditRecord (r: Omit<AuditRecord, 'hash' | 'seq' | 'prev'>): AuditRecord {
    const unhashed: Omit<AuditRecord, 'hash'> = { seq: this.head.seq + 1, prev: this.head.hash, ...r }
    return { ...unhashed, hash: chainHash(unhashed) }
  }

  /** The audit record and the "applied" mark: written in the batch that carries the effect. */
  private auditOps (record: AuditRecord): Array<{ type: 'put', key: string, value: string, sublevel: AdmissionDb['nodes'] }> {
    return [
      { type: 'put', key: pad(record.seq), value: JSON.stringify(record), sublevel: this.db.audit },
      { type: 'put', key: record.id, value: String(record.seq), sublevel: this.db.applied }
    ]
  }

  /** The target's new state, or undefined when a later action on it was already applied. */
  private nextState (a: AdminAction, issuedAt: number, id: string, signer: string, now: number): { table: 'nodes' | 'blacklist' | 'policy' | 'none', key: string, value: NodeRecord | BlacklistEntry | { value: unknown, issuedAt: number, id?: string } } | undefined {
    switch (a.kind) {
      case AdminAction.Kind.APPROVE:
      case AdminAction.Kind.REJECT: {
        const n = this.nodeMap.get(a.target)
        if (n != null && !supersedes(issuedAt, id, n.decidedAt, n.decidedBy)) return undefined
        const status: NodeStatus = a.kind === AdminAction.Kind.APPROVE ? 'active' : 'rejected'
        // an approval may come before the node enrolled here (it enrolled at another coordinator)
        const base = n ?? { peerId: a.target, label: '', executors: [], tokenId: '', enrolledAt: now }
        return { table: 'nodes', key: a.target, value: { ...base, status, reason: a.reason !== '' ? a.reason : `${status === 'active' ? 'approved' : 'rejected'} by ${signer}`, updatedAt: now, decidedAt: issuedAt, decidedBy: id } }
      }
      case AdminAction.Kind.BLACKLIST_ADD:
      case AdminAction.Kind.BLACKLIST_REMOVE: {
        const b = this.blacklistMap.get(a.target)
        if (b != null && !supersedes(issuedAt, id, b.issuedAt, b.actionId)) return undefined
        return { table: 'blacklist', key: a.target, value: { peerId: a.target, listed: a.kind === AdminAction.Kind.BLACKLIST_ADD, reason: a.reason, until: Number(a.untilMs), by: signer, issuedAt, actionId: id } }
      }
      case AdminAction.Kind.OPERATOR:
        // operator state is kept by src/ops (in order of arrival); here it is only audited
        return { table: 'none', key: a.target, value: { value: a.value, issuedAt, id } }
      case AdminAction.Kind.POLICY_SET: {
        const p = this.policyMap.get(a.target)
        if (p != null && !supersedes(issuedAt, id, p.issuedAt, p.id)) return undefined
        return { table: 'policy', key: a.target, value: { value: JSON.parse(a.value) as unknown, issuedAt, id } }
      }
    }
    return undefined
  }

  /** Audit records from `from`, oldest first. */
  async audit (from = 0, limit = 1000): Promise<AuditRecord[]> {
    const out: AuditRecord[] = []
    for await (const v of this.db.audit.values({ gte: pad(from), limit })) out.push(JSON.parse(v) as AuditRecord)
    return out
  }

  /**
   * Recomputes the hash chain and checks every signature in it. Returns where it breaks, if it does:
   * an edited, removed or reordered record, or an envelope that no longer verifies.
   */
  async verifyAudit (): Promise<{ ok: boolean, count: number, head: string, problem?: string }> {
    // under the write queue: an action applied meanwhile must not look like a broken chain
    return await this.serial(async () => await this.verifyAuditNow())
  }

  private async verifyAuditNow (): Promise<{ ok: boolean, count: number, head: string, problem?: string }> {
    let prev = ''
    let seq = 0
    for await (const v of this.db.audit.values()) {
      const r = JSON.parse(v) as AuditRecord
      if (r.seq !== seq) return { ok: false, count: seq, head: prev, problem: `record ${seq} is missing (found ${r.seq})` }
      const env = new Uint8Array(Buffer.from(r.envelope, 'base64'))
      const { hash: _h, ...unhashed } = r
      if (r.prev !== prev || chainHash(unhashed) !== r.hash) return { ok: false, count: seq, head: prev, problem: `record ${seq} does not chain: it was edited, or one before it was` }
      try {
        const envelope = SignedEnvelope.decode(env)
        const domain = envelopeDomain(envelope) === Domains.authority ? Domains.authority : Domains.adminAction
        const ver = await verifyEnvelope(envelope, { domain, meshId: this.init.meshId, allowExpired: true })
        if (ver.signer.toString() !== r.signer || toHex(ver.digest) !== r.id) throw new Error('signer or id differs from the record')
        const a = domain === Domains.authority ? AuthorityAction.decode(ver.payload.body) : AdminAction.decode(ver.payload.body)
        if (a.kind !== r.kind || a.target !== r.target) throw new Error('kind or target differs from the signed action')
      } catch (err) {
        return { ok: false, count: seq, head: prev, problem: `record ${seq}: ${(err as Error).message}` }
      }
      prev = r.hash
      seq++
    }
    if (seq !== this.head.seq + 1) return { ok: false, count: seq, head: prev, problem: `the log ends at record ${seq - 1}, but ${this.head.seq} was written` }
    return { ok: true, count: seq, head: prev }
  }
}

/** The domain a signed envelope claims, without checking it ('' when it does not decode). */
export function envelopeDomain (env: SignedEnvelope): string {
  try { return SignedPayload.decode(env.payload).domain } catch { return '' }
}
