// Messages between the bench (parent, hosting the coordinator) and worker host processes.

export interface HostConfig {
  meshId: string
  bootstrap: string[]
  /** the mesh's admin keys: a worker gives work only to coordinators granted under them */
  adminKeys?: string[]
  /** registration token (auto-approve) the workers enroll with, as contributors do */
  token?: string
  workers: number
  slots: number
  /** id of this host, for logs */
  index: number
}

export type ToHost =
  | { type: 'clock', id: number }
  | { type: 'record', on: boolean }
  | { type: 'usage' }
  /** the host's (first) worker catches up with `log` from nothing and reports how long it took */
  | { type: 'reconcile', log: string }
  | { type: 'stop' }

export type FromHost =
  | { type: 'ready', peers: string[], pid: number }
  | { type: 'clock', id: number, t: number }
  /** execution starts: [job id, host clock ms] */
  | { type: 'starts', starts: Array<[string, number]> }
  | { type: 'usage', rssBytes: number, heapUsedBytes: number, cpuMicros: number, executed: number }
  | { type: 'reconciled', ms: number, verified: boolean, size: number }
  | { type: 'error', message: string }
  | { type: 'stopped' }
