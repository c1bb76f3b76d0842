import { createHash } from 'node:crypto'

/**
 * Deterministic bidder selection (see JobAnnouncement.bidder_fraction_ppm): only a fraction of the
 * workers that hear an announcement claim from it, so claims per job stay flat as the mesh grows.
 */
export function isSelectedBidder (jobId: string, round: number, workerPeerId: string, fractionPpm: number): boolean {
  if (fractionPpm >= 1_000_000) return true
  const h = createHash('sha256').update(`${jobId}:${round}:${workerPeerId}`).digest()
  const v = h.readUInt32BE(0)
  return v < (fractionPpm / 1_000_000) * 2 ** 32
}

/** Fraction that makes `target` of `workers` bid, doubled every round. */
export function bidderFractionPpm (target: number, workers: number, round: number): number {
  if (workers <= target) return 1_000_000
  const f = (target / workers) * 2 ** round
  return Math.min(1_000_000, Math.ceil(f * 1_000_000))
}

/** The hash value `isSelectedBidder` compares against the fraction. */
function bidderValue (jobId: string, round: number, workerPeerId: string): number {
  return createHash('sha256').update(`${jobId}:${round}:${workerPeerId}`).digest().readUInt32BE(0)
}

/**
 * The smallest fraction that selects at least `k` of `candidates` (workers known to have a free slot)
 * for this job and round: the coordinator knows who is idle, so it need not leave it to chance that
 * none of them is picked (which costs a re-announcement round).
 */
export function fractionSelecting (jobId: string, round: number, candidates: Iterable<string>, k: number): number {
  const values = [...candidates].map(p => bidderValue(jobId, round, p)).sort((a, b) => a - b)
  if (k <= 0 || values.length === 0) return 0
  const kth = values[Math.min(k, values.length) - 1]
  // the first ppm step strictly above the k-th value
  return Math.min(1_000_000, Math.floor((kth / 2 ** 32) * 1_000_000) + 1)
}
