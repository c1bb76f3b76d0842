// A job record as its owner sees it on the wire (JobStatus), optionally with its signed result.
import { SignedPayload } from '../wire/pb/envelope.js'
import { JobResult, type JobStatus } from '../wire/pb/jobs.js'
import { loadEnvelope } from './envelopes.js'
import type { JobRecord } from './types.js'

export function toJobStatus (rec: JobRecord, withResult: boolean): JobStatus {
  const status: JobStatus = {
    jobId: rec.id,
    state: rec.state,
    executor: rec.executor,
    owner: rec.owner,
    coordinator: rec.coordinator,
    attempt: rec.attempt,
    maxAttempts: rec.maxAttempts,
    reason: rec.reason,
    createdAtMs: BigInt(rec.createdAt),
    updatedAtMs: BigInt(rec.updatedAt),
    timestamps: rec.timestamps.map(t => ({ state: t.state, atMs: BigInt(t.at) })),
    attempts: rec.attempts.map(a => ({
      attempt: a.attempt,
      worker: a.worker,
      assignedAtMs: BigInt(a.assignedAt),
      startedAtMs: BigInt(a.startedAt ?? 0),
      endedAtMs: BigInt(a.endedAt ?? 0),
      outcome: a.outcome,
      reason: a.reason ?? ''
    })),
    label: rec.label
  }
  if (withResult && rec.result != null) {
    const env = loadEnvelope(rec.result.envelope)
    status.signedResult = env
    // the envelope was verified when accepted; decode its body for the caller's convenience
    status.result = JobResult.decode(SignedPayload.decode(env.payload).body)
  }
  return status
}
