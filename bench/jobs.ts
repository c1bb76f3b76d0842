// Job benchmarks on a loopback mesh: dispatch latency, sustained settled throughput, and how
// coordinator CPU, messages and memory behave as the number of workers grows.
import { BenchMesh } from './lib/mesh.js'
import { diffSnapshots, messageBreakdown, type MessageBreakdown } from './lib/counters.js'
import { median, nowMs, percentile, round, sleep, waitUntil } from './lib/stats.js'
import type { CoordinatorSample } from './lib/ipc.js'

export interface DispatchResult {
  workers: number
  samples: number
  p50Ms: number
  p95Ms: number
  p99Ms: number
  maxMs: number
  /** p99 of each round, to show the spread */
  roundP99Ms: number[]
  /**
   * least one-way IPC delay bench → child process (coordinator or worker host) and back (ms): the
   * processes read one OS clock, and both being >= 0 shows they agree to within that delay
   */
  clockCheckMs: [number, number]
  /**
   * where the time goes, p50 / p99 of each leg: submit → queued (verify, price, job-store write),
   * queued → assigned (a claim picks it, signs, job-store write), assigned → execution start
   * (answer delivered, worker checks two signatures)
   */
  legsMs: { queued: [number, number], assigned: [number, number], started: [number, number] }
}

/**
 * Dispatch latency: one job at a time (the mesh idle between jobs), from the call to the
 * coordinator's submit (in its process) to the worker's executor start (in its host), on one
 * clock: both processes read the same OS clock, checked, not corrected (BenchMesh.clockCheckMs).
 */
export async function dispatchLatency (mesh: BenchMesh, opts: { rounds: number, perRound: number, warmup: number, gapMs: number, signal: AbortSignal }): Promise<DispatchResult> {
  await mesh.presign(opts.warmup + opts.rounds * opts.perRound)
  mesh.setRecording(true)
  const legs = { queued: [] as number[], assigned: [] as number[], started: [] as number[] }
  const all: number[] = []
  const roundP99: number[] = []
  const one = async (): Promise<number> => {
    const id = await mesh.submit()
    await waitUntil(() => mesh.startedAt.has(id) && mesh.completed.has(id), 20_000, `job ${id} to start and settle`, opts.signal)
    const t0 = mesh.submittedAt.get(id) as number
    // the coordinator's events come in batches: the times are when they fired, in its process
    await waitUntil(() => mesh.queuedAt.has(id) && mesh.assignedAt.has(id), 5_000, `job ${id}'s queued and assigned times`, opts.signal)
    const tq = mesh.queuedAt.get(id) ?? t0
    const ta = mesh.assignedAt.get(id) ?? tq
    const ts = mesh.startedAt.get(id) as number
    legs.queued.push(tq - t0)
    legs.assigned.push(ta - tq)
    legs.started.push(ts - ta)
    return ts - t0
  }
  for (let i = 0; i < opts.warmup; i++) { await one(); await sleep(opts.gapMs, opts.signal) }
  legs.queued.length = 0
  legs.assigned.length = 0
  legs.started.length = 0
  for (let r = 0; r < opts.rounds; r++) {
    const lat: number[] = []
    for (let i = 0; i < opts.perRound; i++) {
      lat.push(await one())
      await sleep(opts.gapMs, opts.signal)
    }
    roundP99.push(round(percentile(lat, 99)))
    all.push(...lat)
  }
  mesh.setRecording(false)
  const pp = (xs: number[]): [number, number] => [round(percentile(xs, 50)), round(percentile(xs, 99))]
  return {
    legsMs: { queued: pp(legs.queued), assigned: pp(legs.assigned), started: pp(legs.started) },
    workers: mesh.hosts.reduce((a, h) => a + h.cfg.workers, 0),
    samples: all.length,
    p50Ms: round(percentile(all, 50)),
    p95Ms: round(percentile(all, 95)),
    p99Ms: round(percentile(all, 99)),
    maxMs: round(Math.max(...all)),
    roundP99Ms: roundP99,
    clockCheckMs: [round(mesh.clockCheckMs[0], 3), round(mesh.clockCheckMs[1], 3)]
  }
}

export interface ThroughputRound {
  jobs: number
  seconds: number
  jobsPerSec: number
  /** CPU (user + system) of the coordinator's own process per settled job */
  coordCpuMsPerJob: number
  /** CPU of the bench process (client, feeder, bookkeeping, its IPC ends) per settled job: not the coordinator's */
  benchCpuMsPerJob: number
  messages: MessageBreakdown
  /** every message at the coordinator in the round, per settled job */
  messagesPerJob: number
  /** the same less the idle mesh's background (gossipsub heartbeat traffic) for as long as the round */
  jobMessagesPerJob: number
  ledgerEntries: number
  /** jobs queued at the coordinator at the round's start and end: a backlog means the feeder kept up */
  queueDepth: [number, number]
}

export interface ThroughputResult {
  workers: number
  slots: number
  window: number
  jobsPerSec: number
  coordCpuMsPerJob: number
  /** the bench process's CPU per job (median of rounds), to show what coordCpuMsPerJob leaves out */
  benchCpuMsPerJob: number
  messagesPerJob: number
  /**
   * messages the jobs caused: `messagesPerJob` less what the same mesh sends per second when idle
   * (gossipsub heartbeats, IHAVE/IWANT, GRAFT/PRUNE), which is per peer and per second, not per job
   */
  jobMessagesPerJob: number
  /** the idle mesh's background, messages per second at the coordinator */
  idleMessagesPerSec: number
  /** per job: streams, ledger streams, gossip messages, gossip control items */
  perJob: { streams: number, sessionFrames: number, ledgerStreams: number, gossipMessages: number, gossipControl: number }
  rounds: ThroughputRound[]
  /** every job settled in the measured rounds has a signed assignment, a signed result and a ledger entry */
  verifiedJobs: number
  /** jobs of this run that ended failed (each with a reason), by reason with attempt numbers stripped */
  failedJobs: Record<string, number>
  hostRssMb: number[]
  rssPerWorkerMb: number
}

/** how long the idle mesh's background traffic is counted before the load starts */
const IDLE_WINDOW_MS = 3_000

/**
 * Sustained throughput: keeps `window` jobs outstanding (queued or running) and counts jobs settled
 * (result accepted, ledger entry durable) per second, over several timed rounds after a warmup.
 */
export async function sustainedThroughput (mesh: BenchMesh, opts: { window: number, warmupSec: number, roundSec: number, rounds: number, expectPerSec: number, signal: AbortSignal }): Promise<ThroughputResult> {
  const need = Math.ceil((opts.warmupSec + opts.rounds * opts.roundSec) * opts.expectPerSec * 1.3) + opts.window
  if (mesh.presigned < need) await mesh.presign(need - mesh.presigned)
  // the idle mesh's own traffic, to tell what the jobs cost from what merely passes the time
  const idle0 = await mesh.sample()
  await sleep(IDLE_WINDOW_MS, opts.signal)
  const idle1 = await mesh.sample()
  const idleRate = messageBreakdown(diffSnapshots(idle0.counters, idle1.counters)).total / ((idle1.t - idle0.t) / 1000)
  const ended = (id: string): boolean => mesh.completed.has(id) || mesh.failed.has(id)
  const outstanding = new Set<string>()
  const ours = new Set<string>()
  let stop = false
  let inflight = 0
  let wake: (() => void) | undefined
  const onDone = (id: string): void => { outstanding.delete(id); wake?.() }
  mesh.onEnded.add(onDone)
  // waits for a job to end (or 50 ms, to see `stop`) rather than polling: this process shares the
  // machine's cores with the coordinator and the workers it measures
  const roomMade = async (): Promise<void> => {
    await new Promise<void>(resolve => {
      const t = setTimeout(() => { wake = undefined; resolve() }, 50)
      wake = () => { clearTimeout(t); wake = undefined; resolve() }
    })
  }
  // the feeder: tops the window up whenever jobs settle
  const feeder = (async () => {
    while (!stop) {
      opts.signal.throwIfAborted()
      const room = opts.window - outstanding.size - inflight
      if (room <= 0 || mesh.presigned === 0) { await roomMade(); continue }
      const batch = Math.min(room, 64, mesh.presigned)
      inflight += batch
      const ids = await mesh.submitMany(batch)
      inflight -= batch
      for (const id of ids) {
        if (!ended(id)) outstanding.add(id)
        ours.add(id)
      }
    }
  })()
  const rounds: ThroughputRound[] = []
  try {
    // warm up for the time given and until a full window of jobs has settled: the pipeline takes
    // a while to fill on a loaded machine, and a round must not measure the ramp
    const settled0 = mesh.completed.size
    await sleep(opts.warmupSec * 1000, opts.signal)
    await waitUntil(() => mesh.completed.size - settled0 >= opts.window, 120_000, 'the warmup window to settle', opts.signal)
    for (let r = 0; r < opts.rounds; r++) {
      // both ends of a round are instants in the coordinator's process: its clock, CPU, completions
      const b0 = process.cpuUsage()
      const s0 = await mesh.sample()
      await sleep(opts.roundSec * 1000, opts.signal)
      const s1 = await mesh.sample()
      rounds.push(roundOf(s0, s1, idleRate, process.cpuUsage(b0)))
      if (mesh.presigned === 0) throw new Error('bench: ran out of presigned specs; raise expectPerSec')
    }
  } finally {
    stop = true
    await feeder.catch(() => {})
    mesh.onEnded.delete(onDone)
  }
  // drain what is left so the next measurement starts from an empty queue; every job must end,
  // succeeded or failed with a reason
  try {
    await waitUntil(() => [...ours].every(ended), 600_000, 'outstanding jobs to end', opts.signal)
  } catch (err) {
    const states = await mesh.states([...ours].filter(id => !ended(id)))
    const st = await mesh.status()
    throw new Error(`${(err as Error).message}; not ended: ${JSON.stringify(states)}; queue ${st.queueDepth}, waiting claims ${st.waitingClaims}`)
  }
  const failedJobs: Record<string, number> = {}
  for (const id of ours) {
    const reason = mesh.failed.get(id)
    if (reason == null) continue
    const key = reason.replace(/attempt \d+/g, 'attempt N').replace(/12D3Koo\w+/g, '<peer>').slice(0, 120)
    failedJobs[key] = (failedJobs[key] ?? 0) + 1
  }
  const verified = await mesh.verify([...ours].filter(id => !mesh.failed.has(id)))
  const usage = await mesh.hostUsage(opts.signal)
  const workers = mesh.hosts.reduce((a, h) => a + h.cfg.workers, 0)
  const totalJobs = rounds.reduce((a, r) => a + r.jobs, 0)
  const sum = (f: (m: MessageBreakdown) => number): number => round(rounds.reduce((a, r) => a + f(r.messages), 0) / Math.max(1, totalJobs), 2)
  return {
    workers,
    slots: 0,
    window: opts.window,
    jobsPerSec: round(median(rounds.map(r => r.jobsPerSec)), 1),
    coordCpuMsPerJob: round(median(rounds.map(r => r.coordCpuMsPerJob)), 3),
    benchCpuMsPerJob: round(median(rounds.map(r => r.benchCpuMsPerJob)), 3),
    messagesPerJob: round(median(rounds.map(r => r.messagesPerJob))),
    jobMessagesPerJob: round(median(rounds.map(r => r.jobMessagesPerJob))),
    idleMessagesPerSec: round(idleRate, 1),
    perJob: { streams: sum(m => m.streams), sessionFrames: sum(m => m.sessionFrames), ledgerStreams: sum(m => m.ledgerStreams), gossipMessages: sum(m => m.gossipMessages), gossipControl: sum(m => m.gossipControl) },
    rounds,
    verifiedJobs: verified,
    failedJobs,
    hostRssMb: usage.map(u => round(u.rssBytes / 2 ** 20, 1)),
    rssPerWorkerMb: round(median(usage.map(u => u.rssBytes / 2 ** 20 / u.workers)), 1)
  }
}

/** One timed round from two samples of the coordinator process. */
function roundOf (s0: CoordinatorSample, s1: CoordinatorSample, idleRate: number, bench: NodeJS.CpuUsage): ThroughputRound {
  const jobs = s1.completed - s0.completed
  const seconds = (s1.t - s0.t) / 1000
  const messages = messageBreakdown(diffSnapshots(s0.counters, s1.counters))
  return {
    jobs,
    seconds: round(seconds, 3),
    jobsPerSec: round(jobs / seconds, 1),
    coordCpuMsPerJob: round((s1.cpuMicros - s0.cpuMicros) / 1000 / Math.max(1, jobs), 3),
    benchCpuMsPerJob: round((bench.user + bench.system) / 1000 / Math.max(1, jobs), 3),
    messages,
    messagesPerJob: round(messages.total / Math.max(1, jobs), 2),
    jobMessagesPerJob: round(Math.max(0, messages.total - idleRate * seconds) / Math.max(1, jobs), 2),
    ledgerEntries: s1.ledgerSize - s0.ledgerSize,
    queueDepth: [s0.queueDepth, s1.queueDepth]
  }
}

export interface FixedRateResult {
  /** jobs submitted per second, steady (below every step's capacity, so each step carries the same load) */
  ratePerSec: number
  jobs: number
  /** every message at the coordinator per job, from the first submission until the last job settled */
  messagesPerJob: number
  /** the same less the idle mesh's background for as long */
  jobMessagesPerJob: number
  perJob: { streams: number, sessionFrames: number, ledgerStreams: number, gossipMessages: number, gossipControl: number }
  /** every stream and gossipsub RPC counter that moved by at least 0.01 per job, per job: where the messages went */
  detailPerJob: Record<string, number>
  coordCpuMsPerJob: number
}

/**
 * Messages per job at one fixed job rate: the same load for every worker count, so what changes
 * between steps is the number of workers, not how busy the mesh is. (At saturation a step with a
 * backlog takes a job in one exchange, a step whose workers outnumber the jobs in two: that
 * measures load, not size.)
 */
export async function fixedRateMessages (mesh: BenchMesh, opts: { ratePerSec: number, seconds: number, idleRate: number, signal: AbortSignal }): Promise<FixedRateResult> {
  const n = Math.round(opts.ratePerSec * opts.seconds)
  if (mesh.presigned < n) await mesh.presign(n - mesh.presigned)
  const ids: string[] = []
  const s0 = await mesh.sample()
  const t0 = nowMs()
  for (let i = 0; i < n; i++) {
    // on schedule, whatever the previous submissions are doing
    const due = t0 + (i * 1000) / opts.ratePerSec
    const wait = due - nowMs()
    if (wait > 0) await sleep(wait, opts.signal)
    ids.push(await mesh.submit())
  }
  const ended = (id: string): boolean => mesh.completed.has(id) || mesh.failed.has(id)
  await waitUntil(() => ids.every(ended), 120_000, 'the fixed-rate jobs to end', opts.signal)
  const s1 = await mesh.sample()
  const seconds = (s1.t - s0.t) / 1000
  const diff = diffSnapshots(s0.counters, s1.counters)
  const m = messageBreakdown(diff)
  const per = (x: number): number => round(x / n, 2)
  const detailPerJob: Record<string, number> = {}
  for (const [k, v] of [...Object.entries(diff.streams), ...Object.entries(diff.gossip)]) if (per(v) !== 0 && /^(inbound|outbound) |_rpc_(sent|recv)_/.test(k)) detailPerJob[k] = per(v)
  return {
    ratePerSec: opts.ratePerSec,
    jobs: n,
    messagesPerJob: per(m.total),
    jobMessagesPerJob: per(Math.max(0, m.total - opts.idleRate * seconds)),
    perJob: { streams: per(m.streams), sessionFrames: per(m.sessionFrames), ledgerStreams: per(m.ledgerStreams), gossipMessages: per(m.gossipMessages), gossipControl: per(m.gossipControl) },
    detailPerJob,
    coordCpuMsPerJob: round((s1.cpuMicros - s0.cpuMicros) / 1000 / n, 3)
  }
}
