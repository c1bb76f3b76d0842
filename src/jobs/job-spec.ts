// Job specs: what an application user asks the mesh to run, validated and signed by the user.
import type { PeerId } from '@libp2p/interface'
import { JobSpec } from '../wire/pb/jobs.js'
import type { SignedEnvelope } from '../wire/pb/envelope.js'
import { Domains } from '../wire/domains.js'
import { ownBytes, toHex, verifyEnvelope, type Signer } from '../wire/signed.js'
import { InvalidJobSpecError, MalformedMessageError } from '../errors/index.js'

export const JOB_LIMITS = {
  maxInputBytes: 1024 * 1024,
  maxModuleBytes: 4 * 1024 * 1024,
  maxArgs: 64,
  maxArgLength: 4096,
  maxLabelLength: 200,
  maxTimeoutMs: 3_600_000,
  maxAttempts: 20,
  /** a signed spec stays valid this long: retries must be able to re-verify it */
  specTtlMs: 7 * 24 * 3600_000 - 60_000
} as const

export interface JobSpecInput {
  executor: string
  input?: Uint8Array | string
  args?: string[]
  module?: Uint8Array
  timeoutMs?: number
  maxAttempts?: number
  offeredPrice?: bigint | number
  delayMs?: number
  label?: string
  cpuMillis?: number
  memoryMb?: number
  /** peer id of the coordinator to address; empty = any */
  coordinator?: string
}

export function buildJobSpec (i: JobSpecInput): JobSpec {
  const spec: JobSpec = {
    executor: i.executor,
    input: typeof i.input === 'string' ? new TextEncoder().encode(i.input) : ownBytes(i.input ?? new Uint8Array(0)),
    args: i.args ?? [],
    module: ownBytes(i.module ?? new Uint8Array(0)),
    resources: { cpuMillis: i.cpuMillis ?? 1000, memoryMb: i.memoryMb ?? 64 },
    timeoutMs: i.timeoutMs ?? 60_000,
    maxAttempts: i.maxAttempts ?? 3,
    offeredPrice: BigInt(i.offeredPrice ?? 0),
    delayMs: i.delayMs ?? 0,
    label: i.label ?? '',
    coordinator: i.coordinator ?? ''
  }
  validateJobSpec(spec)
  return spec
}

export function validateJobSpec (s: JobSpec): void {
  const bad = (field: string, why: string): never => { throw new InvalidJobSpecError(`job spec field "${field}" ${why}`) }
  if (!/^[a-z][a-z0-9_-]{0,31}$/.test(s.executor)) bad('executor', 'must be a lowercase name like noop, wasm or process')
  if (s.input.byteLength > JOB_LIMITS.maxInputBytes) bad('input', `must be at most ${JOB_LIMITS.maxInputBytes} bytes`)
  if (s.module.byteLength > JOB_LIMITS.maxModuleBytes) bad('module', `must be at most ${JOB_LIMITS.maxModuleBytes} bytes`)
  if (s.executor === 'wasm' && s.module.byteLength === 0) bad('module', 'is required for the wasm executor')
  if (s.executor === 'process' && s.args.length === 0) bad('args', 'must name the command for the process executor')
  if (s.args.length > JOB_LIMITS.maxArgs) bad('args', `must have at most ${JOB_LIMITS.maxArgs} entries`)
  if (s.args.some(a => a.length > JOB_LIMITS.maxArgLength)) bad('args', `entries must be at most ${JOB_LIMITS.maxArgLength} characters`)
  if (!Number.isInteger(s.timeoutMs) || s.timeoutMs < 1 || s.timeoutMs > JOB_LIMITS.maxTimeoutMs) bad('timeoutMs', `must be 1..${JOB_LIMITS.maxTimeoutMs}`)
  if (!Number.isInteger(s.maxAttempts) || s.maxAttempts < 1 || s.maxAttempts > JOB_LIMITS.maxAttempts) bad('maxAttempts', `must be 1..${JOB_LIMITS.maxAttempts}`)
  if (s.offeredPrice < 0n || s.offeredPrice > 2n ** 63n - 1n) bad('offeredPrice', 'must be a non-negative 64-bit integer')
  if (s.delayMs < 0 || s.delayMs > JOB_LIMITS.maxTimeoutMs) bad('delayMs', `must be 0..${JOB_LIMITS.maxTimeoutMs}`)
  if (s.label.length > JOB_LIMITS.maxLabelLength) bad('label', `must be at most ${JOB_LIMITS.maxLabelLength} characters`)
  if (s.resources != null && (s.resources.memoryMb > 65536 || s.resources.cpuMillis > 1_000_000)) bad('resources', 'are out of range')
}

export async function signJobSpec (signer: Signer, spec: JobSpec): Promise<SignedEnvelope> {
  validateJobSpec(spec)
  return await signer.sign(Domains.jobSpec, JobSpec.encode(spec), JOB_LIMITS.specTtlMs)
}

export interface VerifiedJobSpec {
  id: string
  spec: JobSpec
  owner: PeerId
}

/** Checks the owner's signature, the mesh and the spec's limits; returns the job id. */
export async function verifyJobSpec (env: SignedEnvelope, meshId: string, opts: { allowExpired?: boolean } = {}): Promise<VerifiedJobSpec> {
  const v = await verifyEnvelope(env, { domain: Domains.jobSpec, meshId, allowExpired: opts.allowExpired })
  let spec: JobSpec
  try {
    spec = JobSpec.decode(v.payload.body, { limits: { args: JOB_LIMITS.maxArgs } })
  } catch (err) {
    throw new MalformedMessageError(`job spec does not decode: ${(err as Error).message}`)
  }
  validateJobSpec(spec)
  return { id: toHex(v.digest), spec, owner: v.signer }
}
