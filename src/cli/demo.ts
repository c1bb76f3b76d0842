// `edgecoder-node demo` (npm start): a whole mesh on loopback in one process — a coordinator,
// workers and a client, each a real libp2p node with its own fresh data dir — running sample jobs
// across the executors with live progress, then results and timings.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createNode, type EdgecoderNode } from '../node/create-node.js'
import type { JobSpecInput } from '../jobs/job-spec.js'
import { jobStatusToJson, type JobStatusJson } from '../jobs/status-json.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { signAdminAction } from '../admission/admin-actions.js'

export interface DemoOptions { workers: number, jobs: number, write?: (line: string) => void }

const short = (id: string): string => id.slice(0, 10)

export async function runDemo (o: DemoOptions): Promise<boolean> {
  const write = o.write ?? ((l: string) => { process.stdout.write(l + '\n') })
  const root = await mkdtemp(join(tmpdir(), 'edgecoder-demo-'))
  const nodes: EdgecoderNode[] = []
  const t0 = performance.now()
  const at = (): string => `[${(performance.now() - t0).toFixed(0).padStart(5)} ms]`
  try {
    write(`EdgeCoder demo: 1 coordinator, ${o.workers} workers, 1 client on loopback (data in ${root})`)
    const coordKey = await generateKeyPair('Ed25519')
    const coordinator = await createNode({ role: 'coordinator', privateKey: coordKey, dataDir: join(root, 'coordinator'), listen: ['/ip4/127.0.0.1/tcp/0'], meshId: 'edgecoder-demo' })
    nodes.push(coordinator)
    // admission as in production: one registration token for the workers, one for the client (an
    // application user is an enrolled account too), then an admin approval of each
    const { token, record } = await coordinator.admission.state.tokens.create({ label: 'demo workers', maxUses: o.workers, ttlMs: 600_000 })
    const clientToken = await coordinator.admission.state.tokens.create({ label: 'demo client', ttlMs: 600_000 })
    // the coordinator's bootstrap config carries the mesh's admin key: workers and the client check it
    const boot = coordinator.bootstrapConfig()
    write(`${at()} coordinator ${coordinator.peerId.toString()} listening on ${coordinator.multiaddrs()[0]?.toString() ?? '?'}`)
    const workerNames = new Map<string, string>()
    for (let i = 0; i < o.workers; i++) {
      const w = await createNode({ role: 'worker', dataDir: join(root, `worker-${i + 1}`), bootstrap: boot, slots: 2, processAllowlist: ['echo', 'uname', 'sha256sum'], token, label: `worker-${i + 1}` })
      nodes.push(w)
      workerNames.set(w.peerId.toString(), `worker-${i + 1}`)
    }
    const client = await createNode({ role: 'client', dataDir: join(root, 'client'), bootstrap: boot, token: clientToken.token, label: 'client' })
    nodes.push(client)
    // wait until every worker has found the coordinator (through the bootstrap dial and identify)
    const deadline = Date.now() + 15_000
    const clientReady = async (): Promise<boolean> => (await client.jobs.findCoordinators()).some(p => p.equals(coordinator.peerId))
    while (nodes.slice(1, 1 + o.workers).some(w => w.worker?.coordinators.has(coordinator.peerId.toString()) !== true) || !(await clientReady())) {
      if (Date.now() > deadline) throw new Error('workers did not find the coordinator within 15 s')
      await new Promise(resolve => setTimeout(resolve, 25))
    }
    write(`${at()} mesh formed: ${o.workers} workers connected; registration token ${record.id} (${o.workers} uses)`)
    while (coordinator.admission.state.nodes('pending').length < o.workers + 1) {
      if (Date.now() > deadline) throw new Error('workers and the client did not enroll within 15 s')
      await new Promise(resolve => setTimeout(resolve, 25))
    }
    for (const n of coordinator.admission.state.nodes('pending')) {
      const { record: r } = await coordinator.admission.submitAction(await signAdminAction(coordKey, 'edgecoder-demo', { kind: 'APPROVE', target: n.peerId, reason: 'demo' }))
      write(`${at()} ${n.label} (${n.role ?? 'worker'}) enrolled with a token, approved by signed admin action (audit #${r.seq})`)
    }

    const ev = coordinator.events
    const name = (peer: string): string => workerNames.get(peer) ?? peer.slice(-8)
    ev.on('job:assigned', d => { write(`${at()} ${short(d.jobId)} assigned to ${name(d.worker)} (attempt ${d.attempt})`) })
    ev.on('job:completed', d => { write(`${at()} ${short(d.jobId)} succeeded`) })
    ev.on('job:failed', d => { write(`${at()} ${short(d.jobId)} failed: ${d.reason}`) })
    ev.on('job:requeued', d => { write(`${at()} ${short(d.jobId)} requeued: ${d.reason}`) })

    const upper = await readFile(fileURLToPath(new URL('../../../examples/wasm/upper.wasm', import.meta.url)))
    const specs: JobSpecInput[] = []
    for (let i = 0; i < o.jobs; i++) {
      switch (i % 4) {
        case 0: specs.push({ executor: 'noop', input: `hello from job ${i}`, label: `noop #${i}` }); break
        case 1: specs.push({ executor: 'wasm', module: upper, input: `wasm sandbox says hi (${i})`, label: `wasm upper #${i}` }); break
        case 2: specs.push({ executor: 'process', args: ['echo', `process executor, job ${i}`], label: `echo #${i}` }); break
        default: specs.push({ executor: 'noop', input: `slow job ${i}`, delayMs: 150, label: `noop 150ms #${i}` })
      }
    }
    const submittedAt = new Map<string, number>()
    const ids: string[] = []
    for (const [i, s] of specs.entries()) {
      // half through the coordinator's own API, half from the client across the mesh
      const via = i % 2 === 0 ? coordinator : client
      const t = performance.now()
      const id = await via.jobs.submit(s)
      submittedAt.set(id, t)
      ids.push(id)
      write(`${at()} ${short(id)} submitted by ${via === coordinator ? 'coordinator' : 'client'} (${s.label ?? s.executor})`)
    }
    const results: JobStatusJson[] = []
    for (const id of ids) {
      const s = await client.jobs.wait(id, { signal: AbortSignal.timeout(60_000), pollMs: 20 }).catch(async () => await coordinator.jobs.wait(id, { signal: AbortSignal.timeout(60_000), pollMs: 20 }))
      results.push(jobStatusToJson(await coordinator.jobs.result(s.jobId)))
    }
    write('')
    write('job         executor  state      worker     dispatch  total    output')
    let ok = true
    for (const r of results) {
      const queued = Date.parse(r.timestamps.find(t => t.state === 'queued')?.at ?? r.createdAt)
      const assigned = Date.parse(r.timestamps.find(t => t.state === 'assigned')?.at ?? r.updatedAt)
      const ended = Date.parse(r.updatedAt)
      const worker = r.attempts.at(-1)?.worker ?? ''
      const output = (r.result?.output ?? r.reason).replace(/\s+$/, '').slice(0, 40)
      write(`${short(r.id)}  ${r.executor.padEnd(8)}  ${r.state.padEnd(9)}  ${name(worker).padEnd(9)}  ${String(assigned - queued).padStart(5)} ms  ${String(ended - queued).padStart(5)} ms  ${output}`)
      if (r.state !== 'succeeded') ok = false
    }
    // the ledger: the coordinator signs a checkpoint; each worker verifies its replica and its receipts
    const ledger = coordinator.ledger
    if (ledger != null) {
      const note = await ledger.checkpoint()
      write('')
      write(`ledger: ${ledger.size} entries, signed checkpoint:`)
      for (const line of note.trimEnd().split('\n')) write(`  ${line}`)
      for (const w of nodes.slice(1, 1 + o.workers)) {
        const out = await w.replica?.reconcile(coordinator.peerId.toString(), AbortSignal.timeout(30_000))
        const receipts = await w.replica?.receipts() ?? []
        const earned = w.replica?.has(coordinator.peerId.toString()) === true ? w.replica.balance(coordinator.peerId.toString(), w.peerId.toString()) : 0n
        write(`  ${name(w.peerId.toString())}: replica ${out?.verified === true ? 'verified' : 'NOT verified'} at ${out?.size ?? 0} entries, earned ${earned.toString()} credits, ${receipts.filter(r => r.proven != null).length}/${receipts.length} receipts proven`)
      }
      write(`  client paid ${(-(ledger.book.balance(client.peerId.toString()) - ledger.policy.welcomeGrant)).toString()} credits; all balances sum to ${[...ledger.book.balances.values()].reduce((a, b) => a + b, 0n).toString()} (the mint holds minus every credit issued)`)
    }
    const total = performance.now() - t0
    const succeeded = results.filter(r => r.state === 'succeeded').length
    write('')
    write(`${succeeded}/${results.length} jobs succeeded in ${total.toFixed(0)} ms (every assignment and result signed and verified)`)
    return ok
  } finally {
    await Promise.allSettled(nodes.reverse().map(async n => { await n.stop() }))
    await rm(root, { recursive: true, force: true })
  }
}
