// The checks every drill ends with, made only through the CLI against the running daemons:
//  1. jobs submitted = succeeded + failed-with-reason (nothing lost, stuck, invented or unexplained);
//  2. no job settled twice, every paid job paid once to the worker whose result was accepted, and no
//     job paid that produced no accepted result;
//  3. every replica's recomputed root equals the signed checkpoint it holds, that checkpoint is a
//     prefix of the coordinator's log (consistency proof), and no replica stored evidence; every
//     worker the log pays holds such a replica, and at least one was checked.
import assert from 'node:assert/strict'
import type { EntryJson } from '../../src/api/ledger-view.js'
import { verifyConsistency } from '../../src/ledger/merkle/hash.js'
import { waitFor } from '../helpers.js'
import type { DrillMesh, DrillNode, JobJson } from './mesh.js'

export interface InvariantReport {
  submitted: number
  succeeded: number
  failedWithReason: number
  settlements: number
  replicasVerified: string[]
  replicasWithoutLog: string[]
}

interface VerifyJson { ok: boolean, size: number, root: string, checkpointRoot?: string, evidence?: number, frozen?: boolean }
interface ConsistencyJson { from: number, to: number, fromRoot: string, toRoot: string, hashes: string[] }

export async function ledgerEntries (mesh: DrillMesh, node: DrillNode): Promise<{ treeSize: number, entries: EntryJson[] }> {
  const entries: EntryJson[] = []
  let treeSize = 0
  for (;;) {
    const r = await mesh.api<{ treeSize: number, entries: EntryJson[] }>(node, 'GET', `/v1/ledger/entries?from=${entries.length}&limit=10000`)
    treeSize = r.treeSize
    entries.push(...r.entries)
    if (r.entries.length === 0 || entries.length >= treeSize) break
  }
  return { treeSize, entries }
}

/** Settlement entries by job id (a job id appearing twice is the bug this looks for). */
export function settlementsByJob (entries: EntryJson[]): Map<string, EntryJson[]> {
  const by = new Map<string, EntryJson[]>()
  for (const e of entries) {
    if (e.kind !== 'settlement' || e.settlement == null) continue
    const list = by.get(e.settlement.jobId) ?? []
    list.push(e)
    by.set(e.settlement.jobId, list)
  }
  return by
}

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))

/** Checks that a log prefix (size, root) is consistent with the coordinator's current log. */
export async function assertPrefixOf (mesh: DrillMesh, size: number, root: string, what: string): Promise<void> {
  const c = mesh.coordinator
  const p = await mesh.api<ConsistencyJson>(c, 'GET', `/v1/ledger/consistency?from=${size}`)
  assert.equal(p.fromRoot, root, `${what}: the coordinator's log at size ${size} has root ${p.fromRoot}, not ${root}`)
  assert.ok(verifyConsistency(p.from, p.to, p.hashes.map(b64), b64(p.fromRoot), b64(p.toRoot)), `${what}: consistency proof ${size} -> ${p.to} does not verify`)
}

export async function checkInvariants (mesh: DrillMesh, opts: { timeoutMs?: number, replicas?: DrillNode[] } = {}): Promise<InvariantReport> {
  const c = mesh.coordinator
  await mesh.settleAll(opts.timeoutMs ?? 60_000)
  // the final count through the CLI, as an operator would take it
  const jobs = await mesh.cliJson<JobJson[]>(c, ['jobs', 'list', '--limit', '100000'])

  // 1. submitted = succeeded + failed-with-reason, and the coordinator knows no other job
  const byId = new Map(jobs.map(j => [j.id, j]))
  assert.equal(new Set(mesh.submitted).size, mesh.submitted.length, 'a job id was handed out twice')
  const mine = mesh.submitted.map(id => byId.get(id)).filter((j): j is JobJson => j != null)
  assert.equal(mine.length, mesh.submitted.length, `jobs lost: ${mesh.submitted.filter(id => !byId.has(id)).join(', ')}`)
  // the only jobs of its own a coordinator submits are quarantine probes (a worker failing attempts
  // in a row gets one, src/ops): they are expected, and must end like any other job
  const submitted = new Set(mesh.submitted)
  const probes = jobs.filter(j => !submitted.has(j.id) && j.label.startsWith('probe:'))
  for (const p of probes) assert.ok(p.state === 'succeeded' || (p.state === 'failed' && p.reason.trim() !== ''), `probe ${p.id} ended ${p.state} without a reason`)
  const unknown = jobs.filter(j => !submitted.has(j.id) && !j.label.startsWith('probe:'))
  assert.equal(unknown.length, 0, `the coordinator lists ${jobs.length} jobs, ${mesh.submitted.length} were submitted and ${probes.length} were quarantine probes; unknown: ${unknown.map(j => `${j.id.slice(0, 12)} "${j.label}"`).join(', ')}`)
  const succeeded = mine.filter(j => j.state === 'succeeded')
  const failed = mine.filter(j => j.state === 'failed')
  for (const j of failed) assert.notEqual(j.reason.trim(), '', `job ${j.id} failed without a reason`)
  assert.equal(succeeded.length + failed.length, mesh.submitted.length,
    `submitted ${mesh.submitted.length} != succeeded ${succeeded.length} + failed ${failed.length} (others: ${JSON.stringify(mine.filter(j => j.state !== 'succeeded' && j.state !== 'failed').map(j => [j.id.slice(0, 12), j.state]))})`)
  for (const j of succeeded) {
    assert.equal(j.attempts.filter(a => a.outcome === 'succeeded').length, 1, `job ${j.id} has ${j.attempts.filter(a => a.outcome === 'succeeded').length} succeeded attempts`)
  }

  // 2. settlements: wait for the checkpoint to cover every accepted result, then count
  const paid = (j: JobJson): JobJson['attempts'][number] | undefined =>
    j.attempts.find(a => a.outcome === 'succeeded' || (a.outcome === 'failed' && /^exit status \d+$/.test(a.reason)))
  const owed = mine.filter(j => paid(j) != null)
  let entries: EntryJson[] = []
  await waitFor(async () => {
    entries = (await ledgerEntries(mesh, c)).entries
    const settled = settlementsByJob(entries)
    return owed.every(j => settled.has(j.id))
  }, 20_000, 'every accepted result to be settled in a signed checkpoint')
  const settled = settlementsByJob(entries)
  for (const [jobId, list] of settled) {
    assert.equal(list.length, 1, `job ${jobId} settled ${list.length} times (entries ${list.map(e => e.index).join(', ')})`)
    const j = byId.get(jobId)
    assert.ok(j != null, `settlement for a job the coordinator does not list: ${jobId}`)
    const a = paid(j)
    assert.ok(a != null, `job ${jobId} (${j.state}) was paid without an accepted result`)
    const s = list[0].settlement as NonNullable<EntryJson['settlement']>
    assert.equal(s.worker, a.worker, `job ${jobId} paid to ${s.worker}, its accepted result came from ${a.worker}`)
    assert.equal(s.attempt, a.attempt, `job ${jobId} paid for attempt ${s.attempt}, accepted attempt ${a.attempt}`)
    assert.equal(s.outcome, j.state)
  }
  for (const e of entries) {
    const sum = e.postings.reduce((acc, p) => acc + BigInt(p.delta), 0n)
    assert.equal(sum, 0n, `entry ${e.index} postings sum to ${sum}`)
  }
  const cv = await mesh.cli(c, ['ledger', 'verify', '--json'])
  assert.equal(cv.code, 0, `coordinator ledger verify failed: ${cv.stdout}${cv.stderr}`)
  assert.equal((JSON.parse(cv.stdout) as VerifyJson).ok, true)

  // 3. replicas: every root equals the checkpoint held, and that checkpoint is the coordinator's
  const replicasVerified: string[] = []
  const replicasWithoutLog: string[] = []
  const checked = opts.replicas ?? mesh.workers.filter(n => mesh.running(n))
  for (const w of checked) {
    const { outcomes } = await mesh.api<{ outcomes: Array<{ log: string, verified: boolean, evidence?: unknown[] }> }>(w, 'POST', '/v1/ledger/reconcile', undefined, 120_000)
    const { receipts } = await mesh.api<{ receipts: Array<{ jobId: string, proven?: { index: number } }> }>(w, 'GET', '/v1/ledger/receipts')
    if (outcomes.length === 0) {
      assert.equal(receipts.length, 0, `${w.name} holds receipts but no replica`)
      replicasWithoutLog.push(w.name)
      continue
    }
    assert.ok(outcomes.every(o => o.verified && (o.evidence ?? []).length === 0), `${w.name}: reconcile did not verify: ${JSON.stringify(outcomes)}\n${mesh.tail(w)}`)
    const v = await mesh.cli(w, ['ledger', 'verify', '--log', c.peerId, '--json'])
    assert.equal(v.code, 0, `${w.name}: ledger verify exited ${String(v.code)}: ${v.stdout}${v.stderr}`)
    const vj = JSON.parse(v.stdout) as VerifyJson
    assert.equal(vj.ok, true)
    assert.equal(vj.root, vj.checkpointRoot, `${w.name}: replica root differs from the checkpoint it holds`)
    if ((vj.evidence ?? 0) > 0) assert.fail(`${w.name} stored evidence against the coordinator: ${JSON.stringify(await mesh.api(w, 'GET', '/v1/ledger/evidence'))}`)
    await assertPrefixOf(mesh, vj.size, vj.root, `${w.name}'s replica`)
    // every result the coordinator acknowledged to this worker is in the log, paid to it
    for (const r of receipts) {
      if (r.proven == null) {
        const ev = await mesh.api(w, 'GET', '/v1/ledger/evidence')
        assert.fail(`${w.name}: receipt for job ${r.jobId} not proven in the log (replica at ${vj.size}); job: ${JSON.stringify(byId.get(r.jobId))}; settlement: ${JSON.stringify(settled.get(r.jobId))}; evidence: ${JSON.stringify(ev)}`)
      }
      const s = settled.get(r.jobId)?.[0]?.settlement
      assert.equal(s?.worker, w.peerId, `${w.name} holds a receipt for job ${r.jobId}, paid to ${s?.worker ?? 'nobody'}`)
    }
    replicasVerified.push(w.name)
  }
  // the replica checks checked something: every checked worker the log pays holds a replica that
  // verified (a paid worker without one would otherwise pass as "no log yet"), and there is one
  const paidWorkers = new Set([...settled.values()].map(list => list[0].settlement?.worker))
  const owedReplicas = checked.filter(n => paidWorkers.has(n.peerId)).map(n => n.name)
  assert.deepEqual(owedReplicas.filter(n => !replicasVerified.includes(n)), [], `paid workers whose replica was not verified (verified: ${replicasVerified.join(', ') || 'none'}; without a log: ${replicasWithoutLog.join(', ') || 'none'})`)
  assert.ok(replicasVerified.length > 0, `no replica was checked: ${checked.length} nodes, without a log: ${replicasWithoutLog.join(', ') || 'none'}`)
  return { submitted: mesh.submitted.length, succeeded: succeeded.length, failedWithReason: failed.length, settlements: settled.size, replicasVerified, replicasWithoutLog }
}
