// The hash-chained audit log of every admin and authority action applied here, and its verification.
import { createHash } from 'node:crypto'
import type { AdmissionDb } from './db.js'
import type { AuditRecord } from './admission-records.js'
import { verifyEnvelope, toHex } from '../wire/signed.js'
import { Domains } from '../wire/domains.js'
import { SignedEnvelope, SignedPayload } from '../wire/pb/envelope.js'
import { AdminAction, AuthorityAction } from '../wire/pb/admission.js'

const pad = (n: number): string => n.toString().padStart(12, '0')

/** The chain: every field of the record (but its own hash), then the signed envelope. */
function chainHash (r: Omit<AuditRecord, 'hash'>): string {
  const fields = [r.seq, r.prev, r.id, r.kind, r.target, r.reason, r.signer, r.issuedAt, r.appliedAt, r.effect]
  return createHash('sha256').update(`edgecoder/audit/v2\n${JSON.stringify(fields)}\n`).update(Buffer.from(r.envelope, 'base64')).digest('hex')
}

/** Writes go through the admission state's write queue: it appends, this only builds and reads. */
export class AuditLog {
  private head = { seq: -1, hash: '' }

  constructor (private readonly db: AdmissionDb, private readonly meshId: string) {}

  /** Finds the head of the chain. */
  async open (): Promise<void> {
    for await (const v of this.db.audit.values({ reverse: true, limit: 1 })) {
      const r = JSON.parse(v) as AuditRecord
      this.head = { seq: r.seq, hash: r.hash }
    }
  }

  /** Whether this exact signed action was applied before. */
  async seen (envelope: SignedEnvelope): Promise<boolean> {
    const id = createHash('sha256').update(envelope.payload).digest('hex')
    return (await this.db.applied.get(id)) != null
  }

  /** The signed envelope of the applied action `id`, exactly as the log stores it. */
  async envelopeOf (id: string): Promise<SignedEnvelope | undefined> {
    const seq = await this.db.applied.get(id)
    const rec = seq != null ? await this.db.audit.get(pad(Number(seq))) : undefined
    if (rec == null) return undefined
    return SignedEnvelope.decode(Buffer.from((JSON.parse(rec) as AuditRecord).envelope, 'base64'))
  }

  /** The next record of the chain. */
  next (r: Omit<AuditRecord, 'hash' | 'seq' | 'prev'>): AuditRecord {
    const unhashed: Omit<AuditRecord, 'hash'> = { seq: this.head.seq + 1, prev: this.head.hash, ...r }
    return { ...unhashed, hash: chainHash(unhashed) }
  }

  /** The audit record and the "applied" mark: written in the batch that carries the effect. */
  ops (record: AuditRecord): Array<{ type: 'put', key: string, value: string, sublevel: AdmissionDb['nodes'] }> {
    return [
      { type: 'put', key: pad(record.seq), value: JSON.stringify(record), sublevel: this.db.audit },
      { type: 'put', key: record.id, value: String(record.seq), sublevel: this.db.applied }
    ]
  }

  /** `record` was written: the chain goes on from it. */
  advance (record: AuditRecord): void {
    this.head = { seq: record.seq, hash: record.hash }
  }

  /** Audit records from `from`, oldest first. */
  async read (from = 0, limit = 1000): Promise<AuditRecord[]> {
    const out: AuditRecord[] = []
    for await (const v of this.db.audit.values({ gte: pad(from), limit })) out.push(JSON.parse(v) as AuditRecord)
    return out
  }

  /**
   * Recomputes the hash chain and checks every signature in it. Returns where it breaks, if it does:
   * an edited, removed or reordered record, or an envelope that no longer verifies. Run under the
   * write queue (AdmissionState.verifyAudit).
   */
  async verify (): Promise<{ ok: boolean, count: number, head: string, problem?: string }> {
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
        const ver = await verifyEnvelope(envelope, { domain, meshId: this.meshId, allowExpired: true })
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
