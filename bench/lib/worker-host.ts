// A worker host process: runs `workers` edgecoder workers (real libp2p nodes, each with its own
// identity, TCP listener, LevelDB replica) that bootstrap to the coordinator, and reports execution
// start times, CPU and memory to the bench over IPC.
import { createNode, type EdgecoderNode } from '../../src/node/create-node.js'
import { peerIdFromString } from '@libp2p/peer-id'
import { nowMs, waitUntil } from './stats.js'
import type { FromHost, HostConfig, ToHost } from './ipc.js'

// the bench may be gone (it gave up on us): nothing to tell it then
const send = (m: FromHost): void => { if (process.connected) process.send?.(m) }

async function main (): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as HostConfig
  const nodes: EdgecoderNode[] = []
  let record = false
  let starts: Array<[string, number]> = []
  let executed = 0
  const flush = setInterval(() => {
    if (starts.length > 0) { send({ type: 'starts', starts }); starts = [] }
  }, 50)
  flush.unref()
  // start nodes a few at a time: a burst of dials at one coordinator is not what we measure
  for (let i = 0; i < cfg.workers; i++) {
    const n = await createNode({ role: 'worker', meshId: cfg.meshId, bootstrap: cfg.bootstrap, adminKeys: cfg.adminKeys, slots: cfg.slots, token: cfg.token })
    n.events.on('work:assigned', d => {
      executed++
      if (record) starts.push([d.jobId, nowMs()])
    })
    nodes.push(n)
  }
  const stopAll = async (): Promise<void> => {
    clearInterval(flush)
    await Promise.allSettled(nodes.map(async n => { await n.stop() }))
    send({ type: 'stopped' })
    process.exit(0)
  }
  process.on('message', (m: ToHost) => {
    switch (m.type) {
      case 'clock': send({ type: 'clock', id: m.id, t: nowMs() }); break
      case 'record': record = m.on; break
      case 'usage': {
        const u = process.cpuUsage()
        send({ type: 'usage', rssBytes: process.memoryUsage().rss, heapUsedBytes: process.memoryUsage().heapUsed, cpuMicros: u.user + u.system, executed })
        break
      }
      case 'reconcile': void reconcile(nodes[0], m.log).then(r => { send({ type: 'reconciled', ...r }) }, (err: Error) => { send({ type: 'error', message: err.stack ?? String(err) }) }); break
      case 'stop': void stopAll(); break
    }
  })
  process.on('disconnect', () => { void stopAll() })
  send({ type: 'ready', peers: nodes.map(n => n.peerId.toString()), pid: process.pid })
}

/** Timed from the call to `reconcile` (the worker is already connected to the log's coordinator). */
async function reconcile (n: EdgecoderNode | undefined, log: string): Promise<{ ms: number, verified: boolean, size: number }> {
  if (n?.replica == null) throw new Error('no worker with a ledger replica in this host')
  const signal = AbortSignal.timeout(120_000)
  const coordinator = peerIdFromString(log)
  await waitUntil(() => n.libp2p.getConnections(coordinator).length > 0, 20_000, 'worker to connect', signal)
  const t0 = nowMs()
  const out = await n.replica.reconcile(log, signal)
  return { ms: nowMs() - t0, verified: out.verified, size: out.size }
}

main().catch(err => {
  send({ type: 'error', message: (err as Error).stack ?? String(err) })
  process.exit(1)
})
