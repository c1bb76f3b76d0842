// What a replica holds against a coordinator: receipts to prove in its log, and evidence raised against it.

// 'inconsistent' (a coordinator's consistency proof that failed) is no longer raised (see
// LedgerReplica.process); it stays readable in evidence stored by earlier versions
export type EvidenceKind = 'fork' | 'root-mismatch' | 'inconsistent' | 'invariant' | 'missing-receipt' | 'bad-checkpoint'

export interface Evidence {
  id: string
  kind: EvidenceKind
  log: string
  detectedAt: string
  detail: string
  /** the signed notes involved, verbatim */
  notes: string[]
  receipt?: Receipt
}

export interface Receipt {
  jobId: string
  log: string
  /** hex SHA-256 of our signed result's payload */
  resultDigest: string
  assignmentDigest: string
  ackedAt: number
  proven?: { index: number, treeSize: number, hashes: string[], note: string }
  /** when its absence was stored as evidence (raised once, not at every checkpoint) */
  reportedAt?: number
}
