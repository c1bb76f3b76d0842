// A coordinator restored from a backup may be behind checkpoints its key signed after that backup
// (the original ran on). Appending then would fork its own log, and every replica that saw a later
// checkpoint would record the fork as evidence against it. So while the restore marker is in the
// data dir (written by `restore`), the ledger holds every append, and the guard asks each connected
// peer for the newest checkpoint of our log it holds (the ledger service's CHECKPOINT request). A
// checkpoint signed with our key past our size: the missing entries are fetched (ledger-sync) and
// kept only if the tree then has that signed root. Appends resume once a peer holding our log
// confirmed we are at or past its checkpoint; until then submits and settlements are refused with
// LedgerAppendsHeldError, and /ready and status say why. `ledger accept-restore` is the operator's
// way out when no peer holds the log (the operator vouches that nothing newer was published).
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import type { PeerId } from '@libp2p/interface'
import { openNote, parseCheckpoint } from './merkle/checkpoint.js'
import type { CoordinatorLedger } from './coordinator-ledger.js'
import { STORES } from '../identity/store-registry.js'

export interface RestoreGuardNetwork {
  /** peers to ask (connected now) */
  peers: () => PeerId[]
  /** the newest checkpoint of `log` the peer holds; throws when it holds none */
  checkpointFrom: (peer: PeerId, log: string, signal: AbortSignal) => Promise<string>
  /** entries [from, to) of `log` from `peer` */
  syncFrom: (peer: PeerId, log: string, from: number, to: number, signal: AbortSignal) => AsyncIterable<{ index: number, entries: Uint8Array[] }>
}

export interface RestoreGuardInit {
  ledger: CoordinatorLedger
  dataDir: string
  self: string
  network?: RestoreGuardNetwork
  /** loud lines for the operator (the daemon's logger) */
  log: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void
  /** called once appends resume, with how many entries were taken in */
  onCaughtUp?: (added: number) => Promise<void>
  /** how often peers are asked while held (default 2 s) */
  intervalMs?: number
}

export class RestoreGuard {
  private timer?: ReturnType<typeof setInterval>
  private running?: Promise<void>
  private readonly abort = new AbortController()
  private added = 0

  private readonly init: RestoreGuardInit

  constructor (init: RestoreGuardInit) { this.init = { ...init } }

  private get marker (): string { return join(this.init.dataDir, STORES.restoreMarker.name) }

  /** Holds the ledger's appends when the data dir was restored from a backup. Call before anything appends. */
  async open (): Promise<void> {
    let text: string
    try { text = await readFile(this.marker, 'utf8') } catch { return }
    let backupAt = 'an unknown time'
    try { backupAt = (JSON.parse(text) as { backupCreatedAt?: string }).backupCreatedAt ?? backupAt } catch {}
    this.init.ledger.holdAppends(`restored from a backup of ${backupAt}: this coordinator appends nothing to its ledger (no submits, no settlements) until a peer holding its log shows it is not behind a checkpoint it signed since (or an operator runs: edgecoder-node ledger accept-restore)`)
    this.init.log('error', 'ledger appends held: restored from a backup; catching up from replicas before the first append', { backupCreatedAt: backupAt, ledgerSize: this.init.ledger.size })
  }

  get held (): string | undefined { return this.init.ledger.appendsHeld }

  /** Starts asking peers (now, on every new connection's next round, every intervalMs). */
  attach (network: RestoreGuardNetwork): void {
    this.init.network = network
    this.start()
  }

  start (): void {
    if (this.held == null || this.init.network == null) return
    this.timer = setInterval(() => { void this.check() }, this.init.intervalMs ?? 2_000)
    this.timer.unref?.()
    void this.check()
  }

  stop (): void {
    if (this.timer != null) clearInterval(this.timer)
    this.abort.abort()
  }

  /** One round: asks every connected peer; resumes appends once one holding our log confirms us. */
  async check (): Promise<void> {
    if (this.running != null) return await this.running
    this.running = this.round().finally(() => { this.running = undefined })
    return await this.running
  }

  private async round (): Promise<void> {
    const net = this.init.network
    const ledger = this.init.ledger
    if (net == null || this.held == null) return
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(60_000)])
    const answers: Array<{ peer: PeerId, note: string, size: number }> = []
    await Promise.all(net.peers().map(async peer => {
      try {
        const note = await net.checkpointFrom(peer, this.init.self, signal)
        const cp = parseCheckpoint(openNote(note, [ledger.noteKey]).text)
        if (cp.origin === ledger.origin) answers.push({ peer, note, size: cp.size })
      } catch (err) {
        // holds no replica of our log, or sent something not signed by us: not an answer
        this.init.log('debug', 'peer gave no checkpoint of our log', { peerId: peer.toString(), error: (err as Error).message, errorName: (err as Error).name })
      }
    }))
    if (answers.length === 0) return
    // the newest first: once we hold it, every older one is a prefix (checked as well)
    answers.sort((a, b) => b.size - a.size)
    for (const a of answers) {
      const before = ledger.size
      try {
        const n = await ledger.catchUp(a.note, net.syncFrom(a.peer, this.init.self, before, a.size, signal))
        this.added += n
        if (n > 0) this.init.log('warn', 'ledger caught up from a replica after restore', { from: a.peer.toString(), entries: n, size: ledger.size })
      } catch (err) {
        this.init.log('error', 'ledger could not catch up from a replica: appends stay held', { from: a.peer.toString(), checkpointSize: a.size, ledgerSize: ledger.size, error: (err as Error).message, errorName: (err as Error).name })
        if (a.size > ledger.size) ledger.holdAppends(`restored from a backup whose log (${ledger.size} entries) is behind checkpoint ${a.size} this key signed, held by ${a.peer.toString()}; catching up failed (${(err as Error).message}); appends stay held until it succeeds (or: edgecoder-node ledger accept-restore)`)
        return
      }
    }
    await this.resume(`confirmed by ${answers.length} peer(s) holding its log`)
  }

  /** The operator's word that no checkpoint newer than the backup exists (no peer holds the log). */
  async accept (): Promise<void> {
    if (this.held == null) return
    await this.resume('accepted by the operator')
  }

  private async resume (why: string): Promise<void> {
    const added = this.added
    this.added = 0
    await this.init.onCaughtUp?.(added)
    await rm(this.marker, { force: true })
    this.init.ledger.releaseAppends()
    if (this.timer != null) clearInterval(this.timer)
    this.init.log('warn', 'ledger appends resumed after restore', { why, ledgerSize: this.init.ledger.size, entriesCaughtUp: added })
  }
}
