// Ledger benchmarks: settlements appended per second through CoordinatorLedger (group commit, as
// the coordinator uses it), replica catch-up of a 100k-entry log over the mesh (sync, root check,
// replay) by a fresh worker in its own process (and, for comparison, in the coordinator's), and
// inclusion proofs generated and verified per second.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { CoordinatorLedger } from '../src/ledger/coordinator-ledger.js'
import { leafHash, verifyInclusion } from '../src/ledger/merkle/hash.js'
import { createNode } from '../src/node/create-node.js'
import type { JobRecord } from '../src/jobs/types.js'
import { BENCH_MESH, BENCH_POLICY, WorkerHost } from './lib/mesh.js'
import { median, nowMs, round, waitUntil } from './lib/stats.js'

export interface LedgerResult {
  ledgerAppendsPerSec: number
  /** a fresh worker in its own process catches up with the coordinator's log: as deployed */
  catchup100kMs: number
  /** the same with the worker in the coordinator's process, both on one thread: what sharing one thread costs */
  catchup100kInProcessMs: number
  catchupEntries: number
  proofsGeneratedPerSec: number
  proofsVerifiedPerSec: number
  rounds: Array<{ appendsPerSec: number, catchupMs?: number, catchupInProcessMs?: number, proofsGeneratedPerSec: number, proofsVerifiedPerSec: number }>
}

const hex32 = (): string => randomBytes(32).toString('hex')

/** A finished job as the coordinator hands it to settle(). */
function fakeJob (owner: string, worker: string): JobRecord {
  const now = Date.now()
  const env = { payload: 'AA==', signature: 'AA==' }
  return {
    id: hex32(), seq: 0, state: 'succeeded', owner, coordinator: '', executor: 'noop', label: '', spec: env,
    timeoutMs: 1000, maxAttempts: 1, offeredPrice: '0', price: '2', cpuMillis: 0, memoryMb: 0, attempt: 1,
    attempts: [], timestamps: [], reason: '', createdAt: now, updatedAt: now, notBefore: 0, round: 0, lastAnnouncedAt: 0,
    result: { envelope: env, assignmentDigest: hex32(), assignment: env, digest: hex32(), exitCode: 0, outputDigest: hex32(), worker, attempt: 1 }
  }
}

/** Settles `n` jobs with at most `concurrency` settlements outstanding (as many workers' results would be). */
async function settleMany (ledger: CoordinatorLedger, n: number, concurrency: number, owner: string, worker: string): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) { next++; await ledger.settle(fakeJob(owner, worker)) }
  }))
}

export async function measureLedger (opts: { rounds: number, appends: number, catchupEntries: number, proofSeconds: number, signal: AbortSignal }): Promise<LedgerResult> {
  const rounds: LedgerResult['rounds'] = []
  const owner = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  const worker = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  for (let r = 0; r < opts.rounds; r++) {
    const dir = await mkdtemp(join(tmpdir(), 'edgecoder-bench-ledger-'))
    const key = await generateKeyPair('Ed25519')
    const ledger = new CoordinatorLedger({ path: dir, meshId: 'edgecoder-bench', owner: peerIdFromPrivateKey(key).toString(), privateKey: key, genesisPolicy: BENCH_POLICY })
    try {
      await ledger.open()
      await settleMany(ledger, 2_000, 256, owner, worker)
      const t0 = nowMs()
      await settleMany(ledger, opts.appends, 256, owner, worker)
      const appendsPerSec = opts.appends / ((nowMs() - t0) / 1000)
      // proofs against the current tree
      const size = ledger.size
      const root = await ledger.root(size)
      let generated = 0
      const samples: Array<{ index: number, leaf: Uint8Array, proof: Uint8Array[] }> = []
      const g0 = nowMs()
      while (nowMs() - g0 < opts.proofSeconds * 1000) {
        const index = Math.floor(Math.random() * size)
        const proof = await ledger.inclusionProof(index, size)
        if (samples.length < 1000) samples.push({ index, leaf: leafHash(await ledger.entry(index)), proof })
        generated++
      }
      const generatedPerSec = generated / ((nowMs() - g0) / 1000)
      let verified = 0
      const v0 = nowMs()
      while (nowMs() - v0 < opts.proofSeconds * 1000) {
        const s = samples[verified % samples.length]
        if (!verifyInclusion(s.leaf, s.index, size, s.proof, root)) throw new Error('bench: inclusion proof does not verify')
        verified++
      }
      const verifiedPerSec = verified / ((nowMs() - v0) / 1000)
      rounds.push({ appendsPerSec: round(appendsPerSec, 0), proofsGeneratedPerSec: round(generatedPerSec, 0), proofsVerifiedPerSec: round(verifiedPerSec, 0) })
    } finally {
      await ledger.close()
      await rm(dir, { recursive: true, force: true })
    }
  }
  // catch-up: a coordinator whose log holds `catchupEntries` entries, and a fresh worker each round,
  // in a process of its own (on another core, as on another machine) and in this one
  const coord = await createNode({ role: 'coordinator', meshId: BENCH_MESH, policy: BENCH_POLICY, checkpointEvery: 1_000_000, admission: { mode: 'open' } })
  const catchups: number[] = []
  const inProcess: number[] = []
  try {
    const ledger = coord.ledger as CoordinatorLedger
    await settleMany(ledger, opts.catchupEntries - ledger.size, 512, owner, worker)
    await ledger.checkpoint()
    const log = coord.peerId.toString()
    const bootstrap = coord.multiaddrs().map(a => a.toString())
    const check = (out: { verified: boolean, size: number } | undefined): void => {
      if (out?.verified !== true || out.size !== ledger.checkpointSize) throw new Error(`bench: catch-up did not verify (${JSON.stringify(out)})`)
    }
    for (let r = 0; r < opts.rounds; r++) {
      const host = await WorkerHost.spawn({ meshId: BENCH_MESH, bootstrap, workers: 1, slots: 1, index: r }, opts.signal)
      try {
        const out = await host.reconcile(log, opts.signal)
        check(out)
        catchups.push(out.ms)
        if (rounds[r] != null) rounds[r].catchupMs = round(out.ms, 0)
      } finally {
        await host.stop()
      }
      const w = await createNode({ role: 'worker', meshId: BENCH_MESH, bootstrap })
      try {
        await waitUntil(() => w.libp2p.getConnections(coord.peerId).length > 0, 20_000, 'worker to connect', opts.signal)
        const t0 = nowMs()
        const out = await w.replica?.reconcile(log, AbortSignal.any([opts.signal, AbortSignal.timeout(120_000)]))
        const ms = nowMs() - t0
        check(out)
        inProcess.push(ms)
        if (rounds[r] != null) rounds[r].catchupInProcessMs = round(ms, 0)
      } finally {
        await w.stop()
      }
    }
  } finally {
    await coord.stop()
  }
  return {
    ledgerAppendsPerSec: round(median(rounds.map(r => r.appendsPerSec)), 0),
    catchup100kMs: round(median(catchups), 0),
    catchup100kInProcessMs: round(median(inProcess), 0),
    catchupEntries: opts.catchupEntries,
    proofsGeneratedPerSec: round(median(rounds.map(r => r.proofsGeneratedPerSec)), 0),
    proofsVerifiedPerSec: round(median(rounds.map(r => r.proofsVerifiedPerSec)), 0),
    rounds
  }
}
