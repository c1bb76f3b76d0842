// The job model kept by a coordinator. Stored as JSON in LevelDB; exposed on the wire as JobStatus.
export type JobState = 'queued' | 'assigned' | 'running' | 'succeeded' | 'failed' | 'cancelled'
export const JOB_STATES: readonly JobState[] = ['queued', 'assigned', 'running', 'succeeded', 'failed', 'cancelled']
export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(['succeeded', 'failed', 'cancelled'])

export interface StoredEnvelope {
  /** base64 */
  payload: string
  /** base64 */
  signature: string
}

export interface AttemptInfo {
  attempt: number
  worker: string
  assignedAt: number
  startedAt?: number
  endedAt?: number
  outcome: 'running' | 'succeeded' | 'failed' | 'lease-expired' | 'cancelled'
  reason?: string
}

export interface LeaseInfo {
  worker: string
  attempt: number
  expiresAt: number
  /** hex SHA-256 of the assignment payload */
  assignmentDigest: string
  assignment: StoredEnvelope
}

export interface ResultInfo {
  envelope: StoredEnvelope
  /** hex SHA-256 of the assignment payload the result answers */
  assignmentDigest?: string
  /** the signed assignment the result answers (evidence for the settlement) */
  assignment?: StoredEnvelope
  /** hex SHA-256 of the result payload */
  digest: string
  exitCode: number
  /** hex */
  outputDigest: string
  error?: string
  worker: string
  attempt: number
}

export interface JobRecord {
  id: string
  seq: number
  state: JobState
  owner: string
  coordinator: string
  executor: string
  label: string
  spec: StoredEnvelope
  timeoutMs: number
  maxAttempts: number
  /** decimal string: credits are integers and may exceed 2^53 */
  offeredPrice: string
  /** what the owner pays, fixed at submission (decimal string) */
  price?: string
  cpuMillis: number
  memoryMb: number
  attempt: number
  lease?: LeaseInfo
  attempts: AttemptInfo[]
  timestamps: Array<{ state: JobState, at: number }>
  reason: string
  createdAt: number
  updatedAt: number
  /** earliest time the job may be assigned again (retry backoff) */
  notBefore: number
  result?: ResultInfo
  /** announcement round of the current attempt */
  round: number
  lastAnnouncedAt: number
}
