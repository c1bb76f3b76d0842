// Renders bench results as markdown (bench/results/latest.md and stdout).
import type { BenchResults } from './lib/results.js'

const f = (v: number | undefined, unit = ''): string => (v == null || Number.isNaN(v) ? '—' : `${v}${unit}`)

/** What the job figures measure, said next to them: a reader comparing them to a client's view needs it. */
const MEASURED_PATH = 'measured: the coordinator\'s submit call (spec verified, priced, queued) → a waiting claim, or announce → claim → signed assignment → the worker runs the job → signed result → verified, stored and settled in the ledger, durable; not measured: client-side spec signing (specs are signed before the run) and the client\'s submit RPC (submit is called in the coordinator\'s process)'

export function renderMarkdown (r: BenchResults): string {
  const out: string[] = []
  out.push(`# edgecoder-node bench ${r.quick ? '(quick) ' : ''}— ${r.startedAt}`, '')
  out.push(`Machine: ${r.machine.cpus} × ${r.machine.model}, ${r.machine.memGb} GB, ${r.machine.platform}, Node ${r.machine.node}, commit ${r.machine.commit}; load average ${r.machine.loadAvgStart.join(' ')} at start, ${r.machine.loadAvgEnd.join(' ')} at end; ${r.durationSec} s.`, '')
  out.push('| figure | value | baseline (same run) | ratio |', '|---|---|---|---|')
  const b = r.baseline
  out.push(`| dispatch p50 / p95 / p99 (coordinator's submit call → execution start at the worker, ${f(r.dispatch?.workers)} workers, one job at a time) | ${f(r.dispatch?.p50Ms)} / ${f(r.dispatch?.p95Ms)} / ${f(r.dispatch?.p99Ms)} ms | gossip 1 hop p50 / p99 ${f(b?.gossipP50Ms)} / ${f(b?.gossipP99Ms)} ms; rpc round trip ${f(b?.rawRpcSeqMedianMs)} ms | p50 ${f(r.ratios?.dispatchP50ToGossipP50)}× gossip p50, ${f(r.ratios?.dispatchP50ToRawRpcMedian)}× rpc; p99 ${f(r.ratios?.dispatchP99ToGossipP99)}× gossip p99 |`)
  out.push(`| settled noop jobs/s, ${f(r.throughput?.workers)} workers — ${MEASURED_PATH} | ${f(r.jobsPerSec)} | raw rpc ${f(b?.rawRpcPerSec)} round trips/s (fresh streams, ${f(b?.concurrency)} concurrent) | ${f(r.ratios?.jobsPerSecToRawRpcPerSec)} |`)
  out.push(`| coordinator CPU per job, ${f(r.throughput?.workers)} workers (the coordinator's own process: its libp2p stack, job store, ledger and their threads; not the feeder, the client or the workers) | ${f(r.throughput?.coordCpuMsPerJob)} ms | | |`)
  out.push(`| ledger settlements appended/s | ${f(r.ledger?.ledgerAppendsPerSec)} | | |`)
  out.push(`| replica catch-up of ${f(r.ledger?.catchupEntries)} entries (fresh worker in its own process) | ${f(r.ledger?.catchup100kMs)} ms | | |`)
  out.push(`| the same, worker in the coordinator's process (one thread for both) | ${f(r.ledger?.catchup100kInProcessMs)} ms | | |`)
  out.push(`| inclusion proofs generated / verified per s | ${f(r.ledger?.proofsGeneratedPerSec)} / ${f(r.ledger?.proofsVerifiedPerSec)} | | |`)
  out.push('')
  if (r.scale != null && r.scale.length > 0) {
    out.push('## Scale (sustained load; workers in separate processes)', '')
    out.push('| workers | processes | jobs/s | coordinator CPU/job | messages/job (all) | messages/job caused by jobs | idle mesh msgs/s | streams/job | session frames/job | ledger streams/job | gossip msgs/job | gossip control/job | RSS per worker | host RSS (median) |', '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|')
    for (const s of r.scale) {
      const rss = [...s.hostRssMb].sort((a, c) => a - c)[Math.floor(s.hostRssMb.length / 2)]
      out.push(`| ${s.workers} | ${s.processes} | ${s.jobsPerSec} | ${s.coordCpuMsPerJob} ms | ${s.messagesPerJob} | ${s.jobMessagesPerJob} | ${s.idleMessagesPerSec} | ${s.perJob.streams} | ${s.perJob.sessionFrames} | ${s.perJob.ledgerStreams} | ${s.perJob.gossipMessages} | ${s.perJob.gossipControl} | ${s.rssPerWorkerMb} MB | ${f(rss)} MB |`)
    }
    if (r.scale.some(s => s.fixedRate != null)) {
      out.push('', `Messages per job at one fixed rate (${r.scale.find(s => s.fixedRate != null)?.fixedRate?.ratePerSec ?? '—'} jobs/s, the same load for every step):`, '')
      out.push('| workers | jobs | messages/job (all) | messages/job caused by jobs | streams/job | session frames/job | ledger streams/job | gossip msgs/job | gossip control/job | coordinator CPU/job |', '|---|---|---|---|---|---|---|---|---|---|')
      for (const s of r.scale) {
        const x = s.fixedRate
        if (x == null) continue
        out.push(`| ${s.workers} | ${x.jobs} | ${x.messagesPerJob} | ${x.jobMessagesPerJob} | ${x.perJob.streams} | ${x.perJob.sessionFrames} | ${x.perJob.ledgerStreams} | ${x.perJob.gossipMessages} | ${x.perJob.gossipControl} | ${x.coordCpuMsPerJob} ms |`)
      }
    }
    for (const s of r.scale) {
      const failed = Object.entries(s.failedJobs ?? {})
      if (failed.length > 0) out.push('', `Jobs that failed with ${s.workers} workers (counted out of jobs/s; each has its reason): ${failed.map(([k, n]) => `${n} × ${k}`).join('; ')}`)
    }
    const single = r.scale.find(s => s.singleWorkerProcessRssMb != null)?.singleWorkerProcessRssMb
    if (single != null) out.push('', `A process hosting a single worker (connected, idle): ${single} MB RSS.`)
    out.push('')
  }
  if (r.errors != null && r.errors.length > 0) {
    out.push('## Sections that failed', '')
    for (const e of r.errors) out.push(`- ${e.section}: ${e.message}`)
    out.push('')
  }
  if (r.targets != null) {
    out.push('## Targets', '', '| target | goal | measured | met |', '|---|---|---|---|')
    for (const t of r.targets) out.push(`| ${t.name} | ${t.target} | ${t.measured} | ${t.met == null ? (t.target === 'reported' ? 'n/a' : '—') : t.met ? 'yes' : 'no'} |`)
    out.push('')
  }
  return out.join('\n') + '\n'
}
