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
