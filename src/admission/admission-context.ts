// What the admission service's parts share: init, components, signed-call client, replay guard, stop signal.
import type { MeshServiceComponents } from '../mesh/service-components.js'
import type { PeerId, Logger, Libp2pEvents, TypedEventTarget } from '@libp2p/interface'
import type { RpcClient } from '../rpc/client.js'
import type { ReplayGuard, Signer } from '../wire/signed.js'
import type { EnrollResponse } from '../wire/pb/admission.js'
import type { AdmissionState } from './admission-state.js'

export interface AdmissionServiceInit {
  meshId: string
  signer: Signer
  state: AdmissionState
  /** coordinators: serve enrollment */
  serveEnrollment: boolean
  /** workers and clients: the registration token to enroll with */
  token?: string
  /** what we enroll as: 'worker' (default) or 'client' */
  role?: 'worker' | 'client'
  label?: string
  executors?: () => string[]
  /** a coordinator admitted us (or changed our status) */
  onStatus?: (coordinator: PeerId, status: EnrollResponse.Status, reason: string) => void
  /** how often a pending worker asks again */
  pendingRetryMs?: number
}

export interface AdmissionServiceComponents extends MeshServiceComponents {
  events: TypedEventTarget<Libp2pEvents>
}

/** One per admission service, made by it and handed to each of its parts. */
export interface AdmissionContext {
  readonly components: AdmissionServiceComponents
  readonly init: AdmissionServiceInit
  readonly log: Logger
  /** signed calls: enroll, admin-sync */
  readonly calls: RpcClient
  /** enroll and admin-sync requests served here share it */
  readonly replay: ReplayGuard
  /** aborted when the service stops */
  readonly signal: AbortSignal
}
