// `edgecoder-node/audit`: check what a coordinator signed — a checkpoint, inclusion and consistency
// proofs — offline, with its verifier key. Nothing here loads libp2p or needs the Node version the
// runtime does, so an auditor runs it anywhere Node 20 runs.
export { auditCheckpoint } from './ledger/audit.js'
export type { AuditReport, InclusionProofJson, ConsistencyProofJson } from './ledger/audit.js'
export { openNote, parseCheckpoint, formatCheckpoint, noteVerifierKey, parseVerifierKey } from './ledger/merkle/checkpoint.js'
export type { Checkpoint, NoteVerifier, OpenedNote, NoteSignature } from './ledger/merkle/checkpoint.js'
export { leafHash, verifyInclusion, verifyConsistency } from './ledger/merkle/hash.js'
export { ProofMismatchError, MalformedNoteError, UnknownNoteKeyError, InvalidNoteSignatureError, MalformedVerifierKeyError, MalformedCheckpointError, InvalidArgumentError } from './errors/index.js'
