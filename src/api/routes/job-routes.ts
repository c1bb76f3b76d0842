// Jobs: submit, list, status, result, cancel (/v1/jobs...).
import { JOB_STATES, type JobState } from '../../jobs/types.js'
import { InvalidArgumentError } from '../../errors/index.js'
import { NotFoundError } from '../../errors/index.js'
import { jobStatusToJson } from '../../jobs/status-json.js'
import { json, type Route } from '../route.js'

/** The body of POST /v1/jobs (what `jobs submit` sends). */
export interface SubmitBody {
  executor: string
  input?: string
  inputBase64?: string
  moduleBase64?: string
  args?: string[]
  timeoutMs?: number
  maxAttempts?: number
  offeredPrice?: string | number
  delayMs?: number
  label?: string
  coordinator?: string
}

function jobId (id: string | undefined): string {
  if (id == null || !/^[0-9a-f]{64}$/.test(id)) throw new InvalidArgumentError('a job id is 64 lowercase hex characters')
  return id
}

function isJobState (s: string): s is JobState {
  return (JOB_STATES as readonly string[]).includes(s)
}

export const jobRoutes: readonly Route[] = [
  {
    method: 'POST',
    path: '/v1/jobs',
    handle: async c => {
      // the shape the CLI sends; the job spec is validated where it is built
      const body = await c.json() as SubmitBody
      const id = await c.node.jobs.submit({
        executor: String(body.executor),
        input: body.inputBase64 != null ? new Uint8Array(Buffer.from(body.inputBase64, 'base64')) : (body.input ?? ''),
        module: body.moduleBase64 != null ? new Uint8Array(Buffer.from(body.moduleBase64, 'base64')) : undefined,
        args: body.args,
        timeoutMs: body.timeoutMs,
        maxAttempts: body.maxAttempts,
        offeredPrice: body.offeredPrice != null ? BigInt(body.offeredPrice) : undefined,
        delayMs: body.delayMs,
        label: body.label,
        coordinator: body.coordinator
      }, { signal: c.signal })
      return json({ id }, 201)
    }
  },
  {
    method: 'GET',
    path: '/v1/jobs',
    handle: async ({ node, query, signal }) => {
      const state = query.get('state') ?? undefined
      if (state != null && !isJobState(state)) throw new InvalidArgumentError(`--state must be one of ${JOB_STATES.join(', ')}`)
      const limit = Number(query.get('limit') ?? 1000)
      const jobs = await node.jobs.list({ state, limit, signal })
      return json({ jobs: jobs.map(j => jobStatusToJson(j)) })
    }
  },
  { method: 'GET', path: '/v1/jobs/:id', handle: async ({ node, params, signal }) => json(jobStatusToJson(await node.jobs.status(jobId(params.id), { signal }))) },
  { method: 'GET', path: '/v1/jobs/:id/result', handle: async ({ node, params, signal }) => json(jobStatusToJson(await node.jobs.result(jobId(params.id), { signal }))) },
  { method: 'POST', path: '/v1/jobs/:id/cancel', handle: async ({ node, params, signal }) => json(jobStatusToJson(await node.jobs.cancel(jobId(params.id), { signal }))) },
  {
    // anything else under /v1/jobs: a malformed id is named before the route is found missing
    method: '*',
    path: '/v1/jobs/*',
    handle: async ({ method, path, parts }) => {
      jobId(parts[2])
      throw new NotFoundError(`no route ${method} ${path}`)
    }
  }
]
