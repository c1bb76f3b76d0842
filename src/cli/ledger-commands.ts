// `edgecoder-node ledger ...`: balances, entries, checkpoints, proofs, verification, reconciliation.
import { parse, str, int, list } from './args.js'
import { callDaemon, callDaemonText } from './api-client.js'
import { InvalidArgumentError, LedgerVerificationError } from '../errors/index.js'
import type { EntryJson } from '../api/ledger-view.js'
import { walletText, type WalletJson } from '../ledger/wallet.js'
import { auditCheckpoint } from '../ledger/audit.js'
import { auditLog, entriesFromJson } from '../ledger/log-audit.js'
import { readFile } from 'node:fs/promises'


const opts = { 'data-dir': { type: 'string' }, json: { type: 'boolean' }, log: { type: 'string' } } as const

function out (json: boolean, value: unknown, text: string): void {
  process.stdout.write((json ? JSON.stringify(value, null, 2) : text) + '\n')
}

/** A file's text, or standard input for `-`; one clear error naming the file otherwise. */
async function readInput (file: string): Promise<string> {
  try {
    if (file === '-') {
      const chunks: Buffer[] = []
      for await (const c of process.stdin) chunks.push(c as Buffer)
      return Buffer.concat(chunks).toString('utf8')
    }
    return await readFile(file, 'utf8')
  } catch (err) {
    throw new InvalidArgumentError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

async function readJsonFile (file: string): Promise<unknown> {
  const text = await readInput(file)
  try { return JSON.parse(text) } catch { throw new InvalidArgumentError(`${file} is not JSON`) }
}

interface VerifyJson { log?: string, ok: boolean, size: number, root: string, checkpointRoot?: string, frozen?: boolean, evidence?: number, problem?: string }
interface ReconcileOutcome { log: string, size?: number, verified: boolean, fetched?: number, receiptsProven?: number, evidence?: Array<{ kind: string, detail: string }> }

function verifyLine (r: VerifyJson): string {
  return r.ok
    ? `ok: ${r.size} entries, root ${r.root} matches the signed checkpoint`
    : `MISMATCH: ${r.problem ?? `recomputed root ${r.root} at size ${r.size}, checkpoint says ${r.checkpointRoot ?? '?'}`}${r.frozen === true ? ' (log frozen: evidence stored, see `ledger evidence`)' : ''}`
}

/** Only the fields the daemon sent: a reply without a size or counts never prints "undefined". */
function reconcileLine (o: ReconcileOutcome): string {
  const parts = [`${o.log}: ${o.verified ? 'verified' : 'NOT VERIFIED'}${o.size != null ? ` at ${o.size} entries` : ''}`]
  if (o.fetched != null) parts.push(`fetched ${o.fetched}`)
  if (o.receiptsProven != null) parts.push(`${o.receiptsProven} receipts proven`)
  return parts.join(', ') + (o.evidence ?? []).map(e => `\n  EVIDENCE ${e.kind}: ${e.detail}`).join('')
}

/** The logs `--all` names (all this node holds), or the one --log names (or the daemon's choice). */
async function logsToCheck (dataDir: string | null, values: Record<string, unknown>): Promise<Array<string | undefined>> {
  const log = str(values.log)
  if (values.all === true && log != null) throw new InvalidArgumentError('give --log PEER or --all, not both')
  if (dataDir == null || log != null) return [log]
  const { logs } = await callDaemon<{ logs: Array<{ log: string }> }>(dataDir, 'GET', '/v1/ledger/logs')
  if (values.all === true) return logs.map(l => l.log)
  if (logs.length > 1) throw new InvalidArgumentError(`this node holds ${logs.length} logs: give --all, or --log PEER for one (${logs.map(l => l.log).join(', ')})`)
  return [undefined]
}

/** One entry as a line of `ledger entries`: postings, and what the entry says (policy values, price and fee, mint reason). */
function entryLine (e: EntryJson): string {
  const head = `${String(e.index).padStart(6)}  ${e.time}  ${e.kind.padEnd(10)}`
  const postings = e.postings.map(p => `${p.account.slice(-8)}:${p.delta}`).join(' ')
  const s = e.settlement
  if (s != null) return `${head}  ${postings}  job ${s.jobId.slice(0, 12)} ${s.outcome} ${s.executor} price ${s.price} fee ${s.fee}`
  const p = e.policy
  if (p != null) {
    const v = p as { prices: string[], feeBps: number, feeRounding: string, demandStepBps: number, demandCapBps: number, issuanceWindowMs: number, issuancePerWindow: string, welcomeGrant: string, setByAdmin?: boolean }
    return `${head}  prices ${v.prices.join(' ')}; fee ${v.feeBps} bps (${v.feeRounding}); demand +${v.demandStepBps} bps/job, cap ${v.demandCapBps} bps; issuance ${v.issuancePerWindow} per ${v.issuanceWindowMs} ms; welcome ${v.welcomeGrant}${e.memo != null ? `  (${e.memo})` : ''}`
  }
  if (e.mint != null) return `${head}  ${postings}  ${e.mint.reason}${e.mint.approval != null ? ` on approval ${e.mint.approval.slice(0, 12)}…` : ''}`
  return `${head}  ${postings}${e.memo != null ? `  ${e.memo}` : ''}`
}

export async function cmdLedger (argv: string[], dataDirOf: (v: Record<string, unknown>) => string): Promise<void> {
  const sub = argv[0]
  const rest = argv.slice(1)
  const query = (pairs: Record<string, string | number | undefined>): string => {
    const q = new URLSearchParams()
    for (const [k, v] of Object.entries(pairs)) if (v != null) q.set(k, String(v))
    const s = q.toString()
    return s === '' ? '' : `?${s}`
  }
  switch (sub) {
    case 'accept-restore': {
      // the operator vouches that no checkpoint newer than the backup exists (no peer holds the log)
      const { values } = parse(rest, opts, false)
      const r = await callDaemon<{ held: boolean, size?: number }>(dataDirOf(values), 'POST', '/v1/ledger/accept-restore', {})
      out(values.json === true, r, r.held ? `ledger appends resumed at size ${String(r.size)}, on your word that this key signed no checkpoint past it` : 'ledger appends were not held')
      return
    }
    case 'balance': {
      const { values, positionals } = parse(rest, { ...opts, all: { type: 'boolean' } })
      if (positionals.length > 1) throw new InvalidArgumentError('usage: edgecoder-node ledger balance [ACCOUNT] [--all]')
      const dataDir = dataDirOf(values)
      if (positionals.length === 0 && values.all !== true) {
        // a worker's or client's own wallet; a coordinator lists every account of its log (--all elsewhere)
        const { role } = await callDaemon<{ role: string }>(dataDir, 'GET', '/v1/node')
        if (role !== 'coordinator') {
          const w = await callDaemon<WalletJson>(dataDir, 'GET', `/v1/ledger/wallet${query({ log: str(values.log) })}`)
          out(values.json === true, w, walletText(w))
          return
        }
      }
      const r = await callDaemon<{ log: string, account?: string, balance?: string, balances?: Record<string, string> }>(dataDir, 'GET', `/v1/ledger/balance${query({ account: positionals[0], log: str(values.log) })}`)
      out(values.json === true, r, r.balance != null ? r.balance : Object.entries(r.balances ?? {}).map(([k, v]) => `${v.padStart(12)}  ${k}`).join('\n'))
      return
    }
    case 'entries': {
      const { values } = parse(rest, { ...opts, from: { type: 'string' }, limit: { type: 'string' } }, false)
      const r = await callDaemon<{ treeSize: number, entries: EntryJson[] }>(dataDirOf(values), 'GET', `/v1/ledger/entries${query({ from: int(values.from, '--from', 0, Number.MAX_SAFE_INTEGER), limit: int(values.limit, '--limit', 1, 10_000), log: str(values.log) })}`)
      out(values.json === true, r, r.entries.length === 0 ? `(no entries from ${int(values.from, '--from', 0, Number.MAX_SAFE_INTEGER) ?? 0}; the checkpointed log has ${r.treeSize})` : r.entries.map(entryLine).join('\n'))
      return
    }
    case 'checkpoint': {
      const { values } = parse(rest, opts, false)
      // the signed note, byte for byte
      process.stdout.write(await callDaemonText(dataDirOf(values), 'GET', `/v1/ledger/checkpoint${query({ log: str(values.log) })}`))
      return
    }
    case 'proof': {
      const { values } = parse(rest, { ...opts, index: { type: 'string' }, 'tree-size': { type: 'string' } }, false)
      const index = int(values.index, '--index', 0, Number.MAX_SAFE_INTEGER)
      if (index == null) throw new InvalidArgumentError('--index is required')
      const r = await callDaemon<{ index: number, treeSize: number, leaf: string, hashes: string[] }>(dataDirOf(values), 'GET', `/v1/ledger/proof${query({ index, treeSize: int(values['tree-size'], '--tree-size', 1, Number.MAX_SAFE_INTEGER), log: str(values.log) })}`)
      out(true, { index: r.index, treeSize: r.treeSize, leaf: r.leaf, hashes: r.hashes }, '')
      return
    }
    case 'consistency': {
      const { values } = parse(rest, { ...opts, from: { type: 'string' }, to: { type: 'string' } }, false)
      const from = int(values.from, '--from', 1, Number.MAX_SAFE_INTEGER)
      if (from == null) throw new InvalidArgumentError('--from is required')
      const r = await callDaemon<{ from: number, to: number, fromRoot: string, toRoot: string, hashes: string[] }>(dataDirOf(values), 'GET', `/v1/ledger/consistency${query({ from, to: int(values.to, '--to', 1, Number.MAX_SAFE_INTEGER), log: str(values.log) })}`)
      out(true, { from: r.from, to: r.to, fromRoot: r.fromRoot, toRoot: r.toRoot, hashes: r.hashes }, '')
      return
    }
    case 'verify': {
      const { values } = parse(rest, { ...opts, all: { type: 'boolean' } }, false)
      const dataDir = dataDirOf(values)
      const logs = await logsToCheck(dataDir, values)
      const results: VerifyJson[] = []
      for (const log of logs) results.push(await callDaemon<VerifyJson>(dataDir, 'POST', `/v1/ledger/verify${query({ log })}`))
      const text = results.map(r => `${values.all === true ? `${r.log ?? '?'}: ` : ''}${verifyLine(r)}`).join('\n')
      out(values.json === true, values.all === true ? results : results[0], results.length === 0 ? '(no logs to verify)' : text)
      if (results.some(r => !r.ok)) throw new LedgerVerificationError(`${values.all === true ? 'a log' : 'the ledger'} does not match its signed checkpoint`)
      return
    }
    case 'reconcile': {
      const { values } = parse(rest, { ...opts, all: { type: 'boolean' } }, false)
      // every log is the default; --all says so explicitly (and is refused with --log)
      await logsToCheck(null, values)
      const r = await callDaemon<{ outcomes: ReconcileOutcome[] }>(dataDirOf(values), 'POST', `/v1/ledger/reconcile${query({ log: str(values.log) })}`, undefined, AbortSignal.timeout(300_000))
      out(values.json === true, r, r.outcomes.length === 0 ? '(no logs to reconcile)' : r.outcomes.map(reconcileLine).join('\n'))
      if (r.outcomes.some(o => !o.verified || (o.evidence ?? []).length > 0)) process.exitCode = 1
      return
    }
    case 'evidence': {
      const { values } = parse(rest, opts, false)
      const r = await callDaemon<{ evidence: Array<{ id: string, kind: string, log: string, detectedAt: string, detail: string }> }>(dataDirOf(values), 'GET', '/v1/ledger/evidence')
      out(values.json === true, r.evidence, r.evidence.length === 0 ? '(no evidence)' : r.evidence.map(e => `${e.detectedAt}  ${e.kind}  ${e.log}\n  ${e.detail}`).join('\n'))
      return
    }
    case 'receipts': {
      const { values } = parse(rest, opts, false)
      const r = await callDaemon<{ receipts: Array<{ jobId: string, log: string, proven?: { index: number } }> }>(dataDirOf(values), 'GET', `/v1/ledger/receipts${query({ log: str(values.log) })}`)
      out(values.json === true, r.receipts, r.receipts.length === 0 ? '(no receipts)' : r.receipts.map(x => `${x.jobId}  ${x.proven != null ? `proven at entry ${x.proven.index}` : 'not yet proven'}`).join('\n'))
      return
    }
    case 'audit': {
      // offline: no daemon, no network; only the texts and the coordinator's verifier key
      const { values } = parse(rest, { json: { type: 'boolean' }, checkpoint: { type: 'string' }, key: { type: 'string' }, proof: { type: 'string', multiple: true }, entries: { type: 'string', multiple: true }, approver: { type: 'string', multiple: true } }, false)
      const cpFile = str(values.checkpoint)
      const key = str(values.key)
      if (cpFile == null || key == null) throw new InvalidArgumentError('usage: edgecoder-node ledger audit --checkpoint FILE --key NOTE_KEY [--proof FILE]... [--entries FILE]... [--approver PEER_ID]...')
      const proofs = []
      for (const f of list(values.proof)) proofs.push(await readJsonFile(f))
      const note = await readInput(cpFile)
      const r = auditCheckpoint(note, key, proofs)
      const lines = [`ok: checkpoint of ${r.origin} signed by ${r.signers.join(', ')}: ${r.size} entries, root ${r.root}`,
        ...r.proofs.map(p => p.kind === 'inclusion' ? `ok: entry ${p.index} is included` : `ok: the tree of ${p.from} entries is a prefix`)]
      const entryFiles = list(values.entries)
      if (entryFiles.length === 0) { out(values.json === true, { ok: true, ...r }, lines.join('\n')); return }
      // the whole log: its entries hash to the root, replay soundly, and every grant is backed
      const files = []
      for (const f of entryFiles) files.push(await readJsonFile(f))
      const l = await auditLog(note, key, entriesFromJson(files, r.size), { approvers: list(values.approver) })
      lines.push(`ok: the ${l.entries} entries are the checkpointed log and replay soundly`,
        `ok: ${l.grants} welcome grant${l.grants === 1 ? '' : 's'}, each to one account once, each on a signed approval of that account${l.approvers.length > 0 ? ` (by ${l.approvers.join(', ')})` : ''}`)
      out(values.json === true, { ok: true, ...r, entries: l.entries, grants: l.grants, approvers: l.approvers }, lines.join('\n'))
      return
    }
    case 'submit-checkpoint': {
      const { values, positionals } = parse(rest, opts)
      if (positionals.length !== 1) throw new InvalidArgumentError('usage: edgecoder-node ledger submit-checkpoint FILE|-')
      const r = await callDaemon<{ log: string, size: number, verified: boolean, evidence: Array<{ kind: string, detail: string }> }>(dataDirOf(values), 'POST', '/v1/ledger/checkpoint', { note: await readInput(positionals[0]) }, AbortSignal.timeout(300_000))
      out(values.json === true, r, `${r.log}: ${r.verified ? 'consistent with what we hold' : 'NOT VERIFIED'} at ${r.size} entries${r.evidence.map(e => `\n  EVIDENCE ${e.kind}: ${e.detail}`).join('')}`)
      if (!r.verified || r.evidence.length > 0) process.exitCode = 1
      return
    }
  }
  throw new InvalidArgumentError('usage: edgecoder-node ledger audit|submit-checkpoint|accept-restore|balance|entries|checkpoint|proof|consistency|verify|reconcile|evidence|receipts ...')
}
