#!/usr/bin/env node
// edgecoder-node: init | id | start | jobs | peers | demo
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { parse, str, list, int } from './args.js'
import { callDaemon, readApiInfo } from './api-client.js'
import { cmdLedger } from './ledger-commands.js'
import { WAIT_OPTIONS, waitAndPrint, waitFlags } from './jobs-wait.js'
import { cmdToken, cmdNodes, cmdPolicy, cmdAudit, cmdAdmin } from './admission-commands.js'
import { OPS_USAGE, opsCommands, opsJobsCommand } from './ops-commands.js'
import { defaultDataDir, defaultConfig, ensureDir, exists, writeConfig, DataDirFiles, ROLES, type Role, readConfig } from '../identity/data-dir.js'
import { createKeyFile, loadKeyFile } from '../identity/key-file.js'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { InvalidArgumentError, DataDirError, EdgecoderError } from '../errors/index.js'
import type { JobStatusJson } from '../jobs/status-json.js'
import type { PeerView } from '../api/views.js'
import { isLogLevel, type LogLevel } from '../ops/logger.js'
import { loadBootstrapFile } from '../mesh/bootstrap-file.js'
import { join } from 'node:path'
import { watchLauncher } from './launcher-watch.js'
import { checkSubcommand, commandHelp, commandNames, version } from './help.js'
import { didYouMean } from './suggest.js'

const FOOTER = `--data-dir defaults to $EDGECODER_DATA_DIR or ~/.local/share/edgecoder.
Commands other than init, start, demo and ledger audit talk to the daemon running on that data dir.`

const USAGE = `edgecoder-node — peer-to-peer compute mesh node

Usage:
  edgecoder-node init   --data-dir D --role coordinator|worker|client [--bootstrap FILE] [--new-mesh]
                        (a coordinator given no bootstrap file of a mesh, or --new-mesh, creates one:
                         its key is the mesh's admin key and it grants itself)
  edgecoder-node start  --data-dir D [--role R] [--listen MULTIADDR]... [--bootstrap FILE]
                        [--http HOST:PORT] [--slots N] [--allow-command CMD]... [--log-level L]
                        [--token T (worker, client; or AGENT_REGISTRATION_TOKEN)] [--label L]
                        [--admission token|open] [--auto-approve] [--admin-key PEER_ID]... (coordinator)
  edgecoder-node id     --data-dir D [--json]
  edgecoder-node jobs submit --data-dir D --executor noop|wasm|process [--input TEXT | --input-file F]
                        [--module F.wasm] [--arg A]... [--timeout-ms N] [--max-attempts N]
                        [--price N] [--delay-ms N] [--label L] [--coordinator PEER] [--json]
                        [--wait [--timeout 30s [--cancel-on-timeout]] [--progress]]
  edgecoder-node jobs status ID [--json]      edgecoder-node jobs result ID [--json]
  edgecoder-node jobs list [--state S] [--json]
  edgecoder-node jobs cancel ID [--json]
  edgecoder-node peers  --data-dir D [--json]
  edgecoder-node ledger balance [ACCOUNT] | entries [--from N --limit K] | checkpoint
                        | proof --index N [--tree-size T] | consistency --from M [--to N]
                        | verify [--all] | reconcile [--all] | evidence | receipts   [--log PEER] [--json]
                        | submit-checkpoint FILE|-   (a checkpoint seen elsewhere, checked by the daemon)
                        (--all: every log this node holds, e.g. a worker following several coordinators)
                        | accept-restore   (a restored coordinator: resume appends when no peer holds its log)
  edgecoder-node ledger audit --checkpoint FILE --key NOTE_KEY [--proof FILE]...
                        [--entries FILE]... [--approver PEER_ID]... [--json]
                        (offline: no daemon; checks the signed note, proofs and, with --entries
                         (\`ledger entries --json\`), the whole log and every welcome grant)
  edgecoder-node token  create [--uses N] [--expires DURATION|never (default 7d)] [--label L] [--auto-approve]
                        | list | revoke ID
  edgecoder-node nodes  list [--pending|--active|--rejected] | approve ID | reject ID [--reason R]
                        | blacklist add ID --reason R [--expires T] | blacklist remove ID | blacklist list
  edgecoder-node policy show | set KEY JSON_VALUE
  edgecoder-node audit  list | verify
  edgecoder-node admin  keygen --out FILE
                        | coordinator add PEER_ID [--label L] [--expires T] | coordinator remove PEER_ID
                        | coordinator list | key add PEER_ID | key remove PEER_ID
                        (approve, reject, blacklist, policy set, coordinator and key changes, and the
                         operator actions pause, resume, drain, isolate, return are signed with
                         --admin-key FILE, default the data dir's own key)
  edgecoder-node demo   [--workers N] [--jobs N]
  edgecoder-node help   [COMMAND]               (or: edgecoder-node COMMAND --help)
  edgecoder-node version                        (or: edgecoder-node --version)
` + '\n' + FOOTER

const common = { 'data-dir': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const

function dataDirOf (v: Record<string, unknown>): string {
  const d = str(v['data-dir'])
  return d != null ? resolve(d) : defaultDataDir()
}

function out (json: boolean, value: unknown, text: string): void {
  process.stdout.write((json ? JSON.stringify(value, null, 2) : text) + '\n')
}

async function cmdInit (argv: string[]): Promise<void> {
  const { values } = parse(argv, { ...common, role: { type: 'string' }, bootstrap: { type: 'string' }, 'new-mesh': { type: 'boolean' } }, false)
  const dataDir = dataDirOf(values)
  const role = str(values.role)
  if (role == null || !(ROLES as readonly string[]).includes(role)) throw new InvalidArgumentError(`--role must be one of ${ROLES.join(', ')}`)
  if (values['new-mesh'] === true && role !== 'coordinator') throw new InvalidArgumentError('--new-mesh is for a coordinator: it creates the mesh')
  const bootstrap = str(values.bootstrap) != null ? resolve(str(values.bootstrap) as string) : undefined
  // checked now, so a typo is found before the node is first started
  const boot = bootstrap != null ? await loadBootstrapFile(bootstrap) : undefined
  if (await exists(join(dataDir, DataDirFiles.key))) {
    throw new DataDirError(`${dataDir} is already initialised (peer id ${peerIdFromPrivateKey(await loadKeyFile(dataDir)).toString()}); nothing changed`)
  }
  await ensureDir(dataDir)
  const key = await createKeyFile(dataDir)
  const peerId = peerIdFromPrivateKey(key).toString()
  const newMesh = role === 'coordinator' && (values['new-mesh'] === true || (boot?.adminKeys ?? []).length === 0)
  await writeConfig(dataDir, { ...defaultConfig(role as Role), ...(bootstrap != null ? { bootstrap } : {}), ...(role === 'coordinator' ? { newMesh } : {}) })
  const mesh = role !== 'coordinator'
    ? ''
    : newMesh
      ? '\n  mesh:    a new mesh: this key is its admin key and the node grants itself as coordinator'
      : `\n  mesh:    joins ${boot?.meshId ?? ''}: it gives no work until an admin runs \`edgecoder-node admin coordinator add ${peerId}\``
  out(values.json === true, { peerId, role, dataDir, ...(role === 'coordinator' ? { newMesh } : {}) }, `initialised ${dataDir}\n  role:    ${role}\n  peer id: ${peerId}${mesh}`)
}

async function cmdStart (argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    ...common,
    role: { type: 'string' },
    listen: { type: 'string', multiple: true },
    bootstrap: { type: 'string' },
    http: { type: 'string' },
    slots: { type: 'string' },
    'allow-command': { type: 'string', multiple: true },
    'log-level': { type: 'string' },
    'drain-timeout-ms': { type: 'string' },
    token: { type: 'string' },
    admission: { type: 'string' },
    'auto-approve': { type: 'boolean' },
    'admin-key': { type: 'string', multiple: true },
    label: { type: 'string' }
  }, false)
  const admission = str(values.admission)
  if (admission != null && admission !== 'token' && admission !== 'open') throw new InvalidArgumentError('--admission must be token or open')
  const role = str(values.role)
  if (role != null && !(ROLES as readonly string[]).includes(role)) throw new InvalidArgumentError(`--role must be one of ${ROLES.join(', ')}`)
  const level = str(values['log-level']) ?? 'info'
  if (!isLogLevel(level)) throw new InvalidArgumentError('--log-level must be debug, info, warn or error')
  const dataDir = dataDirOf(values)
  if (role != null) {
    const cfg = await readConfig(dataDir)
    if (cfg.role !== role) throw new InvalidArgumentError(`${dataDir} was initialised as ${cfg.role}, not ${role}`)
  }
  // the daemon and the demo load all of libp2p: only the commands that run a node pay for it
  const { runDaemon } = await import('./daemon.js')
  await runDaemon({
    dataDir,
    role: role as Role | undefined,
    listen: list(values.listen),
    bootstrap: str(values.bootstrap) != null ? resolve(str(values.bootstrap) as string) : undefined,
    http: str(values.http),
    slots: int(values.slots, '--slots', 1, 1024),
    allowCommands: list(values['allow-command']),
    logLevel: level as LogLevel,
    drainTimeoutMs: int(values['drain-timeout-ms'], '--drain-timeout-ms', 0, 3_600_000) ?? 30_000,
    token: str(values.token),
    admission,
    autoApprove: values['auto-approve'] === true ? true : undefined,
    adminKeys: list(values['admin-key']),
    label: str(values.label)
  })
}

async function cmdId (argv: string[]): Promise<void> {
  const { values } = parse(argv, common, false)
  const dataDir = dataDirOf(values)
  const key = await loadKeyFile(dataDir)
  const peerId = peerIdFromPrivateKey(key).toString()
  const cfg = await readConfig(dataDir)
  let info: { multiaddrs: string[], meshId?: string, running: boolean, noteKey?: string } = { multiaddrs: [], running: false }
  try {
    await readApiInfo(dataDir)
    const n = await callDaemon<{ multiaddrs: string[], meshId: string, noteKey?: string }>(dataDir, 'GET', '/v1/node')
    info = { multiaddrs: n.multiaddrs, meshId: n.meshId, running: true, noteKey: n.noteKey }
  } catch (err) {
    if ((err as Error).name !== 'DaemonNotRunningError') throw err
  }
  const value = { peerId, role: cfg.role, running: info.running, meshId: info.meshId, multiaddrs: info.multiaddrs, ...(info.noteKey != null ? { noteKey: info.noteKey } : {}) }
  out(values.json === true, value, `peer id:    ${peerId}\nrole:       ${cfg.role}\nrunning:    ${info.running ? 'yes' : 'no'}${info.meshId != null ? `\nmesh:       ${info.meshId}` : ''}${info.noteKey != null ? `\nnote key:   ${info.noteKey}` : ''}\nmultiaddrs: ${info.multiaddrs.length > 0 ? info.multiaddrs.join('\n            ') : '(daemon not running)'}`)
}

function describeJob (j: JobStatusJson): string {
  const lines = [`${j.id}  ${j.state}  ${j.executor}${j.label !== '' ? `  "${j.label}"` : ''}`,
    `  attempt ${j.attempt}/${j.maxAttempts}  created ${j.createdAt}  updated ${j.updatedAt}`]
  if (j.reason !== '') lines.push(`  reason: ${j.reason}`)
  for (const a of j.attempts) lines.push(`  #${a.attempt} ${a.outcome} on ${a.worker}${a.reason !== '' ? ` (${a.reason})` : ''}`)
  return lines.join('\n')
}

async function cmdJobs (argv: string[]): Promise<void> {
  const sub = argv[0]
  const rest = argv.slice(1)
  if (sub === 'submit') {
    const { values } = parse(rest, {
      ...common,
      executor: { type: 'string' },
      input: { type: 'string' },
      'input-file': { type: 'string' },
      module: { type: 'string' },
      arg: { type: 'string', multiple: true },
      'timeout-ms': { type: 'string' },
      'max-attempts': { type: 'string' },
      price: { type: 'string' },
      'delay-ms': { type: 'string' },
      label: { type: 'string' },
      coordinator: { type: 'string' },
      ...WAIT_OPTIONS
    }, false)
    const dataDir = dataDirOf(values)
    const wait = waitFlags(values)
    const executor = str(values.executor)
    if (executor == null) throw new InvalidArgumentError('--executor is required (noop, wasm or process)')
    if (values.input != null && values['input-file'] != null) throw new InvalidArgumentError('give --input or --input-file, not both')
    let inputBase64: string | undefined
    const inputFile = str(values['input-file'])
    if (inputFile != null) inputBase64 = (await readFileOr(inputFile, '--input-file')).toString('base64')
    const modulePath = str(values.module)
    const body = {
      executor,
      input: str(values.input),
      inputBase64,
      moduleBase64: modulePath != null ? (await readFileOr(modulePath, '--module')).toString('base64') : undefined,
      args: list(values.arg),
      timeoutMs: int(values['timeout-ms'], '--timeout-ms', 1, 3_600_000),
      maxAttempts: int(values['max-attempts'], '--max-attempts', 1, 20),
      offeredPrice: str(values.price) != null ? String(int(values.price, '--price', 0, Number.MAX_SAFE_INTEGER)) : undefined,
      delayMs: int(values['delay-ms'], '--delay-ms', 0, 3_600_000),
      label: str(values.label),
      coordinator: str(values.coordinator)
    }
    const { id } = await callDaemon<{ id: string }>(dataDir, 'POST', '/v1/jobs', body)
    if (wait != null) { await waitAndPrint(dataDir, id, wait, values.json === true, describeJob); return }
    out(values.json === true, { id }, id)
    return
  }
  if (sub === 'status' || sub === 'result' || sub === 'cancel') {
    const { values, positionals } = parse(rest, common)
    const id = positionals[0]
    if (id == null || positionals.length !== 1) throw new InvalidArgumentError(`usage: edgecoder-node jobs ${sub} ID [--data-dir D] [--json]`)
    if (!/^[0-9a-f]{64}$/.test(id)) throw new InvalidArgumentError(`"${id}" is not a job id (64 lowercase hex characters)`)
    const dataDir = dataDirOf(values)
    const path = sub === 'status' ? `/v1/jobs/${id}` : sub === 'result' ? `/v1/jobs/${id}/result` : `/v1/jobs/${id}/cancel`
    const j = await callDaemon<JobStatusJson>(dataDir, sub === 'cancel' ? 'POST' : 'GET', path)
    if (sub === 'result') {
      if (values.json !== true && j.result == null) throw new InvalidArgumentError(`job ${id} has no result yet (state: ${j.state})`)
      out(values.json === true, j, j.result?.output ?? '')
      return
    }
    out(values.json === true, j, describeJob(j))
    return
  }
  if (sub === 'list') {
    const { values } = parse(rest, { ...common, state: { type: 'string' }, limit: { type: 'string' } }, false)
    const dataDir = dataDirOf(values)
    const q = new URLSearchParams()
    if (str(values.state) != null) q.set('state', str(values.state) as string)
    const limit = int(values.limit, '--limit', 1, 100_000)
    if (limit != null) q.set('limit', String(limit))
    const r = await callDaemon<{ jobs: JobStatusJson[] }>(dataDir, 'GET', `/v1/jobs?${q.toString()}`)
    out(values.json === true, r.jobs, r.jobs.length === 0 ? '(no jobs)' : r.jobs.map(j => `${j.id}  ${j.state.padEnd(9)}  ${j.executor.padEnd(7)}  attempt ${j.attempt}/${j.maxAttempts}  ${j.label}`).join('\n'))
    return
  }
  throw new InvalidArgumentError('usage: edgecoder-node jobs submit|status|result|list|cancel ...')
}

async function readFileOr (path: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (err) {
    throw new InvalidArgumentError(`${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

async function cmdPeers (argv: string[]): Promise<void> {
  const { values } = parse(argv, common, false)
  const r = await callDaemon<{ peers: PeerView[] }>(dataDirOf(values), 'GET', '/v1/peers')
  out(values.json === true, r.peers, r.peers.length === 0
    ? '(no connected peers)'
    : r.peers.map(p => `${p.peerId}  ${p.role.padEnd(11)}  ${p.latencyMs != null ? `${p.latencyMs} ms` : '? ms'}  ${p.addresses.join(', ')}\n    protocols: ${p.protocols.filter(x => x.startsWith('/edgecoder')).join(' ')}`).join('\n'))
}

async function cmdDemo (argv: string[]): Promise<void> {
  const { values } = parse(argv, { help: { type: 'boolean' }, workers: { type: 'string' }, jobs: { type: 'string' } }, false)
  const { runDemo } = await import('./demo.js')
  const ok = await runDemo({ workers: int(values.workers, '--workers', 1, 32) ?? 3, jobs: int(values.jobs, '--jobs', 1, 10_000) ?? 12 })
  if (!ok) process.exitCode = 1
}

export async function main (argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv
  const texts = [USAGE, OPS_USAGE]
  if (cmd === '--version' || cmd === '-V' || cmd === 'version') {
    const json = rest.includes('--json')
    out(json, { version: version(), node: process.versions.node }, `edgecoder-node ${version()}`)
    return
  }
  if (cmd == null || cmd === '--help' || cmd === '-h' || (cmd === 'help' && rest.length === 0)) {
    process.stdout.write(USAGE + '\n' + OPS_USAGE + '\n')
    if (cmd == null) process.exitCode = 2
    return
  }
  if (cmd === 'help' || rest.includes('--help') || rest.includes('-h')) {
    const of = cmd === 'help' ? rest[0] : cmd
    process.stdout.write(commandHelp(of, texts, FOOTER) + '\n')
    return
  }
  const ops = opsCommands(dataDirOf)
  const enrollmentFlag = (a: string[]): boolean => a.some(x => x === '--pending' || x === '--active' || x === '--rejected')
  const table: Record<string, (a: string[]) => Promise<void>> = {
    init: cmdInit, start: cmdStart, id: cmdId, jobs: cmdJobs, peers: cmdPeers, demo: cmdDemo, ledger: async a => { await cmdLedger(a, dataDirOf) }, ...ops,
    token: async a => { await cmdToken(a, dataDirOf) },
    policy: async a => { await cmdPolicy(a, dataDirOf) },
    audit: async a => { await cmdAudit(a, dataDirOf) },
    // operations (drain, isolate, return; list = topology and health) and admission (enrollment
    // lists, approve, reject, blacklist) share `nodes`; `admin` is pause/resume/state and keygen
    nodes: async a => { await ((a[0] === 'drain' || a[0] === 'isolate' || a[0] === 'return' || (a[0] === 'list' && !enrollmentFlag(a))) ? ops.nodes(a) : cmdNodes(a, dataDirOf)) },
    admin: async a => { await (a[0] === 'keygen' || a[0] === 'coordinator' || a[0] === 'key' ? cmdAdmin(a, dataDirOf) : ops.admin(a)) }
  }
  // jobs explain / dead-letters live with the other operator commands
  table.jobs = async a => { if (!await opsJobsCommand(a, dataDirOf)) await cmdJobs(a) }
  const fn = table[cmd]
  if (fn == null) throw new InvalidArgumentError(`unknown command "${cmd}"${didYouMean(cmd, [...Object.keys(table), ...commandNames(texts)])} (see edgecoder-node --help)`)
  checkSubcommand(cmd, rest[0])
  await fn(rest)
}

const major = Number(process.versions.node.split('.')[0])
if (major < 22) {
  process.stderr.write(`edgecoder-node needs Node >= 22 (this is ${process.versions.node}); run it through npm (npm start / npx edgecoder-node) or bin/edgecoder-node.js\n`)
  process.exit(1)
}

watchLauncher()
main(process.argv.slice(2)).catch((err: unknown) => {
  const e = err as Error
  // a user mistake is one line; an unexpected failure keeps its stack for the bug report
  if (e instanceof EdgecoderError || (typeof e?.name === 'string' && e.name.endsWith('Error') && e.name !== 'Error' && e.name !== 'TypeError' && e.name !== 'RangeError' && e.name !== 'ReferenceError')) {
    process.stderr.write(`error: ${e.message} [${e.name}]\n`)
  } else {
    process.stderr.write(`unexpected error: ${e?.stack ?? String(err)}\n`)
  }
  process.exitCode = 1
})
