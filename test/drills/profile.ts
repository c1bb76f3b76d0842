// How long the fault drills run: the short profile `npm test` runs, and the full one of
// `npm run drills` (soak length from DRILL_SOAK_MINUTES).

export interface DrillProfile {
  name: 'short' | 'full'
  /** quick jobs submitted around each fault */
  jobs: number
  /** how long the soak submits work */
  soakMs: number
  /** workers in the mesh */
  workers: number
  /** the drills that need more time than `npm test` should take: loss/delay, soak, full disk */
  long: boolean
}

export function profileFromEnv (name: 'short' | 'full'): DrillProfile {
  if (name === 'short') return { name, jobs: 3, soakMs: 0, workers: 2, long: false }
  const minutes = Number(process.env.DRILL_SOAK_MINUTES ?? '3')
  if (!Number.isFinite(minutes) || minutes <= 0) throw new Error('DRILL_SOAK_MINUTES must be a positive number')
  return { name, jobs: 12, soakMs: Math.round(minutes * 60_000), workers: 3, long: true }
}
