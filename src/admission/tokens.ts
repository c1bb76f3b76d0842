// Registration tokens: created by a coordinator admin, handed to a contributor out of band, spent by
// the contributor's node when it enrolls. Only a SHA-256 of each token is stored, so a copy of the
// data dir does not leak usable tokens.
import { randomBytes, createHash, timingSafeEqual } from 'node:crypto'
import type { AdmissionDb } from './db.js'
import { InvalidTokenError } from '../errors/index.js'
import { InvalidArgumentError } from '../errors/index.js'

export const TOKEN_PREFIX = 'ect_'

/**
 * The coordinator a token belongs to, as it appears in the token: 12 hex chars of SHA-256 of its peer
 * id. A worker sends its token only to a peer whose id matches, so a peer that merely claims to serve
 * enrollment never sees it (matching 48 bits would take ~2^48 key generations).
 */
export function coordinatorTag (peerId: string): string {
  return createHash('sha256').update(peerId, 'utf8').digest('hex').slice(0, 12)
}

/** The coordinator tag inside a well-formed token. */
export function tokenCoordinatorTag (token: string): string | undefined {
  return /^ect_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/.exec(token)?.[1]
}

export interface TokenRecord {
  /** first 12 hex chars of the hash: names the token in lists and revocations */
  id: string
  /** hex SHA-256 of the token */
  hash: string
  label: string
  /** enrollments allowed (1 = single use) */
  maxUses: number
  uses: number
  createdAt: number
  /** unix ms; 0 = never */
  expiresAt: number
  revoked: boolean
  /** enrollments with this token are approved at once */
  autoApprove: boolean
  /** peer ids that enrolled with it */
  usedBy: string[]
}

export interface CreateTokenOptions { label?: string, maxUses?: number, ttlMs?: number, autoApprove?: boolean }

function hashToken (token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** A token's shape: `ect_`, the coordinator tag, `_`, and 43 base64url characters (32 random bytes). */
export function isTokenShaped (token: string): boolean {
  return tokenCoordinatorTag(token) != null
}

export const TOKEN_SHAPE = 'ect_<12 hex>_<43 characters>'

export class TokenStore {
  /** token writes one at a time: a revoke never races a spend's read-modify-write */
  private queue: Promise<unknown> = Promise.resolve()

  constructor (private readonly db: AdmissionDb, private readonly coordinator: string) {}

  private async serial<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn)
    this.queue = run.catch(() => {})
    return await run
  }

  /** Returns the token itself: shown once, never stored. */
  async create (opts: CreateTokenOptions = {}): Promise<{ token: string, record: TokenRecord }> {
    const maxUses = opts.maxUses ?? 1
    // usedBy lives in the record: keep it a size that rewriting on each spend can afford
    if (!Number.isSafeInteger(maxUses) || maxUses < 1 || maxUses > 10_000) throw new InvalidArgumentError('--uses must be an integer from 1 to 10000')
    const label = opts.label ?? ''
    if (label.length > 200) throw new InvalidArgumentError('--label is longer than 200 characters')
    const token = `${TOKEN_PREFIX}${coordinatorTag(this.coordinator)}_${randomBytes(32).toString('base64url')}`
    const hash = hashToken(token)
    const now = Date.now()
    const record: TokenRecord = {
      id: hash.slice(0, 12), hash, label, maxUses, uses: 0, createdAt: now,
      expiresAt: opts.ttlMs != null ? now + opts.ttlMs : 0, revoked: false, autoApprove: opts.autoApprove === true, usedBy: []
    }
    await this.serial(async () => { await this.db.tokens.put(record.id, JSON.stringify(record)) })
    return { token, record }
  }

  async list (): Promise<TokenRecord[]> {
    const out: TokenRecord[] = []
    for await (const v of this.db.tokens.values()) out.push(JSON.parse(v) as TokenRecord)
    return out.sort((a, b) => a.createdAt - b.createdAt)
  }

  async revoke (id: string): Promise<TokenRecord> {
    return await this.serial(async () => {
      const rec = await this.get(id)
      rec.revoked = true
      await this.db.tokens.put(rec.id, JSON.stringify(rec))
      return rec
    })
  }

  async get (id: string): Promise<TokenRecord> {
    if (!/^[0-9a-f]{12}$/.test(id)) throw new InvalidArgumentError('a token id is 12 lowercase hex characters (see `token list`)')
    const v = await this.db.tokens.get(id)
    if (v == null) throw new InvalidArgumentError(`no token ${id}`)
    return JSON.parse(v) as TokenRecord
  }

  /**
   * Spends one use of `token` for `peer`. A peer that already enrolled with this token spends
   * nothing (a restart re-enrolls). Calls are serialized by the caller (one enrollment at a time).
   */
  async spend (token: string, peer: string, now = Date.now()): Promise<TokenRecord> {
    return await this.serial(async () => await this.spendNow(token, peer, now))
  }

  private async spendNow (token: string, peer: string, now: number): Promise<TokenRecord> {
    if (!isTokenShaped(token)) throw new InvalidTokenError(`not a registration token (expected ${TOKEN_SHAPE})`)
    if (tokenCoordinatorTag(token) !== coordinatorTag(this.coordinator)) throw new InvalidTokenError('this registration token was issued by another coordinator')
    const hash = hashToken(token)
    const v = await this.db.tokens.get(hash.slice(0, 12))
    const rec = v != null ? JSON.parse(v) as TokenRecord : undefined
    // compare the whole hash in constant time: the id is only a prefix
    if (rec == null || !timingSafeEqual(Buffer.from(rec.hash, 'hex'), Buffer.from(hash, 'hex'))) throw new InvalidTokenError('unknown registration token')
    if (rec.revoked) throw new InvalidTokenError(`registration token ${rec.id} was revoked`)
    if (rec.expiresAt !== 0 && rec.expiresAt <= now) throw new InvalidTokenError(`registration token ${rec.id} expired at ${new Date(rec.expiresAt).toISOString()}`)
    if (rec.usedBy.includes(peer)) return rec
    if (rec.uses >= rec.maxUses) throw new InvalidTokenError(`registration token ${rec.id} is used up (${rec.maxUses} enrollment${rec.maxUses === 1 ? '' : 's'})`)
    rec.uses++
    rec.usedBy.push(peer)
    await this.db.tokens.put(rec.id, JSON.stringify(rec))
    return rec
  }
}
