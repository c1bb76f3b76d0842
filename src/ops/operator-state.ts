// Operator state of one node: paused / staged ramp, and per-peer drain, isolation and quarantine
// with their expiry. Operator actions enter through one narrow door, `apply(action)`, so the same
// typed actions can later arrive as signed admin messages from other nodes; self-healing uses the
// few internal methods below. Everything is persisted (a coordinator's LevelDB, else a file in the
// data dir) before apply resolves, so it survives restarts.
import { InvalidArgumentError } from '../errors/index.js'
import { UnknownNodeError } from '../errors/index.js'

export interface StagedRamp {
  /** assignments per second in the first step */
  initialPerSec: number
  /** the rate doubles after each step of this length */
  stepMs: number
  /** steps before the ramp ends and assignment is unrestricted */
  steps: number
}

export const DEFAULT_RAMP: StagedRamp = { initialPerSec: 1, stepMs: 15_000, steps: 4 }

export type OperatorAction =
  | { kind: 'pause', reason?: string }
  | { kind: 'resume', staged?: Partial<StagedRamp> }
  | { kind: 'drain', peer: string, reason?: string }
  | { kind: 'isolate', peer: string, forMs?: number, reason?: string }
  | { kind: 'return', peer: string }

export const DEFAULT_ISOLATE_MS = 60 * 60_000

export interface PeerOpsState {
  drain?: { since: number, reason: string, drainedAt?: number }
  isolate?: { since: number, until: number, reason: string }
  quarantine?: { since: number, until: number, reason: string, strikes: number, probeJob?: string }
}

export interface HistoryEntry {
  at: number
  /** who did it: an operator action, self-healing, or a worker's own report */
  by: 'operator' | 'self-healing' | 'worker' | 'expiry'
  action: string
  peer?: string
  jobId?: string
  detail: string
}

interface Persisted {
  version: 1
  paused?: { since: number, reason: string }
  ramp?: StagedRamp & { startedAt: number }
  peers: Record<string, PeerOpsState>
  history: HistoryEntry[]
}

/** Where the state document is kept. */
export interface StateBackend {
  load (): Promise<string | undefined>
  save (text: string): Promise<void>
}

const HISTORY_LIMIT = 500

export interface OperatorStateEvents {
  /** called after every change, with what changed (for side effects: hang up, tell a worker) */
  onChange?: (change: HistoryEntry) => void
}

export class OperatorState {
  private doc: Persisted = { version: 1, peers: {}, history: [] }
  private saving: Promise<void> = Promise.resolve()
  /** token bucket of the staged ramp */
  private tokens = 1
  private refilledAt = Date.now()

  constructor (private readonly backend: StateBackend, private readonly hooks: OperatorStateEvents = {}) {}

  async load (): Promise<void> {
    const text = await this.backend.load()
    if (text == null) return
    const d = JSON.parse(text) as Persisted
    if (d.version !== 1) throw new InvalidArgumentError(`operator state version ${String(d.version)} is not understood`)
    this.doc = { version: 1, paused: d.paused, ramp: d.ramp, peers: d.peers ?? {}, history: d.history ?? [] }
  }

  /** The one entry point for operator actions (CLI, control API; later signed admin messages). */
  /**
   * `issuedAt`: when the signed action was issued, for one that arrives late (admin-sync to a
   * coordinator that joined later): a time-bounded action runs from then, so an isolation that has
   * ended is not applied again with a fresh period.
   */
  async apply (action: OperatorAction, now = Date.now(), issuedAt?: number): Promise<HistoryEntry> {
    switch (action.kind) {
      case 'pause':
        this.doc.paused = { since: now, reason: action.reason ?? '' }
        this.doc.ramp = undefined
        return await this.record({ at: now, by: 'operator', action: 'pause', detail: action.reason ?? 'new assignments paused' })
      case 'resume': {
        this.doc.paused = undefined
        if (action.staged != null) {
          const r = { ...DEFAULT_RAMP, ...definedOnly(action.staged) }
          if (!(r.initialPerSec > 0) || !(r.stepMs >= 100) || !Number.isInteger(r.steps) || r.steps < 1 || r.steps > 20) {
            throw new InvalidArgumentError('a staged resume needs initialPerSec > 0, stepMs >= 100 and 1..20 steps')
          }
          this.doc.ramp = { ...r, startedAt: now }
          this.tokens = 1
          this.refilledAt = now
          return await this.record({ at: now, by: 'operator', action: 'resume-staged', detail: `assignment rate ${r.initialPerSec}/s doubling every ${r.stepMs} ms for ${r.steps} steps` })
        }
        this.doc.ramp = undefined
        return await this.record({ at: now, by: 'operator', action: 'resume', detail: 'assignments resumed' })
      }
      case 'drain': {
        const p = this.peer(checkPeer(action.peer))
        p.drain = { since: now, reason: action.reason ?? '' }
        return await this.record({ at: now, by: 'operator', action: 'drain', peer: action.peer, detail: action.reason ?? 'no new work; running jobs finish' })
      }
      case 'isolate': {
        const forMs = action.forMs ?? DEFAULT_ISOLATE_MS
        if (!Number.isInteger(forMs) || forMs < 1) throw new InvalidArgumentError('an isolation period must be a positive number of milliseconds')
        const since = Math.min(issuedAt ?? now, now)
        if (since + forMs <= now) {
          return await this.record({ at: now, by: 'operator', action: 'isolate-ended', peer: checkPeer(action.peer), detail: `not applied: the isolation signed at ${new Date(since).toISOString()} ended at ${new Date(since + forMs).toISOString()}` })
        }
        const p = this.peer(checkPeer(action.peer))
        p.isolate = { since, until: since + forMs, reason: action.reason ?? '' }
        return await this.record({ at: now, by: 'operator', action: 'isolate', peer: action.peer, detail: `disconnected and denied until ${new Date(since + forMs).toISOString()}${action.reason != null ? `: ${action.reason}` : ''}` })
      }
      case 'return': {
        const p = this.doc.peers[checkPeer(action.peer)]
        if (p == null) throw new UnknownNodeError(`node ${action.peer} is not drained, isolated or quarantined here`)
        delete this.doc.peers[action.peer]
        return await this.record({ at: now, by: 'operator', action: 'return', peer: action.peer, detail: 'back in service' })
      }
    }
  }

  // --- internal transitions (self-healing, worker reports, expiry) ---

  async quarantine (peer: string, forMs: number, reason: string, now = Date.now()): Promise<HistoryEntry> {
    const p = this.peer(peer)
    const strikes = (p.quarantine?.strikes ?? 0) + 1
    p.quarantine = { since: now, until: now + forMs, reason, strikes }
    return await this.record({ at: now, by: 'self-healing', action: 'quarantine', peer, detail: `${reason}; cooldown ${forMs} ms (strike ${strikes})` })
  }

  async setProbe (peer: string, jobId: string | undefined, now = Date.now()): Promise<void> {
    const q = this.doc.peers[peer]?.quarantine
    if (q == null) return
    q.probeJob = jobId
    await this.record({ at: now, by: 'self-healing', action: jobId != null ? 'probe-submitted' : 'probe-abandoned', peer, ...(jobId != null ? { jobId } : {}), detail: jobId != null ? 'probe job queued for this worker only' : 'probe not claimed; will retry' })
  }

  /** The probe passed: the worker is back in service. */
  async release (peer: string, jobId: string, now = Date.now()): Promise<void> {
    const p = this.doc.peers[peer]
    if (p?.quarantine == null) return
    p.quarantine = undefined
    this.prune(peer)
    await this.record({ at: now, by: 'self-healing', action: 'release', peer, jobId, detail: 'probe job succeeded; back in service' })
  }

  /** The probe failed: a longer cooldown. */
  async extend (peer: string, forMs: number, jobId: string, reason: string, now = Date.now()): Promise<void> {
    const q = this.doc.peers[peer]?.quarantine
    if (q == null) return
    q.strikes++
    q.until = now + forMs
    q.probeJob = undefined
    await this.record({ at: now, by: 'self-healing', action: 'probe-failed', peer, jobId, detail: `${reason}; cooldown ${forMs} ms (strike ${q.strikes})` })
  }

  async markDrained (peer: string, now = Date.now()): Promise<boolean> {
    const d = this.doc.peers[peer]?.drain
    if (d == null || d.drainedAt != null) return false
    d.drainedAt = now
    await this.record({ at: now, by: 'worker', action: 'drained', peer, detail: 'no jobs running' })
    return true
  }

  /** Drops isolations whose period is over; returns the peers let back in. */
  async expire (now = Date.now()): Promise<string[]> {
    const out: string[] = []
    for (const [peer, p] of Object.entries(this.doc.peers)) {
      if (p.isolate != null && p.isolate.until <= now) {
        p.isolate = undefined
        this.prune(peer)
        out.push(peer)
        await this.record({ at: now, by: 'expiry', action: 'isolation-ended', peer, detail: 'isolation period over' })
      }
    }
    this.rampRate(now)
    return out
  }

  /** Records what self-healing did that is not a state change (a stuck job acted on). */
  async note (entry: Omit<HistoryEntry, 'at'>, now = Date.now()): Promise<HistoryEntry> {
    return await this.record({ at: now, ...entry })
  }

  // --- queries ---

  get paused (): boolean { return this.doc.paused != null }
  get pausedInfo (): { since: number, reason: string } | undefined { return this.doc.paused }
  get peers (): Readonly<Record<string, PeerOpsState>> { return this.doc.peers }
  peerState (peer: string): PeerOpsState | undefined { return this.doc.peers[peer] }
  history (limit = 100): HistoryEntry[] { return this.doc.history.slice(-limit) }

  isDenied (peer: string, now = Date.now()): boolean {
    const i = this.doc.peers[peer]?.isolate
    return i != null && i.until > now
  }

  /** The ramp in force, with the current step and rate; undefined when assignment is unrestricted. */
  ramp (now = Date.now()): { step: number, steps: number, ratePerSec: number, endsAt: number } | undefined {
    const r = this.doc.ramp
    if (r == null) return undefined
    const step = Math.floor((now - r.startedAt) / r.stepMs)
    if (step >= r.steps) return undefined
    return { step: step + 1, steps: r.steps, ratePerSec: r.initialPerSec * 2 ** step, endsAt: r.startedAt + r.steps * r.stepMs }
  }

  /** Current ramp rate; ends a finished ramp (recorded once). */
  private rampRate (now: number): number {
    const r = this.ramp(now)
    if (r == null && this.doc.ramp != null) {
      this.doc.ramp = undefined
      void this.record({ at: now, by: 'expiry', action: 'ramp-complete', detail: 'staged resume complete; assignment unrestricted' })
    }
    return r?.ratePerSec ?? Infinity
  }

  /** Whether the ramp lets one more assignment through now (see `reserve`). */
  rampAllows (now = Date.now()): string | undefined {
    const rate = this.rampRate(now)
    if (rate === Infinity) return undefined
    // a bucket of one token: assignments are paced, never burst (a bucket of `rate` tokens let a
    // step start with up to a second's worth saved up, refilled at the new rate)
    this.tokens = Math.min(1, this.tokens + (now - this.refilledAt) / 1000 * rate)
    this.refilledAt = now
    if (this.tokens >= 1) return undefined
    const r = this.ramp(now)
    return `staged resume: assignments limited to ${rate}/s (step ${r?.step ?? 0} of ${r?.steps ?? 0})`
  }

  /**
   * An assignment is being made: take a token now, synchronously, so claims that woke together
   * cannot all pass on the same one; the returned function gives it back if none was made.
   */
  reserve (): () => void {
    if (this.doc.ramp == null) return () => {}
    this.tokens -= 1
    let undone = false
    return () => { if (!undone) { undone = true; this.tokens = Math.min(1, this.tokens + 1) } }
  }

  toJSON (now = Date.now()): unknown {
    return {
      paused: this.doc.paused != null,
      pausedSince: this.doc.paused != null ? new Date(this.doc.paused.since).toISOString() : undefined,
      ramp: this.ramp(now),
      peers: this.doc.peers
    }
  }

  private peer (id: string): PeerOpsState {
    this.doc.peers[id] ??= {}
    return this.doc.peers[id]
  }

  private prune (peer: string): void {
    const p = this.doc.peers[peer]
    if (p != null && p.drain == null && p.isolate == null && p.quarantine == null) delete this.doc.peers[peer]
  }

  private async record (entry: HistoryEntry): Promise<HistoryEntry> {
    this.doc.history.push(entry)
    if (this.doc.history.length > HISTORY_LIMIT) this.doc.history.splice(0, this.doc.history.length - HISTORY_LIMIT)
    // one write at a time, each of the whole document: the last write always holds the latest state
    const text = JSON.stringify(this.doc)
    this.saving = this.saving.catch(() => {}).then(async () => { await this.backend.save(text) })
    await this.saving
    this.hooks.onChange?.(entry)
    return entry
  }
}

function checkPeer (peer: string): string {
  // base58btc Ed25519 (12D3Koo...) and other libp2p peer id strings
  if (!/^[1-9A-HJ-NP-Za-km-z]{40,100}$/.test(peer)) throw new InvalidArgumentError(`"${peer}" is not a peer id`)
  return peer
}

function definedOnly<T extends object> (o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
