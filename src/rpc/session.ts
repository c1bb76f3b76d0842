// Session streams: many request/response exchanges on one long-lived stream per caller and peer,
// for the methods a peer calls often (a worker's claims, lease renewals and results). Both ends.
export { SessionRouter, sessionRouterOf } from './session-server.js'
export { SessionClient } from './session-client.js'
export type { SessionCallOptions } from './types.js'
