// `npm run bench`: the raw libp2p baseline, job dispatch and throughput, the ledger, and scale, all
// in one run, written to bench/results/latest.json and latest.md (the table is printed too).
// Figures are medians over rounds after a warmup; ratios are to the baseline measured in this run.
//   --quick            a short run (fewer rounds, smaller scale steps)
//   --only=a,b         sections: baseline, jobs (= dispatch + throughput), ledger, scale
//   --workers=10,50,100  scale steps;  --slots=N  worker slots;  --per-host=N  workers per process
// Exit status: 0 when every section ran, 1 when one failed (the results are still written, with
// the failures under "errors"), 2 for a usage error (nothing run or written).
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg, totalmem, release, platform } from 'node:os'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { join, dirname } from 'node:path'
import { measureBaseline } from './baseline.js'
import { measureLedger } from './ledger.js'
import { dispatchLatency, fixedRateMessages, sustainedThroughput } from './jobs.js'
import { BenchMesh, WorkerHost, BENCH_MESH } from './lib/mesh.js'
import { headline, type BenchResults, type ScaleStep } from './lib/results.js'
import { round, sleep, waitFor } from './lib/stats.js'
import { renderMarkdown } from './report.js'

/** the job rate at which every scale step's messages per job are compared: below the saturated
 * throughput of every step on a 2-core machine, so each carries the same load */
const FIXED_RATE_PER_SEC = 40

function arg (name: string): string | undefined {
  const a = process.argv.find(x => x === `--${name}` || x.startsWith(`--${name}=`))
  if (a == null) return undefined
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : 'true'
}

function commit (): string {
  try { return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim() } catch { return 'unknown' }
}

const OPTIONS = new Set(['quick', 'only', 'slots', 'per-host', 'workers', 'expect', 'out'])
const SECTIONS = new Set(['baseline', 'jobs', 'dispatch', 'throughput', 'ledger', 'scale'])

class BenchUsageError extends Error { override name = 'BenchUsageError' }

/** A positive whole number, or a usage error naming the option: a typo must not run (and record) an empty bench. */
function count (name: string, value: string): number {
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n <= 0) throw new BenchUsageError(`--${name}: "${value}" is not a positive whole number`)
  return n
}

/** Refuses unknown options and bad values before anything runs or is written. */
function parseOptions (): { quick: boolean, only: Set<string>, slots: number, perHost: number, scaleWorkers: number[], expect: number, out: string } {
  for (const a of process.argv.slice(2)) {
    const name = a.replace(/^--/, '').split('=')[0]
    if (!a.startsWith('--') || !OPTIONS.has(name)) throw new BenchUsageError(`unknown argument "${a}" (options: ${[...OPTIONS].map(o => `--${o}`).join(', ')})`)
  }
  const quick = arg('quick') != null
  const only = new Set((arg('only') ?? 'baseline,jobs,ledger,scale').split(','))
  for (const o of only) if (!SECTIONS.has(o)) throw new BenchUsageError(`--only: unknown section "${o}" (sections: ${[...SECTIONS].join(', ')})`)
  const out = arg('out') ?? 'latest'
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(out)) throw new BenchUsageError(`--out: "${out}" is not a plain file name`)
  return {
    quick,
    only,
    slots: count('slots', arg('slots') ?? '4'),
    perHost: count('per-host', arg('per-host') ?? '10'),
    scaleWorkers: (arg('workers') ?? (quick ? '10,30' : '10,50,100')).split(',').map(w => count('workers', w)),
    expect: count('expect', arg('expect') ?? '1500'),
    out
  }
}

/** Runs the sections asked for and writes the results; returns the sections that failed. */
async function main (): Promise<string[]> {
  const { quick, only, slots, perHost, scaleWorkers, expect, out } = parseOptions()
  const ac = new AbortController()
  process.once('SIGINT', () => { ac.abort(new Error('interrupted')) })
  const signal = ac.signal
  const t0 = Date.now()
  const res: BenchResults = {
    version: 1,
    startedAt: new Date().toISOString(),
    durationSec: 0,
    quick,
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? '?', memGb: round(totalmem() / 2 ** 30, 1), node: process.version, platform: `${platform()} ${release()}`, loadAvgStart: loadavg().map(x => round(x)), loadAvgEnd: [], commit: commit() },
    config: { slots, perHost, scaleWorkers }
  }
  const log = (msg: string): void => { process.stderr.write(`[bench ${((Date.now() - t0) / 1000).toFixed(0)}s] ${msg}\n`) }

  // a section that fails is recorded and the others still run
  res.errors = []
  const section = async (name: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn()
    } catch (err) {
      if (signal.aborted) throw err
      log(`  ${name} failed: ${(err as Error).message}`)
      res.errors?.push({ section: name, message: (err as Error).message })
    }
  }

  if (only.has('baseline')) {
    await section('baseline', async () => {
      log('baseline: raw libp2p request/response and gossipsub')
      res.baseline = await measureBaseline({ rounds: quick ? 2 : 3, rpcSeconds: quick ? 1 : 2, concurrency: 16, gossipMessages: quick ? 300 : 1000, signal })
      log(`  ${JSON.stringify({ rpc: res.baseline.rawRpcPerSec, gossipP99: res.baseline.gossipP99Ms })}`)
    })
  }

  // "jobs" is dispatch + throughput
  if (only.has('jobs')) { only.add('dispatch'); only.add('throughput') }
  if (only.has('dispatch') || only.has('throughput') || only.has('scale')) {
    const steps = only.has('scale') ? scaleWorkers : [10]
    res.scale = []
    for (const workers of steps) {
      await section(`mesh with ${workers} workers`, async () => {
        log(`mesh: 1 coordinator + ${workers} workers in ${Math.ceil(workers / perHost)} process(es), ${slots} slots each`)
        const mesh = await BenchMesh.start({ workers, perHost, slots, signal })
        try {
          if (workers === steps[0] && only.has('dispatch')) {
            log('  dispatch latency (one job at a time)')
            res.dispatch = await dispatchLatency(mesh, { rounds: 3, perRound: quick ? 40 : 150, warmup: 20, gapMs: 15, signal })
            log(`  ${JSON.stringify({ p50: res.dispatch.p50Ms, p99: res.dispatch.p99Ms, legsMs: res.dispatch.legsMs })}`)
          }
          const full = workers === steps[0] && only.has('throughput')
          log('  sustained throughput')
          const tp = await sustainedThroughput(mesh, {
            window: Math.max(200, workers * slots * 2),
            // scale steps warm up longer: with many host processes the first seconds after the
            // window settled are still ramping, and per-second background divided by a ramping
            // rate is not a per-job figure
            warmupSec: quick ? 1 : (full ? 2 : 5),
            roundSec: quick ? 2 : 4,
            rounds: quick ? 2 : 3,
            expectPerSec: expect,
            signal
          })
          tp.slots = slots
          if (full) res.throughput = tp
          const step: ScaleStep = { ...tp, processes: mesh.hosts.length, subscribedWorkers: mesh.subscribedWorkers }
          if (only.has('scale')) {
            log(`  messages per job at ${FIXED_RATE_PER_SEC} jobs/s`)
            step.fixedRate = await fixedRateMessages(mesh, { ratePerSec: FIXED_RATE_PER_SEC, seconds: quick ? 4 : 8, idleRate: tp.idleMessagesPerSec, signal })
            log(`  ${JSON.stringify(step.fixedRate)}`)
          }
          if (workers === steps[0]) {
            // one worker alone in its process, connected to the same coordinator
            // a side figure: its failure (a slow start on a loaded machine) is recorded but must not
            // cost the step its figures
            await section(`single-worker process with ${workers} workers`, async () => {
              const single = await WorkerHost.spawn({ meshId: BENCH_MESH, bootstrap: mesh.coordinator.addrs, adminKeys: mesh.coordinator.adminKeys, workers: 1, slots, index: 99 }, signal)
              try {
                await waitFor(async () => (await mesh.status()).subscribers > mesh.subscribedWorkers, 60_000 + workers * 1_000, 'single worker to subscribe', signal)
                await sleep(2_000, signal)
                step.singleWorkerProcessRssMb = round((await single.usage(signal)).rssBytes / 2 ** 20, 1)
              } finally {
                await single.stop()
              }
            })
          }
          log(`  ${JSON.stringify({ jobsPerSec: tp.jobsPerSec, cpuMsPerJob: tp.coordCpuMsPerJob, benchCpuMsPerJob: tp.benchCpuMsPerJob, messagesPerJob: tp.messagesPerJob, jobMessagesPerJob: tp.jobMessagesPerJob, idleMessagesPerSec: tp.idleMessagesPerSec, failed: Object.values(tp.failedJobs).reduce((a, n) => a + n, 0), perJob: tp.perJob, rssPerWorkerMb: tp.rssPerWorkerMb })}`)
          if (only.has('scale')) res.scale?.push(step)
        } finally {
          await mesh.stop()
        }
      })
    }
    if (res.scale?.length === 0) delete res.scale
  }

  if (only.has('ledger')) {
    await section('ledger', async () => {
      log('ledger: appends, proofs, replica catch-up')
      res.ledger = await measureLedger({ rounds: quick ? 1 : 3, appends: quick ? 10_000 : 30_000, catchupEntries: 100_000, proofSeconds: quick ? 0.5 : 1, signal })
      log(`  ${JSON.stringify({ appends: res.ledger.ledgerAppendsPerSec, catchup: res.ledger.catchup100kMs })}`)
    })
  }

  res.machine.loadAvgEnd = loadavg().map(x => round(x))
  res.durationSec = round((Date.now() - t0) / 1000, 0)
  headline(res)
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results')
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, `${out}.json`), JSON.stringify(res, null, 2) + '\n')
  const md = renderMarkdown(res)
  await writeFile(join(dir, `${out}.md`), md)
  process.stdout.write(md)
  return res.errors.map(e => e.section)
}

main().then(failed => {
  // a failed section must fail the run: a table of dashes is not a result
  if (failed.length > 0) process.stderr.write(`bench: ${failed.length} section(s) failed: ${failed.join('; ')} (see "errors" in the results)\n`)
  process.exit(failed.length > 0 ? 1 : 0)
}, err => {
  if ((err as Error).name === 'BenchUsageError') {
    process.stderr.write(`bench: ${(err as Error).message}\n`)
    process.exit(2)
  }
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
