// What a coordinator is built from: its options (Init) and the libp2p components it uses. Kept apart
// from index.ts so that every part of the coordinator can name them without importing the service.
import type { JobServiceComponents } from '../components.js'
import type { Signer } from '../../wire/signed.js'
import type { JobStore } from '../job-store.js'
import type { TypedEmitter } from '../../util/typed-emitter.js'
import type { JobEvents } from '../events.js'
import type { CoordinatorLedger } from '../../ledger/coordinator-ledger.js'
import type { GroupedWrites } from '../../identity/store-registry.js'
import type { AdmissionCheck } from '../../admission/admission-state.js'
import type { DispatchGate } from '../dispatch-gate.js'
import type { CoordinatorAuthority } from '../authority.js'

export interface CoordinatorInit {
  meshId: string
  signer: Signer
  store: JobStore
  events: TypedEmitter<JobEvents>
  /** how long an assignment's lease lasts without renewal */
  leaseMs?: number
  /** bidders an announcement aims for */
  targetBidders?: number
  /** delay before a queued, unclaimed job is re-announced (doubles each round) */
  reannounceMs?: number
  /** base backoff before a failed attempt is retried (doubles per attempt) */
  retryBackoffMs?: number
  /** prices, holds and settles credits; absent: jobs run free */
  ledger?: CoordinatorLedger
  /** who may be given work, who is blacklisted, admin policy; absent: anyone */
  admission?: AdmissionCheck
  /** operator state consulted on every claim (src/ops); absent: every worker may claim */
  dispatch?: DispatchGate
  /** the mesh's coordinator grants (src/admission/authority.ts); absent: no grant is needed */
  authority?: CoordinatorAuthority
  /** a job's result and its settlement are written as one group, so a backup never splits them */
  writes?: GroupedWrites
}

export type CoordinatorComponents = JobServiceComponents
