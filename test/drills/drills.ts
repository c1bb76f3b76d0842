// Fault drills on real daemons in separate OS processes (and, as root, separate network namespaces):
// kill -9 of a worker and of the coordinator, a partitioned worker, a lossy slow network, a full or
// read-only data dir, and a soak. Every drill ends with the invariants in invariants.ts.
// `registerDrills('short')` is the version `npm test` runs; `npm run drills` runs the full one.
// The drills themselves: daemon-drills.ts and datadir-drills.ts; their shared steps: support.ts.
import type { DrillProfile } from './profile.js'
import { registerDaemonDrills } from './daemon-drills.js'
import { registerDataDirDrills } from './datadir-drills.js'

export { profileFromEnv, type DrillProfile } from './profile.js'

export function registerDrills (profile: DrillProfile): void {
  describe(`fault drills (${profile.name})`, function () {
    this.timeout(Math.max(600_000, profile.soakMs * 3))

    registerDaemonDrills(profile)
    registerDataDirDrills(profile)
  })
}
