// Operator commands: status, admin pause|resume|state, nodes list|drain|isolate|return,
// jobs explain|dead-letters, backup, restore.
import { createWriteStream } from 'node:fs'
import { rename, rm, stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { finished } from 'node:stream/promises'
import { parse, str, int, parseDuration } from './args.js'
import { callDaemon, readApiInfo } from './api-client.js'
import { DaemonNotRunningError, InvalidArgumentError, errorFromName } from '../errors/index.js'
import { explanationText, type Explanation } from '../ops/explain.js'
import { restoreBackup, verifyBackup } from '../ops/backup.js'
import { encryptChunks, readPassphrase } from '../ops/backup-crypto.js'
import type { HistoryEntry } from '../ops/operator-state.js'
import { actionLine, adminAction, ADMIN_USAGE, NODES_USAGE } from './admission-commands.js'

type DataDirOf = (v: Record<string, unknown>) => string

export const OPS_USAGE = `
Operations:
  edgecoder-node status [--json]                     health, queue, workers, rates, ledger, flags
  edgecoder-node admin pause [--reason R]            coordinator: no new assignments; running jobs finish
  edgecoder-node admin resume [--staged [--initial-rate N] [--step-ms N] [--steps N]]
                        (pause, resume, drain, isolate, return: [--admin-key FILE] signs it with that key)
  edgecoder-node admin state [--json]                operator state and recent actions
  edgecoder-node nodes list [--json]                 peers with operator state and failure record
  edgecoder-node nodes drain|isolate|return PEER [--for DURATION] [--reason R]
  edgecoder-node jobs explain ID [--json]            why a job is where it is
  edgecoder-node jobs dead-letters [--limit N] [--json]
  edgecoder-node backup FILE [--passphrase-file F]   one consistent snapshot of every store of the
                                                     running node; it holds the identity key: encrypted
                                                     (age, scrypt) with the first line of F or with
                                                     EDGECODER_BACKUP_PASSPHRASE when set (--no-encrypt: never)
  edgecoder-node restore FILE --data-dir D [--passphrase-file F]
                                                     into a new, empty data dir (an encrypted FILE needs
                                                     F or EDGECODER_BACKUP_PASSPHRASE)`

const common = { 'data-dir': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const

function out (json: boolean, value: unknown, text: string): void {
  process.stdout.write((json ? JSON.stringify(value, null, 2) : text) + '\n')
}

/** "90s", "30m", "2h", "1d", "1500ms" or plain milliseconds. */
function entryText (e: HistoryEntry): string {
  return `${new Date(e.at).toISOString()}  ${e.by.padEnd(12)}  ${e.action}${e.peer != null ? `  ${e.peer}` : ''}${e.jobId != null ? `  job ${e.jobId.slice(0, 16)}` : ''}  ${e.detail}`
}

export function opsCommands (dataDirOf: DataDirOf): Record<string, (argv: string[]) => Promise<void>> {
  const action = async (values: Record<string, unknown>, body: Record<string, unknown>): Promise<void> => {
    if (str(values['admin-key']) != null) {
      // signed here with that admin key, like approve or blacklist, and applied by every coordinator holding it
      const peer = typeof body.peer === 'string' ? body.peer : ''
      const reason = body.kind === 'pause' || body.kind === 'drain' || body.kind === 'isolate' ? str(body.reason) ?? '' : ''
      const r = await adminAction(values, dataDirOf, { kind: 'OPERATOR', target: peer, reason, value: JSON.stringify(body) })
      out(values.json === true, r, actionLine(r))
      return
    }
    const r = await callDaemon<{ entry: HistoryEntry, state: unknown }>(dataDirOf(values), 'POST', '/v1/ops/actions', body)
    out(values.json === true, r, entryText(r.entry))
  }
  return {
    async status (argv) {
      const { values } = parse(argv, common, false)
      const s = await callDaemon<Record<string, unknown>>(dataDirOf(values), 'GET', '/status')
      out(values.json === true, s, statusText(s))
    },
    async admin (argv) {
      const sub = argv[0]
      const { values } = parse(argv.slice(1), { ...common, 'admin-key': { type: 'string' }, reason: { type: 'string' }, staged: { type: 'boolean' }, 'initial-rate': { type: 'string' }, 'step-ms': { type: 'string' }, steps: { type: 'string' } }, false)
      if (sub === 'pause') return await action(values, { kind: 'pause', reason: str(values.reason) })
      if (sub === 'resume') {
        const tuned = ['initial-rate', 'step-ms', 'steps'].some(k => values[k] != null)
        if (tuned && values.staged !== true) throw new InvalidArgumentError('--initial-rate, --step-ms and --steps go with --staged')
        const staged = values.staged === true
          ? { initialPerSec: int(values['initial-rate'], '--initial-rate', 1, 100_000), stepMs: int(values['step-ms'], '--step-ms', 100, 86_400_000), steps: int(values.steps, '--steps', 1, 20) }
          : undefined
        return await action(values, { kind: 'resume', staged })
      }
      if (sub === 'state' && values['admin-key'] != null) throw new InvalidArgumentError('--admin-key goes with admin pause and resume (state signs nothing)')
      if (sub === 'state') {
        const r = await callDaemon<{ state: { paused: boolean, ramp?: { step: number, steps: number, ratePerSec: number }, peers: Record<string, unknown> }, history: HistoryEntry[], awaitingApproval?: Array<{ peerId: string, role?: string, label: string, since: string }> }>(dataDirOf(values), 'GET', '/v1/ops/state?limit=30')
        const pending = r.awaitingApproval ?? []
        const lines = [`paused: ${r.state.paused ? 'yes' : 'no'}`, `ramp:   ${r.state.ramp != null ? `${r.state.ramp.ratePerSec}/s (step ${r.state.ramp.step} of ${r.state.ramp.steps})` : 'none'}`, `peers under restriction: ${Object.keys(r.state.peers).length}`,
          `awaiting approval: ${pending.length === 0 ? 'none' : `${pending.length} (edgecoder-node nodes approve ID)`}`, ...pending.map(p => `  ${p.peerId}  ${p.role ?? 'worker'}  since ${p.since}${p.label !== '' ? `  "${p.label}"` : ''}`),
          'recent actions:', ...r.history.map(e => '  ' + entryText(e))]
        return out(values.json === true, r, lines.join('\n'))
      }
      throw new InvalidArgumentError(ADMIN_USAGE)
    },
    async nodes (argv) {
      const sub = argv[0]
      const { values, positionals } = parse(argv.slice(1), { ...common, 'admin-key': { type: 'string' }, reason: { type: 'string' }, for: { type: 'string' } })
      if (sub === 'list') {
        if (values['admin-key'] != null) throw new InvalidArgumentError('--admin-key goes with nodes drain, isolate and return (list signs nothing)')
        const r = await callDaemon<{ nodes: Array<Record<string, unknown>> }>(dataDirOf(values), 'GET', '/v1/ops/nodes')
        return out(values.json === true, r.nodes, r.nodes.length === 0 ? '(no nodes)' : r.nodes.map(n => `${String(n.peerId)}  ${String(n.role).padEnd(11)}  ${n.connected === true ? 'connected' : 'offline  '}  ${String(n.status)}${n.failureRate != null ? `  failure rate ${(Number(n.failureRate) * 100).toFixed(0)}%` : ''}${Number(n.runningHere) > 0 ? `  running ${String(n.runningHere)}` : ''}${grantText(n.grant)}`).join('\n'))
      }
      if (sub === 'drain' || sub === 'isolate' || sub === 'return') {
        const peer = positionals[0]
        if (peer == null || positionals.length !== 1) throw new InvalidArgumentError(`usage: edgecoder-node nodes ${sub} PEER_ID`)
        if (values.for != null && sub !== 'isolate') throw new InvalidArgumentError('--for goes with nodes isolate')
        const forMs = str(values.for) != null ? parseDuration(str(values.for) as string, '--for') : undefined
        return await action(values, { kind: sub, peer, reason: str(values.reason), forMs })
      }
      throw new InvalidArgumentError(NODES_USAGE)
    },
    async backup (argv) {
      const { values, positionals } = parse(argv, { ...common, 'passphrase-file': { type: 'string' }, 'no-encrypt': { type: 'boolean' } })
      if (positionals.length !== 1) throw new InvalidArgumentError('usage: edgecoder-node backup FILE [--passphrase-file F | --no-encrypt] [--data-dir D]')
      const file = resolve(positionals[0])
      if (await stat(file).then(() => true, () => false)) throw new InvalidArgumentError(`${file} exists; choose a new file name`)
      if (values['no-encrypt'] === true && values['passphrase-file'] != null) throw new InvalidArgumentError('--no-encrypt and --passphrase-file exclude each other')
      const passphrase = values['no-encrypt'] === true ? undefined : await readPassphrase(str(values['passphrase-file']))
      const dataDir = dataDirOf(values)
      const api = await readApiInfo(dataDir)
      let res: Response
      try {
        res = await fetch(`${api.url}/v1/backup`, { method: 'POST', headers: { authorization: `Bearer ${api.token}` } })
      } catch (err) {
        throw new DaemonNotRunningError(`the daemon for ${dataDir} does not answer at ${api.url} (${(err as Error).message})`)
      }
      if (!res.ok || res.body == null) {
        const e = await res.json().catch(() => ({})) as { error?: { name: string, message: string } }
        throw errorFromName(e.error?.name ?? 'RemoteError', e.error?.message ?? `HTTP ${res.status}`)
      }
      const tmp = `${file}.partial`
      const w = createWriteStream(tmp, { mode: 0o600 })
      try {
        // the passphrase stays in this process: the daemon sends plaintext over loopback
        const body = res.body as AsyncIterable<Uint8Array>
        const chunks = passphrase != null ? await encryptChunks(body, passphrase) : body
        for await (const chunk of chunks) if (!w.write(chunk)) await new Promise<void>(resolve => w.once('drain', resolve))
        w.end()
        await finished(w)
        // check what arrived (decrypting it) before calling it a backup
        const h = await verifyBackup(tmp, { passphrase })
        await rename(tmp, file)
        const size = (await stat(file)).size
        const leftOut = h.leftOut ?? []
        const text = [
          `backup of ${h.role} ${h.peerId} written to ${file} (${size} bytes, ${h.lines} records${h.ledger != null ? `, ledger size ${h.ledger.size}` : ''})`,
          `stores: ${(h.stores ?? []).join(', ')}`,
          ...(leftOut.length > 0 ? [`warning: not in the backup (no registered store): ${leftOut.join(', ')}`] : []),
          passphrase != null
            ? 'it holds the node\'s identity key, encrypted with your passphrase (age): without the passphrase it cannot be restored'
            : 'it holds the node\'s identity key UNENCRYPTED: keep it as secret as the key itself, or back up with --passphrase-file F'
        ]
        out(values.json === true, { file, bytes: size, encrypted: passphrase != null, holdsIdentityKey: true, ...h }, text.join('\n'))
      } catch (err) {
        w.destroy()
        await rm(tmp, { force: true })
        throw err
      }
    },
    async restore (argv) {
      const { values, positionals } = parse(argv, { ...common, 'passphrase-file': { type: 'string' } })
      if (positionals.length !== 1 || str(values['data-dir']) == null) throw new InvalidArgumentError('usage: edgecoder-node restore FILE --data-dir D (a new or empty directory) [--passphrase-file F]')
      const passphrase = await readPassphrase(str(values['passphrase-file']))
      const r = await restoreBackup(resolve(positionals[0]), dataDirOf(values), { passphrase })
      const coordinator = r.ledger != null ? `\nat start it appends nothing to its ledger until it has caught up from a replica to the newest checkpoint it signed (ledger accept-restore: an operator says there is none newer than the backup)` : ''
      out(values.json === true, r, `restored ${r.role} ${r.peerId} (backup of ${r.createdAt}) into ${dataDirOf(values)}: ${Object.entries(r.records).map(([k, v]) => `${k} ${v} records`).join(', ')}; identity key restored with mode 0600${coordinator}`)
    }
  }
}

/** `jobs explain` and `jobs dead-letters`; false for other `jobs` subcommands. */
export async function opsJobsCommand (argv: string[], dataDirOf: DataDirOf): Promise<boolean> {
  const sub = argv[0]
  if (sub === 'explain') {
    const { values, positionals } = parse(argv.slice(1), common)
    const id = positionals[0]
    if (id == null || positionals.length !== 1) throw new InvalidArgumentError('usage: edgecoder-node jobs explain ID [--data-dir D] [--json]')
    if (!/^[0-9a-f]{64}$/.test(id)) throw new InvalidArgumentError(`"${id}" is not a job id (64 lowercase hex characters)`)
    const e = await callDaemon<Explanation>(dataDirOf(values), 'GET', `/v1/ops/explain/${id}`)
    out(values.json === true, e, explanationText(e))
    return true
  }
  if (sub === 'dead-letters') {
    const { values } = parse(argv.slice(1), { ...common, limit: { type: 'string' } }, false)
    const limit = int(values.limit, '--limit', 1, 100_000) ?? 100
    const r = await callDaemon<{ deadLetters: Array<{ id: string, reason: string, failedAt: string }> }>(dataDirOf(values), 'GET', `/v1/ops/dead-letters?limit=${limit}`)
    out(values.json === true, r.deadLetters, r.deadLetters.length === 0 ? '(no dead letters)' : r.deadLetters.map(d => `${d.id}  ${d.failedAt}  ${d.reason}`).join('\n'))
    return true
  }
  return false
}

/** A coordinator's grant as this node sees it (nodes list). */
function grantText (g: unknown): string {
  if (g == null || typeof g !== 'object') return ''
  const { granted, why } = g as { granted: boolean, why: string }
  return granted ? '  granted' : `  NOT granted (${why})`
}

function statusText (s: Record<string, unknown>): string {
  const lines = [`${String(s.role)} ${String(s.peerId)}  up ${String(s.uptimeSec)} s`]
  const peers = s.peers as Record<string, number> | undefined
  if (peers != null) lines.push(`peers: ${Object.entries(peers).map(([k, v]) => `${v} ${k}`).join(', ')}`)
  lines.push(`paused: ${s.paused === true ? 'yes' : 'no'}  draining: ${s.draining === true ? 'yes' : 'no'}${s.ramp != null ? `  ramp: ${(s.ramp as { ratePerSec: number }).ratePerSec}/s` : ''}`)
  const q = s.queue as Record<string, number> | undefined
  if (q != null) lines.push(`jobs: ${Object.entries(q).map(([k, v]) => `${k} ${v}`).join(', ')}`)
  const w = s.workers as { active: string[], pending: string[], awaitingApproval?: string[] } | undefined
  if (w != null) lines.push(`workers: ${w.active.length} active, ${w.pending.length} pending${(w.awaitingApproval?.length ?? 0) > 0 ? ` (${w.awaitingApproval?.length ?? 0} awaiting approval: nodes approve ID)` : ''}`)
  if (s.assignmentRatePerSec != null) lines.push(`assignments: ${String(s.assignmentRatePerSec)}/s (last minute)`)
  const f = s.failureRates as { overall: number | null } | undefined
  if (f != null) lines.push(`failure rate: ${f.overall != null ? `${(f.overall * 100).toFixed(1)}%` : 'n/a'}`)
  const l = s.ledger as { height: number, checkpointSize: number, lastCheckpointAgeSec: number | null } | null | undefined
  if (l != null) lines.push(`ledger: height ${l.height}, checkpoint ${l.checkpointSize}${l.lastCheckpointAgeSec != null ? ` (${l.lastCheckpointAgeSec.toFixed(1)} s ago)` : ''}`)
  const wk = s.worker as { running: number, freeSlots: number, coordinators: string[], ungrantedCoordinators?: string[] } | undefined
  if (wk != null) lines.push(`running ${wk.running}, free slots ${wk.freeSlots}, coordinators ${wk.coordinators.length}${(wk.ungrantedCoordinators?.length ?? 0) > 0 ? ` (and ${wk.ungrantedCoordinators?.length ?? 0} ungranted peers offering work, ignored)` : ''}`)
  const en = s.enrollment as Record<string, { status: string, reason: string }> | undefined
  for (const [c, e] of Object.entries(en ?? {})) lines.push(`enrollment at ${c}: ${e.status}${e.reason !== '' ? ` (${e.reason})` : ''}`)
  const au = s.authority as { adminKeys: string[], coordinators: Array<{ peerId: string, state: string }>, self?: { granted: boolean, why: string } } | undefined
  if (au != null) {
    lines.push(`admin keys: ${au.adminKeys.length > 0 ? au.adminKeys.join(', ') : 'none known (no coordinator is accepted: start with the mesh\'s bootstrap file)'}`)
    lines.push(`coordinators accepted: ${au.coordinators.filter(c => c.state === 'granted').map(c => c.peerId).join(', ') || 'none'}`)
    if (au.self != null) lines.push(`this coordinator: ${au.self.granted ? 'granted' : 'NOT granted'} (${au.self.why})`)
  }
  return lines.join('\n')
}
