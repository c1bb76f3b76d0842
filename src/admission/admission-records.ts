// The records admission stores: enrolled nodes, blacklist entries, policy values, audit records.

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

/** a policy key's value, with the issue time and id of the action that set it (last-writer-wins) */
export interface PolicyEntry { value: unknown, issuedAt: number, id?: string }

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
