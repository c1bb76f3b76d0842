// What a worker is built from: its options (Init) and the libp2p components it uses. Kept apart
// from index.ts so that every part of the worker can name them without importing the service.
import type { Libp2pEvents, TypedEventTarget } from '@libp2p/interface'
import type { JobServiceComponents } from '../components.js'
import type { Signer } from '../../wire/signed.js'
import type { ExecutorRegistry } from '../../executors/registry.js'
import type { TypedEmitter } from '../../util/typed-emitter.js'
import type { JobEvents } from '../events.js'
import type { CoordinatorAuthority } from '../authority.js'

export interface WorkerInit {
  meshId: string
  signer: Signer
  executors: ExecutorRegistry
  events: TypedEmitter<JobEvents>
  /** jobs run at once */
  slots?: number
  /** executors offered; default: every registered one */
  offer?: string[]
  maxOutputBytes?: number
  memoryLimitMb?: number
  /** how often coordinators are looked up in the DHT */
  discoveryIntervalMs?: number
  /** blacklisted publishers: their announcements are rejected */
  admission?: { isDenied: (peer: string) => boolean }
  /**
   * the mesh's coordinator grants: claims, assignments, lease renewals and results go to granted
   * coordinators only, however we learned of them; absent: any coordinator (embedding tests only)
   */
  authority?: CoordinatorAuthority
}

export interface WorkerComponents extends JobServiceComponents {
  events: TypedEventTarget<Libp2pEvents>
}
