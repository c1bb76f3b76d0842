// What the coordinator asks before it hands out work. The coordinator owns job state; operator
// state (pause, drain, isolate, quarantine, staged ramp) lives in src/ops and answers through this
// seam, so the claim path stays one place and the rules stay in one other place.
import type { JobRecord } from './types.js'

/** What a claim says about the worker, as the coordinator received it. */
export interface ClaimInfo {
  /** the job the worker would prefer (from an announcement), or '' */
  jobId: string
  executors: string[]
  freeSlots: number
  memoryMb: number
}

export interface DispatchGate {
  /** May this worker be given any job now? A reason when not (shown by `jobs explain`). */
  admit (worker: string, claim: ClaimInfo): string | undefined
  /** The same answer as `admit`, without recording a claim: for a claim that waited and looks again */
  refuses (worker: string): boolean
  /** May this worker be given this particular job? (probe jobs are pinned to one worker) */
  allows (worker: string, rec: JobRecord): boolean
  /**
   * An assignment to this worker is about to be signed: count it against any rate limit now, before
   * the signing await lets another claim look (the returned `undo` gives it back when the job went
   * elsewhere). Counting on `job:assigned` let every claim that woke together through.
   */
  reserve (worker: string): () => void
}

/**
 * No work while a restored ledger holds its appends: a result could not be settled (and a job the
 * original finished after the backup would run again), so the claim waits, with the ledger's reason.
 */
export function heldLedgerGate (gate: DispatchGate, ledger?: { readonly appendsHeld: string | undefined }): DispatchGate {
  if (ledger == null) return gate
  return {
    admit: (w, c) => ledger.appendsHeld != null ? `ledger appends held: ${ledger.appendsHeld}` : gate.admit(w, c),
    refuses: w => ledger.appendsHeld != null || gate.refuses(w),
    allows: (w, r) => gate.allows(w, r),
    reserve: w => gate.reserve(w)
  }
}
