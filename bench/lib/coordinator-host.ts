// The coordinator host process: one edgecoder coordinator (libp2p node, job store, ledger) with the
// bench's message counters, and nothing else of the bench. The feeder, the client and the
// bookkeeping stay in the parent, so this process's CPU (process.cpuUsage(), reported in samples)
// is the coordinator's: its libp2p stack, its job store and ledger with their LevelDB threads, plus
// the counters' hooks and this file's IPC (a few batched messages per round, not per job each).
import { createNode, type EdgecoderNode } from '../../src/node/create-node.js'
import type { CoordinatorService } from '../../src/jobs/coordinator/index.js'
import type { SignedEnvelope } from '../../src/wire/pb/envelope.js'
import { jobsTopic } from '../../src/wire/domains.js'
import { MeshCounters } from './counters.js'
import { BENCH_POLICY } from './mesh.js'
import { nowMs } from './stats.js'
import type { CoordinatorConfig, CoordinatorSample, FromCoordinator, ToCoordinator } from './ipc.js'

/**
 * Events wait this long to be sent together: the feeder only needs to know roughly when its window
 * has room, and one message per batch keeps the IPC out of the per-job cost.
 */
const EVENT_BATCH_MS = 10

const send = (m: FromCoordinator): void => { if (process.connected) process.send?.(m) }

async function main (): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as CoordinatorConfig
  const counters = new MeshCounters()
  // NOCP=1: no checkpoints during the run (to tell their traffic from the jobs' when profiling)
  const noCheckpoints = process.env.NOCP != null ? { checkpointEvery: 1e9, checkpointIntervalMs: 1e9 } : {}
  const node = await createNode({ role: 'coordinator', meshId: cfg.meshId, policy: BENCH_POLICY, instrumentation: counters.instrumentation(), ...noCheckpoints })
  const service = node.coordinator as CoordinatorService
  // admission as in production: the workers enroll with one auto-approve token, the client is an
  // admitted account like any application user
  const { token } = await node.admission.state.tokens.create({ autoApprove: true, maxUses: cfg.workers, label: 'bench workers' })
  const clientToken = await node.admission.state.tokens.create({ autoApprove: true, label: 'bench client' })
  await node.admission.state.enroll(cfg.client, { token: clientToken.token, label: 'bench client', executors: [], role: 'client' })

  const specs: SignedEnvelope[] = []
  let nextSpec = 0
  let completed = 0
  let record = false
  let batch: Extract<FromCoordinator, { type: 'events' }> = { type: 'events', completed: [], failed: [], queued: [], assigned: [] }
  let flush: NodeJS.Timeout | undefined
  const queue = (add: (b: typeof batch) => void): void => {
    add(batch)
    flush ??= setTimeout(() => {
      flush = undefined
      send(batch)
      batch = { type: 'events', completed: [], failed: [], queued: [], assigned: [] }
    }, EVENT_BATCH_MS)
  }
  node.events.on('job:completed', d => { completed++; queue(b => b.completed.push(d.jobId)) })
  node.events.on('job:failed', d => { queue(b => b.failed.push([d.jobId, d.reason])) })
  node.events.on('job:queued', d => { if (record) { const t = nowMs(); queue(b => b.queued.push([d.jobId, t])) } })
  node.events.on('job:assigned', d => { if (record) { const t = nowMs(); queue(b => b.assigned.push([d.jobId, t])) } })

  const sample = (): CoordinatorSample => {
    const cpu = process.cpuUsage()
    return { t: nowMs(), cpuMicros: cpu.user + cpu.system, completed, ledgerSize: node.ledger?.size ?? 0, queueDepth: service.queueDepth(), counters: counters.snapshot(), rssBytes: process.memoryUsage().rss }
  }
  // asked to stop, or the bench is gone: once either way
  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopping ??= (async () => {
      if (flush != null) clearTimeout(flush)
      await node.stop().catch(() => {})
      send({ type: 'stopped' })
      process.exit(0)
    })()
    await stopping
  }
  const reply = <T extends FromCoordinator & { id: number }>(type: T['type'], id: number, work: () => Promise<Omit<T, 'type' | 'id' | 'error'>>): void => {
    work().then(r => { send({ type, id, ...r } as unknown as FromCoordinator) }, (err: Error) => { send({ type, id, error: err.message } as unknown as FromCoordinator) })
  }
  process.on('message', (m: ToCoordinator) => {
    switch (m.type) {
      case 'clock': send({ type: 'clock', id: m.id, t: nowMs() }); break
      case 'specs': specs.push(...m.specs); send({ type: 'specs', id: m.id }); break
      case 'submit':
        reply('submit', m.id, async () => {
          const envs = specs.slice(nextSpec, nextSpec + m.n)
          nextSpec += envs.length
          // drop the used ones now and then, not on every batch (a splice moves the whole array)
          if (nextSpec >= 4096) { specs.splice(0, nextSpec); nextSpec = 0 }
          if (envs.length < m.n) throw new Error(`bench: ${m.n} submits asked for, ${envs.length} presigned specs left`)
          return { jobs: await Promise.all(envs.map(async (env): Promise<[string, number]> => { const t = nowMs(); return [await service.submit(env), t] })) }
        })
        break
      case 'sample': send({ type: 'sample', id: m.id, sample: sample() }); break
      case 'status':
        send({ type: 'status', id: m.id, status: { subscribers: node.libp2p.services.pubsub.getSubscribers(jobsTopic(cfg.meshId)).length, activeNodes: node.admission.state.nodes('active').length, queueDepth: service.queueDepth(), waitingClaims: service.waitingClaims } })
        break
      case 'verify': reply('verify', m.id, async () => ({ verified: await verifyJobs(node, m.jobs) })); break
      case 'states':
        reply('states', m.id, async () => {
          const states: Record<string, number> = {}
          for (const id of m.jobs) {
            const st = (await service.store.get(id))?.state ?? 'missing'
            states[st] = (states[st] ?? 0) + 1
          }
          return { states }
        })
        break
      case 'record': record = m.on; break
      case 'stop': void stop(); break
    }
  })
  process.on('disconnect', () => { void stop() })
  const addrs = node.multiaddrs().map(a => a.toString()).filter(a => a.includes('/tcp/'))
  send({ type: 'ready', pid: process.pid, peerId: node.peerId.toString(), addrs, adminKeys: node.bootstrapConfig().adminKeys, workerToken: token })
}

/** Checks every job: succeeded, signed assignment and signed result stored, settled in the ledger. */
async function verifyJobs (node: EdgecoderNode, ids: string[]): Promise<number> {
  const service = node.coordinator as CoordinatorService
  let ok = 0
  for (const id of ids) {
    const rec = await service.store.get(id)
    if (rec?.state !== 'succeeded' || rec.result?.assignment == null || rec.result.envelope.signature === '' || node.ledger?.isSettled(id) !== true) {
      throw new Error(`bench: job ${id} is not fully settled (state ${rec?.state ?? 'missing'})`)
    }
    ok++
  }
  return ok
}

main().catch(err => {
  send({ type: 'error', message: (err as Error).stack ?? String(err) })
  process.exit(1)
})
