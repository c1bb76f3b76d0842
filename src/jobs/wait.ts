// Waiting for a job: follow its status until it ends, say each change (queued → assigned to whom →
// running → result), give up after a timeout saying where the job is, and return the output.
// Shared by the library (`jobs.wait()`) and the CLI (`jobs submit --wait`, over the control API).
import { WaitTimeoutError } from '../errors/index.js'
import type { JobStatus } from '../wire/pb/jobs.js'


const TERMINAL = new Set(['succeeded', 'failed', 'cancelled'])
export const isTerminal = (state: string): boolean => TERMINAL.has(state)

/** what the progress lines need of a status: the same fields in JobStatus and the API's JSON */
export interface StatusLike {
  state: string
  attempt: number
  maxAttempts: number
  reason: string
  attempts: Array<{ worker: string, outcome: string, reason: string }>
  /** every state the job entered, in order */
  timestamps: Array<{ state: string }>
}

/**
 * A line for each state the job entered since the first `seen` (its history, so a change a poll
 * missed is still told), with the index of the timestamp it tells.
 */
export function progressLines (seen: number, cur: StatusLike): Array<{ index: number, line: string }> {
  const out: Array<{ index: number, line: string }> = []
  let assigned = 0
  for (let i = 0; i < cur.timestamps.length; i++) {
    const state = cur.timestamps[i].state
    if (state === 'assigned') assigned++
    if (i < seen) continue
    const a = cur.attempts[assigned - 1]
    const last = i === cur.timestamps.length - 1
    const reason = last && cur.reason !== '' ? `: ${cur.reason}` : ''
    let line: string
    switch (state) {
      case 'queued':
        line = assigned === 0 && i === 0
          ? `queued, waiting for a worker${cur.maxAttempts > 1 ? ` (up to ${cur.maxAttempts} attempts)` : ''}`
          : `queued again after attempt ${assigned} (${a?.outcome ?? '?'}${a?.reason != null && a.reason !== '' ? `: ${a.reason}` : ''})`
        break
      case 'assigned': line = `assigned to ${a?.worker ?? '?'} (attempt ${assigned} of ${cur.maxAttempts})`; break
      case 'running': line = `running on ${a?.worker ?? '?'}`; break
      case 'succeeded': line = `succeeded on ${a?.worker ?? '?'}`; break
      default: line = `${state}${reason}`
    }
    out.push({ index: i, line })
  }
  return out
}

/** Where a job is, for the give-up message: "still queued (waiting for a worker)", "still running on X". */
export function whereItIs (s: StatusLike): string {
  const worker = s.attempts.at(-1)?.worker ?? '?'
  switch (s.state) {
    case 'queued': return `still queued (${s.attempt === 0 ? 'no worker has taken it yet' : `after ${s.attempt} attempt(s)${s.reason !== '' ? `; last: ${s.reason}` : ''}`})`
    case 'assigned': return `still assigned to ${worker}, not yet running (attempt ${s.attempt} of ${s.maxAttempts})`
    case 'running': return `still running on ${worker} (attempt ${s.attempt} of ${s.maxAttempts})`
  }
  return s.state
}

/** A finished job as `jobs.wait()` returns it: its status with the result, and the output bytes. */
export type JobOutcome = JobStatus & { output?: Uint8Array }

export interface WaitOptions {
  signal?: AbortSignal
  /** poll interval (default 100 ms) */
  pollMs?: number
  /** give up after this long (WaitTimeoutError, naming where the job is); the job goes on */
  timeoutMs?: number
  /** called with a line for each state the job entered (queued, assigned to whom, running, ...) */
  onProgress?: (status: JobStatus, line: string) => void
}

export interface WaitSource {
  status: (id: string, opts: { signal?: AbortSignal }) => Promise<JobStatus>
  result: (id: string, opts: { signal?: AbortSignal }) => Promise<JobStatus>
}

export async function waitForJob (src: WaitSource, jobId: string, opts: WaitOptions = {}): Promise<JobOutcome> {
  const deadline = opts.timeoutMs != null ? Date.now() + opts.timeoutMs : Infinity
  let seen = 0
  for (;;) {
    const s = await src.status(jobId, opts)
    for (const p of progressLines(seen, s)) opts.onProgress?.(s, p.line)
    seen = s.timestamps.length
    if (isTerminal(s.state)) {
      // the output travels only with a RESULT query; a terminal status never changes again
      const r = await src.result(jobId, opts)
      return { ...r, output: r.result?.output }
    }
    if (Date.now() >= deadline) throw new WaitTimeoutError(`gave up waiting for job ${jobId} after ${opts.timeoutMs ?? 0} ms: it is ${whereItIs(s)}`)
    await sleep(Math.min(opts.pollMs ?? 100, Math.max(1, deadline - Date.now())), opts.signal)
  }
}

async function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => { clearTimeout(t); reject(signal?.reason) }
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
