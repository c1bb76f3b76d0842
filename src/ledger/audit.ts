// Offline audit: checks a signed checkpoint and proofs against a verifier key, with nothing but the
// texts themselves. This is what a contributor runs on a laptop, away from any node, to check what a
// coordinator (or their own daemon) printed: `ledger checkpoint`, `ledger proof`, `ledger consistency`.
import { openNote, parseCheckpoint, parseVerifierKey, fromBase64 } from './merkle/checkpoint.js'
import { leafHash, verifyInclusion, verifyConsistency, HASH_SIZE } from './merkle/hash.js'
import { InvalidArgumentError, ProofMismatchError } from '../errors/index.js'


/** `ledger proof --json` output */
export interface InclusionProofJson { index: number, treeSize: number, leaf: string, hashes: string[] }
/** `ledger consistency --json` output */
export interface ConsistencyProofJson { from: number, to: number, fromRoot: string, hashes: string[] }

export interface AuditReport {
  origin: string
  size: number
  root: string
  signers: string[]
  proofs: Array<{ kind: 'inclusion', index: number, treeSize: number } | { kind: 'consistency', from: number, to: number }>
}

function decodeB64 (s: unknown, what: string, hashSized: boolean): Uint8Array {
  const b = typeof s === 'string' ? fromBase64(s) : undefined
  if (b == null) throw new InvalidArgumentError(`${what} is not canonical base64`)
  if (hashSized && b.length !== HASH_SIZE) throw new InvalidArgumentError(`${what} is not a ${HASH_SIZE}-byte hash`)
  return b
}

function wholeNumber (v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new InvalidArgumentError(`${what} must be a whole number`)
  return v
}

/**
 * Opens `note` with `verifierKey` (signed-note form), parses it as a checkpoint and checks each proof
 * against it. A proof for a different tree size than the checkpoint's cannot be checked against its
 * root and is refused. Throws InvalidNoteSignatureError / UnknownNoteKeyError / MalformedNoteError /
 * MalformedCheckpointError for the note, ProofMismatchError for a proof that does not hold.
 */
export function auditCheckpoint (note: string, verifierKey: string, proofs: unknown[] = []): AuditReport {
  const verifier = parseVerifierKey(verifierKey)
  const opened = openNote(note, [verifier])
  const cp = parseCheckpoint(opened.text)
  const report: AuditReport = {
    origin: cp.origin,
    size: cp.size,
    root: Buffer.from(cp.rootHash).toString('base64'),
    signers: opened.verifiedBy.map(s => s.name),
    proofs: []
  }
  proofs.forEach((p, i) => {
    const what = `proof ${i + 1}`
    if (p == null || typeof p !== 'object') throw new InvalidArgumentError(`${what} is not a JSON object`)
    const o = p as Record<string, unknown>
    if (!Array.isArray(o.hashes)) throw new InvalidArgumentError(`${what}: "hashes" must be an array`)
    const hashes = o.hashes.map((h, j) => decodeB64(h, `${what}: hashes[${j}]`, true))
    if ('leaf' in o) {
      const index = wholeNumber(o.index, `${what}: "index"`)
      const treeSize = wholeNumber(o.treeSize, `${what}: "treeSize"`)
      if (treeSize !== cp.size) throw new ProofMismatchError(`${what} is for tree size ${treeSize}, the checkpoint is for ${cp.size}: ask for --tree-size ${cp.size}`)
      const leaf = decodeB64(o.leaf, `${what}: "leaf"`, false)
      if (index >= treeSize || !verifyInclusion(leafHash(leaf), index, treeSize, hashes, cp.rootHash)) {
        throw new ProofMismatchError(`${what}: entry ${index} is not included in the checkpointed tree of ${cp.size} entries`)
      }
      report.proofs.push({ kind: 'inclusion', index, treeSize })
    } else if ('fromRoot' in o) {
      const from = wholeNumber(o.from, `${what}: "from"`)
      const to = wholeNumber(o.to, `${what}: "to"`)
      if (to !== cp.size) throw new ProofMismatchError(`${what} ends at tree size ${to}, the checkpoint is for ${cp.size}: ask for --to ${cp.size}`)
      const fromRoot = decodeB64(o.fromRoot, `${what}: "fromRoot"`, true)
      if (from > to || !verifyConsistency(from, to, hashes, fromRoot, cp.rootHash)) {
        throw new ProofMismatchError(`${what}: the tree of ${from} entries (root ${String(o.fromRoot)}) is not a prefix of the checkpointed tree of ${cp.size}`)
      }
      report.proofs.push({ kind: 'consistency', from, to })
    } else {
      throw new InvalidArgumentError(`${what} is neither an inclusion proof (index, treeSize, leaf, hashes) nor a consistency proof (from, to, fromRoot, hashes)`)
    }
  })
  return report
}
