// Signing and verifying SignedEnvelopes (protocols/envelope.proto). This is the single place where
// a signature is bound to its signer, its domain (protocol + message kind), its mesh and its expiry,
// so no protocol can forget one of those checks.
import { createHash, createPrivateKey, createPublicKey, randomBytes, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import * as Digest from 'multiformats/hashes/digest'
import type { PrivateKey, PeerId } from '@libp2p/interface'
import { SignedEnvelope, SignedPayload } from './pb/envelope.js'
import {
  InvalidSignatureError, MalformedMessageError, MessageExpiredError, ReplayedMessageError,
  UnexpectedSignerError, WrongDomainError, WrongMeshError
} from '../errors/index.js'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'

/** what every signature covers before the payload (exported for tests that hand-craft envelopes) */
export const SIG_PREFIX = new TextEncoder().encode('edgecoder/sig/v1\n')
/** a message may claim to be issued at most this far in the future (clock skew allowance) */
const MAX_CLOCK_SKEW_MS = 60_000
/** no message may be valid for longer than this */
const MAX_VALIDITY_MS = 7 * 24 * 3600_000

export interface Signer {
  readonly peerId: PeerId
  readonly meshId: string
  sign (domain: string, body: Uint8Array, ttlMs: number): Promise<SignedEnvelope>
}

export function createSigner (privateKey: PrivateKey, meshId: string): Signer {
  const peerId = peerIdFromPrivateKey(privateKey)
  const signerBytes = peerId.toMultihash().bytes
  // one KeyObject for the signer's life: building it per signature cost more than signing
  const ed25519 = privateKey.type === 'Ed25519' ? ed25519KeyObject(privateKey.raw) : undefined
  const signBytes = async (data: Uint8Array): Promise<Uint8Array> =>
    ed25519 != null ? cryptoSign(null, data, ed25519) : await privateKey.sign(data)
  return {
    peerId,
    meshId,
    async sign (domain, body, ttlMs) {
      const now = Date.now()
      const payload = SignedPayload.encode({
        domain,
        meshId,
        signer: signerBytes,
        issuedAtMs: BigInt(now),
        expiresAtMs: BigInt(now + ttlMs),
        nonce: new Uint8Array(randomBytes(16)),
        body: ownBytes(body)
      })
      const signature = ownBytes(await signBytes(concat(SIG_PREFIX, payload)))
      return { payload, signature }
    }
  }
}

export interface VerifiedMessage {
  payload: SignedPayload
  signer: PeerId
  /** SHA-256 of the payload bytes: names this exact signed message */
  digest: Uint8Array<ArrayBuffer>
}

export interface VerifyOptions {
  domain: string
  meshId: string
  /** when set, the signer must be this peer */
  expectedSigner?: PeerId
  /** replay guard; when set, a nonce seen before is refused */
  replay?: ReplayGuard
  now?: number
  /** accept a message whose expiry has passed (reading back stored, already-checked records) */
  allowExpired?: boolean
}

/**
 * Who claims to have signed `env`, from the payload alone: no signature check. For cheap filtering
 * (is this signer one we would accept at all?) before the real verification.
 */
export function claimedSigner (env: SignedEnvelope): string {
  try {
    return peerIdFromMultihash(Digest.decode(SignedPayload.decode(env.payload).signer)).toString()
  } catch {
    throw new MalformedMessageError('signer is not a peer id')
  }
}

export async function verifyEnvelope (env: SignedEnvelope, opts: VerifyOptions): Promise<VerifiedMessage> {
  let payload: SignedPayload
  try {
    payload = SignedPayload.decode(env.payload, { limits: {} })
  } catch (err) {
    throw new MalformedMessageError(`signed payload does not decode: ${(err as Error).message}`)
  }
  if (payload.domain !== opts.domain) {
    throw new WrongDomainError(`signed for "${payload.domain}", expected "${opts.domain}"`)
  }
  if (payload.meshId !== opts.meshId) {
    throw new WrongMeshError(`signed for mesh "${payload.meshId}", this is mesh "${opts.meshId}"`)
  }
  let signer: PeerId
  try {
    signer = peerIdFromMultihash(Digest.decode(payload.signer))
  } catch {
    throw new MalformedMessageError('signer is not a peer id')
  }
  if (signer.type !== 'Ed25519' || signer.publicKey == null) {
    throw new InvalidSignatureError('signer must be an Ed25519 peer id')
  }
  if (opts.expectedSigner != null && !signer.equals(opts.expectedSigner)) {
    throw new UnexpectedSignerError(`signed by ${signer.toString()}, expected ${opts.expectedSigner.toString()}`)
  }
  const now = opts.now ?? Date.now()
  const issued = Number(payload.issuedAtMs)
  const expires = Number(payload.expiresAtMs)
  if (issued > now + MAX_CLOCK_SKEW_MS) throw new MessageExpiredError('issued in the future')
  if (expires - issued > MAX_VALIDITY_MS) throw new MessageExpiredError('validity window too long')
  if (expires <= now && opts.allowExpired !== true) throw new MessageExpiredError(`expired ${now - expires} ms ago`)
  if (payload.nonce.byteLength < 8) throw new MalformedMessageError('nonce too short')
  const ok = verifyEd25519(signer.publicKey.raw, concat(SIG_PREFIX, env.payload), env.signature)
  if (!ok) throw new InvalidSignatureError('signature does not verify')
  if (opts.replay != null) opts.replay.check(payload, now)
  return { payload, signer, digest: sha256(env.payload) }
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

/** libp2p's raw Ed25519 private key is seed (32 bytes) then public key (32 bytes). */
function ed25519KeyObject (raw: Uint8Array): KeyObject | undefined {
  if (raw.byteLength !== 64 && raw.byteLength !== 32) return undefined
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, raw.subarray(0, 32)]), format: 'der', type: 'pkcs8' })
}

// Building a KeyObject costs more than the verification itself: keep the ones of recent signers.
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const keyCache = new Map<string, KeyObject>()
const KEY_CACHE_MAX = 4096

function verifyEd25519 (raw: Uint8Array, data: Uint8Array, sig: Uint8Array): boolean {
  if (sig.byteLength !== 64 || raw.byteLength !== 32) return false
  const id = Buffer.from(raw).toString('base64')
  let key = keyCache.get(id)
  if (key == null) {
    key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' })
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value as string)
    keyCache.set(id, key)
  }
  try {
    return cryptoVerify(null, data, key, sig)
  } catch {
    return false
  }
}

/**
 * Remembers nonces until their message expires, so a replayed message is refused while it would
 * still be valid (after expiry the expiry check refuses it). Bounded: past `maxEntries` the
 * oldest-expiring entries are dropped, which only shortens protection for messages with very long
 * expiries.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>()
  constructor (private readonly maxEntries = 200_000) {}

  check (payload: SignedPayload, now: number): void {
    const key = `${payload.domain}|${Buffer.from(payload.signer).toString('base64')}|${Buffer.from(payload.nonce).toString('base64')}`
    const prior = this.seen.get(key)
    if (prior != null && prior > now) throw new ReplayedMessageError('nonce already used')
    this.seen.set(key, Number(payload.expiresAtMs))
    if (this.seen.size > this.maxEntries) this.prune(now)
  }

  private prune (now: number): void {
    for (const [k, exp] of this.seen) if (exp <= now) this.seen.delete(k)
    if (this.seen.size > this.maxEntries) {
      const drop = this.seen.size - Math.floor(this.maxEntries * 0.9)
      let i = 0
      for (const k of this.seen.keys()) { if (i++ >= drop) break; this.seen.delete(k) }
    }
  }
}

export function sha256 (data: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash('sha256').update(data).digest())
}

/** protons types want ArrayBuffer-backed bytes; copy only when the input is not. */
export function ownBytes (b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b.buffer instanceof ArrayBuffer ? b as Uint8Array<ArrayBuffer> : new Uint8Array(b)
}

export function concat (a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength)
  out.set(a, 0)
  out.set(b, a.byteLength)
  return out
}

export function toHex (b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
}

export function bytesEqual (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

export { SignedEnvelope }
