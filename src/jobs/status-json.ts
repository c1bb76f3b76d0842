// A job's status as plain JSON: what the control API answers, the CLI prints and the embedding API returns.
import type { JobStatus } from '../wire/pb/jobs.js'
import { toHex } from '../wire/signed.js'

export interface JobStatusJson {
  id: string
  state: string
  executor: string
  label: string
  owner: string
  coordinator: string
  attempt: number
  maxAttempts: number
  reason: string
  createdAt: string
  updatedAt: string
  timestamps: Array<{ state: string, at: string }>
  attempts: Array<{ attempt: number, worker: string, outcome: string, reason: string, assignedAt: string, startedAt?: string, endedAt?: string }>
  result?: {
    exitCode: number
    output: string
    outputBase64: string
    outputDigest: string
    error: string
    errorMessage: string
    stderr: string
    wallMs: number
    cpuMs: number
    maxRssKb: number
    signedResultBase64?: string
  }
}

const iso = (ms: bigint): string => new Date(Number(ms)).toISOString()

export function jobStatusToJson (s: JobStatus): JobStatusJson {
  const j: JobStatusJson = {
    id: s.jobId,
    state: s.state,
    executor: s.executor,
    label: s.label,
    owner: s.owner,
    coordinator: s.coordinator,
    attempt: s.attempt,
    maxAttempts: s.maxAttempts,
    reason: s.reason,
    createdAt: iso(s.createdAtMs),
    updatedAt: iso(s.updatedAtMs),
    timestamps: s.timestamps.map(t => ({ state: t.state, at: iso(t.atMs) })),
    attempts: s.attempts.map(a => ({
      attempt: a.attempt,
      worker: a.worker,
      outcome: a.outcome,
      reason: a.reason,
      assignedAt: iso(a.assignedAtMs),
      ...(a.startedAtMs > 0n ? { startedAt: iso(a.startedAtMs) } : {}),
      ...(a.endedAtMs > 0n ? { endedAt: iso(a.endedAtMs) } : {})
    }))
  }
  if (s.result != null) {
    const r = s.result
    j.result = {
      exitCode: r.exitCode,
      output: new TextDecoder().decode(r.output),
      outputBase64: Buffer.from(r.output).toString('base64'),
      outputDigest: toHex(r.outputDigest),
      error: r.error,
      errorMessage: r.errorMessage,
      stderr: new TextDecoder().decode(r.stderr),
      wallMs: Number(r.resources?.wallMs ?? 0n),
      cpuMs: Number(r.resources?.cpuMs ?? 0n),
      maxRssKb: Number(r.resources?.maxRssKb ?? 0n),
      ...(s.signedResult != null ? { signedResultBase64: Buffer.from(s.signedResult.payload).toString('base64') } : {})
    }
  }
  return j
}
