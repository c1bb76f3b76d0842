// The short version of the fault drills, run by `npm test`; `npm run drills` runs the full set.
import { registerDrills, profileFromEnv } from './drills/drills.js'

registerDrills(profileFromEnv('short'))
