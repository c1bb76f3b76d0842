// The bench's results: what run.ts writes to bench/results/NAME.json and report.ts renders, and
// the headline figures, ratios and targets derived from the sections' results.
import type { BaselineResult } from '../baseline.js'
import type { DispatchResult, FixedRateResult, ThroughputResult } from '../jobs.js'
import type { LedgerResult } from '../ledger.js'
import { round } from './stats.js'

export interface ScaleStep extends ThroughputResult {
  processes: number
  subscribedWorkers: number
  /** RSS of a process hosting one worker, connected and idle (measured at the first step) */
  singleWorkerProcessRssMb?: number
  /** messages per job at the same fixed job rate for every step (the flatness target is judged on this) */
  fixedRate?: FixedRateResult
}

export interface BenchResults {
  version: 1
  startedAt: string
  durationSec: number
  quick: boolean
  machine: { cpus: number, model: string, memGb: number, node: string, platform: string, loadAvgStart: number[], loadAvgEnd: number[], commit: string }
  config: { slots: number, perHost: number, scaleWorkers: number[] }
  baseline?: BaselineResult
  dispatch?: DispatchResult
  throughput?: ThroughputResult
  ledger?: LedgerResult
  scale?: ScaleStep[]
  // headline fields
  dispatchP50Ms?: number
  dispatchP99Ms?: number
  jobsPerSec?: number
  rawRpcPerSec?: number
  gossipP99Ms?: number
  ledgerAppendsPerSec?: number
  catchup100kMs?: number
  /** per worker count: every message at the coordinator per settled job */
  messagesPerJob?: Record<string, number>
  /** per worker count: the same less the idle mesh's background for as long (what the jobs caused) */
  jobMessagesPerJob?: Record<string, number>
  /** per worker count: messages per job caused by jobs at one fixed job rate (the same for every step) */
  fixedRateMessagesPerJob?: Record<string, number>
  ratios?: { jobsPerSecToRawRpcPerSec?: number, dispatchP50ToGossipP50?: number, dispatchP99ToGossipP99?: number, dispatchP50ToRawRpcMedian?: number }
  targets?: Array<{ name: string, target: string, measured: string, met: boolean | null }>
  errors?: Array<{ section: string, message: string }>
}

/** Fills in the headline figures, the ratios to the same run's baseline, and the targets. */
export function headline (res: BenchResults): void {
  const b = res.baseline
  res.dispatchP50Ms = res.dispatch?.p50Ms
  res.dispatchP99Ms = res.dispatch?.p99Ms
  res.jobsPerSec = res.throughput?.jobsPerSec
  res.rawRpcPerSec = b?.rawRpcPerSec
  res.gossipP99Ms = b?.gossipP99Ms
  res.ledgerAppendsPerSec = res.ledger?.ledgerAppendsPerSec
  res.catchup100kMs = res.ledger?.catchup100kMs
  const perCount = res.scale ?? (res.throughput != null ? [res.throughput] : [])
  if (perCount.length > 0) {
    res.messagesPerJob = Object.fromEntries(perCount.map(s => [String(s.workers), s.messagesPerJob]))
    res.jobMessagesPerJob = Object.fromEntries(perCount.map(s => [String(s.workers), s.jobMessagesPerJob]))
  }
  if (res.scale?.some(s => s.fixedRate != null) === true) {
    res.fixedRateMessagesPerJob = Object.fromEntries(res.scale.filter(s => s.fixedRate != null).map(s => [String(s.workers), s.fixedRate?.jobMessagesPerJob ?? 0]))
  }
  const ratio = (x?: number, y?: number): number | undefined => (x != null && y != null && y > 0 ? round(x / y, 3) : undefined)
  res.ratios = {
    jobsPerSecToRawRpcPerSec: ratio(res.jobsPerSec, b?.rawRpcPerSec),
    dispatchP50ToGossipP50: ratio(res.dispatchP50Ms, b?.gossipP50Ms),
    dispatchP99ToGossipP99: ratio(res.dispatchP99Ms, b?.gossipP99Ms),
    dispatchP50ToRawRpcMedian: ratio(res.dispatchP50Ms, b?.rawRpcSeqMedianMs)
  }
  const t: NonNullable<BenchResults['targets']> = []
  const add = (name: string, target: string, v: number | undefined, ok: (v: number) => boolean, unit: string): void => {
    t.push({ name, target, measured: v == null ? 'not run' : `${v} ${unit}`, met: v == null ? null : ok(v) })
  }
  add('dispatch p99, 10 workers', '<= 25 ms', res.dispatchP99Ms, v => v <= 25, 'ms')
  add('settled noop jobs/s, one coordinator', '>= 1000 /s', res.jobsPerSec, v => v >= 1000, '/s')
  add('100k-entry replica catch-up', '<= 2000 ms', res.catchup100kMs, v => v <= 2000, 'ms')
  if (res.scale != null && res.scale.length > 1) {
    // flat: within 25% across the steps, at the same job rate for every step (at saturation the
    // steps differ in load as well as size). Judged on the messages the jobs caused; the idle
    // mesh's gossip heartbeat traffic is per peer and per second, not per job
    const fixed = res.scale.map(s => s.fixedRate?.jobMessagesPerJob)
    if (fixed.every(x => x != null)) {
      const m = fixed as number[]
      const growth = round(Math.max(...m) / Math.max(0.01, Math.min(...m)), 2)
      const all = res.scale.map(s => s.fixedRate?.messagesPerJob)
      t.push({ name: `messages per job caused by jobs at ${res.scale[0].fixedRate?.ratePerSec ?? '?'} jobs/s, ${res.scale.map(s => s.workers).join(' → ')} workers`, target: 'flat (max/min <= 1.25)', measured: `${m.join(' → ')} (max/min ${growth}); all traffic ${all.join(' → ')}`, met: growth <= 1.25 })
    }
    const sat = res.scale.map(s => s.jobMessagesPerJob)
    t.push({ name: `messages per job caused by jobs at saturation, ${res.scale.map(s => s.workers).join(' → ')} workers (load differs by step)`, target: 'reported', measured: `${sat.join(' → ')} at ${res.scale.map(s => s.jobsPerSec).join(' → ')} jobs/s`, met: null })
  }
  res.targets = t
}
