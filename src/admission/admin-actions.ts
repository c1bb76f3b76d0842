// Building admin and authority actions. The CLI signs them with the admin's key (by default the data
// dir's own identity, an admin key on the node that created the mesh) and hands the signed envelope
// to the daemon, which checks it exactly like one arriving from another coordinator.
import type { PrivateKey } from '@libp2p/interface'
import { createSigner } from '../wire/signed.js'
import { Domains } from '../wire/domains.js'
import { SignedEnvelope } from '../wire/pb/envelope.js'
import { AdminAction, AuthorityAction } from '../wire/pb/admission.js'
import { validateAction } from './admission-state.js'
import { validateAuthorityAction, type AuthorityKind } from './authority.js'
import { InvalidArgumentError } from '../errors/index.js'

/** admin actions stay valid for a day: long enough to reach partitioned coordinators by gossip */
export const ADMIN_ACTION_TTL_MS = 24 * 3600_000

export interface AdminActionInput {
  kind: 'APPROVE' | 'REJECT' | 'BLACKLIST_ADD' | 'BLACKLIST_REMOVE' | 'POLICY_SET' | 'OPERATOR'
  target: string
  reason?: string
  untilMs?: number
  value?: string
}

export async function signAdminAction (key: PrivateKey, meshId: string, input: AdminActionInput): Promise<SignedEnvelope> {
  const kind = AdminAction.Kind[input.kind]
  const action: AdminAction = { kind, target: input.target, reason: input.reason ?? '', untilMs: BigInt(input.untilMs ?? 0), value: input.value ?? '' }
  validateAction(action)
  return await createSigner(key, meshId).sign(Domains.adminAction, AdminAction.encode(action), ADMIN_ACTION_TTL_MS)
}

export interface AuthorityActionInput {
  kind: AuthorityKind
  target: string
  label?: string
  /** coordinator-grant: unix ms the grant lapses at (0 or absent: until removed) */
  expiresAtMs?: number
  reason?: string
}

/** A coordinator grant or an admin key change, signed with an admin key (admission.proto AuthorityAction). */
export async function signAuthorityAction (key: PrivateKey, meshId: string, input: AuthorityActionInput): Promise<SignedEnvelope> {
  const action: AuthorityAction = { kind: input.kind, target: input.target, label: input.label ?? '', expiresAtMs: BigInt(input.expiresAtMs ?? 0), reason: input.reason ?? '' }
  validateAuthorityAction(action)
  return await createSigner(key, meshId).sign(Domains.authority, AuthorityAction.encode(action), ADMIN_ACTION_TTL_MS)
}

export function envelopeToBase64 (env: SignedEnvelope): string {
  return Buffer.from(SignedEnvelope.encode(env)).toString('base64')
}

export function envelopeFromBase64 (s: unknown): SignedEnvelope {
  if (typeof s !== 'string' || s.length > 64 * 1024) throw new InvalidArgumentError('body must be {"envelope": "<base64 SignedEnvelope>"}')
  try {
    return SignedEnvelope.decode(Buffer.from(s, 'base64'))
  } catch (err) {
    throw new InvalidArgumentError(`envelope does not decode: ${(err as Error).message}`)
  }
}
