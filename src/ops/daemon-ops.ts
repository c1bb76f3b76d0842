// What the daemon adds for operations: self-healing thresholds from the environment (so the
// systemd/launchd environment file can tune them), and JSON log lines for every operator and
// self-healing action, with peer and job ids as correlation fields.
import type { Logger } from './logger.js'
import type { TypedEmitter } from '../util/typed-emitter.js'
import type { OpsEvents, OpsOptions } from './node-ops/index.js'
import { InvalidConfigError } from '../errors/index.js'

const ENV: Record<string, keyof Omit<OpsOptions, 'registry'>> = {
  EDGECODER_QUARANTINE_AFTER: 'quarantineAfter',
  EDGECODER_QUARANTINE_MS: 'quarantineMs',
  EDGECODER_PROBE_TIMEOUT_MS: 'probeTimeoutMs',
  EDGECODER_STUCK_QUEUED_MS: 'stuckQueuedMs',
  EDGECODER_STUCK_GRACE_MS: 'stuckGraceMs'
}

export function opsOptionsFromEnv (env: NodeJS.ProcessEnv): OpsOptions {
  const out: OpsOptions = {}
  for (const [name, key] of Object.entries(ENV)) {
    const v = env[name]
    if (v == null || v === '') continue
    if (!/^\d{1,10}$/.test(v) || Number(v) < 1) throw new InvalidConfigError(`environment variable ${name} must be a positive whole number, got "${v}"`)
    out[key] = Number(v)
  }
  return out
}

/** `ops`: the node's operations (node.ops) */
export function logOpsEvents (ops: { readonly events: TypedEmitter<OpsEvents> }, log: Logger): void {
  const opsLog = log.child('ops')
  ops.events.on('ops:action', e => {
    const fields = { action: e.action, by: e.by, ...(e.peer != null ? { peerId: e.peer } : {}), ...(e.jobId != null ? { jobId: e.jobId } : {}), detail: e.detail }
    if (e.by === 'self-healing' || e.action === 'isolate') opsLog.warn(`ops ${e.action}`, fields)
    else opsLog.info(`ops ${e.action}`, fields)
  })
  ops.events.on('ops:error', e => {
    opsLog.warn(e.msg, { error: e.error, ...(e.peer != null ? { peerId: e.peer } : {}), ...(e.jobId != null ? { jobId: e.jobId } : {}) })
  })
}
