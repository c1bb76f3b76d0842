// `npm run drills`: every fault drill at full length (soak length: DRILL_SOAK_MINUTES, default 3).
import { registerDrills, profileFromEnv } from './drills.js'

registerDrills(profileFromEnv('full'))
