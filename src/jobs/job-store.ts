// The coordinator's durable queue: every job record in LevelDB, written before any reply that
// depends on it, so kill -9 at any moment loses no job. Non-terminal jobs are mirrored in memory
// for dispatch; terminal ones are read from disk on demand.
import { openLevel } from '../util/open-level.js'
import { Level } from 'level'
import type { JobRecord, JobState } from './types.js'
import { TERMINAL_STATES } from './types.js'
import { DataDirError } from '../errors/index.js'

function sub (db: Level<string, string>, name: string) {
  return db.sublevel<string, string>(name, { valueEncoding: 'utf8' })
}
type Sub = ReturnType<typeof sub>

/** finished jobs kept in memory, newest last */
const RECENT_FINISHED = 4096

export class JobStore {
  private readonly db: Level<string, string>
  private readonly jobs: Sub
  private readonly meta: Sub
  /** non-terminal jobs, by id */
  readonly live = new Map<string, JobRecord>()
  /** ids of finished jobs that hold an accepted result (found at open; for settlement reconciliation) */
  readonly finishedWithResult: string[] = []
  private nextSeq = 1
  private readonly counts = new Map<JobState, number>()
  /**
   * the last jobs to finish, as written: whoever looks at a job right after it ends (the ops health
   * record, a client waiting for it, a result retry) reads it here instead of from disk
   */
  private readonly recent = new Map<string, string>()

  constructor (path: string) {
    this.db = new Level<string, string>(path, { valueEncoding: 'utf8' })
    this.jobs = sub(this.db, 'jobs')
    this.meta = sub(this.db, 'meta')
  }

  async open (): Promise<void> {
    await openLevel(this.db, `job store ${this.db.location}`)
    for await (const [, value] of this.jobs.iterator()) {
      const rec = JSON.parse(value) as JobRecord
      this.count(rec.state, 1)
      if (rec.seq >= this.nextSeq) this.nextSeq = rec.seq + 1
      if (!TERMINAL_STATES.has(rec.state)) this.live.set(rec.id, rec)
      else if (rec.result != null && rec.result.error == null) this.finishedWithResult.push(rec.id)
    }
  }

  async close (): Promise<void> {
    while (this.writing != null || this.next != null) await (this.next ?? this.writing)?.catch(() => {})
    await this.db.close()
  }

  /** the whole database, for consistent snapshots (src/ops/backup.ts) */
  get database (): Level<string, string> { return this.db }

  allocateSeq (): number {
    return this.nextSeq++
  }

  /**
   * A write that failed (a full disk) leaves memory ahead of disk: from then on the store refuses
   * every read and write until a restart reloads what is on disk. Acting on the unwritten state
   * could settle a result the store never recorded (the job would then run again after a restart
   * and be paid for twice in two places' views).
   */
  private failed?: Error

  private checkWritable (): void {
    if (this.failed != null) throw new DataDirError(`job store stopped after a write failure (${this.failed.message}); restart the coordinator once the data dir has room`)
  }

  async get (id: string): Promise<JobRecord | undefined> {
    this.checkWritable()
    const live = this.live.get(id)
    if (live != null) return live
    const v = this.pending.get(id) ?? this.recent.get(id) ?? await this.jobs.get(id)
    return v == null ? undefined : JSON.parse(v) as JobRecord
  }

  /**
   * Persists a record (new or changed) and updates the in-memory view at once. Writes are group
   * committed: every change made while a batch is on disk goes into the next batch, in order, with the
   * latest snapshot of each job winning. LevelDB writes issued concurrently may land in any order, so
   * this queue is also what keeps a later state from being overwritten by an earlier one.
   */
  async put (rec: JobRecord, previous?: JobState): Promise<void> {
    this.checkWritable()
    // snapshot and count now: the caller may change the record again before the write lands
    const json = JSON.stringify(rec)
    this.pending.set(rec.id, json)
    this.apply(rec, previous, json)
    await this.flush()
  }

  async putMany (changes: Array<{ rec: JobRecord, previous?: JobState }>): Promise<void> {
    if (changes.length === 0) return
    this.checkWritable()
    for (const c of changes) {
      const json = JSON.stringify(c.rec)
      this.pending.set(c.rec.id, json)
      this.apply(c.rec, c.previous, json)
    }
    await this.flush()
  }

  private readonly pending = new Map<string, string>()
  private writing?: Promise<void>
  private next?: Promise<void>

  /** Resolves once everything pending now is on disk. */
  private async flush (): Promise<void> {
    if (this.writing == null) {
      this.writing = this.writeBatch().finally(() => { this.writing = undefined })
      return await this.writing
    }
    // a batch is on disk already: ride the next one
    this.next ??= this.writing.catch(() => {}).then(async () => {
      this.next = undefined
      await this.flush()
    })
    return await this.next
  }

  private async writeBatch (): Promise<void> {
    this.checkWritable()
    const ops = [...this.pending].map(([key, value]) => ({ type: 'put' as const, key, value }))
    this.pending.clear()
    try {
      await this.jobs.batch(ops)
    } catch (err) {
      this.failed = err instanceof Error ? err : new Error(String(err))
      throw new DataDirError(`job store write failed: ${this.failed.message}`)
    }
  }

  private apply (rec: JobRecord, previous: JobState | undefined, json: string): void {
    if (previous !== rec.state) {
      if (previous != null) this.count(previous, -1)
      this.count(rec.state, 1)
    }
    if (TERMINAL_STATES.has(rec.state)) {
      this.live.delete(rec.id)
      this.recent.delete(rec.id)
      this.recent.set(rec.id, json)
      if (this.recent.size > RECENT_FINISHED) this.recent.delete(this.recent.keys().next().value as string)
    } else {
      this.live.set(rec.id, rec)
    }
  }

  private count (state: JobState, delta: number): void {
    this.counts.set(state, (this.counts.get(state) ?? 0) + delta)
  }

  countsByState (): Record<JobState, number> {
    return {
      queued: this.counts.get('queued') ?? 0,
      assigned: this.counts.get('assigned') ?? 0,
      running: this.counts.get('running') ?? 0,
      succeeded: this.counts.get('succeeded') ?? 0,
      failed: this.counts.get('failed') ?? 0,
      cancelled: this.counts.get('cancelled') ?? 0
    }
  }

  async list (opts: { state?: JobState, limit?: number, owner?: string } = {}): Promise<JobRecord[]> {
    const out: JobRecord[] = []
    const limit = opts.limit ?? 1000
    await this.flush()
    for await (const [, value] of this.jobs.iterator()) {
      const rec = JSON.parse(value) as JobRecord
      if (opts.state != null && rec.state !== opts.state) continue
      if (opts.owner != null && rec.owner !== opts.owner) continue
      out.push(rec)
    }
    out.sort((a, b) => a.seq - b.seq)
    return out.slice(-limit)
  }

  async getMeta (key: string): Promise<string | undefined> {
    return await this.meta.get(key)
  }

  async putMeta (key: string, value: string): Promise<void> {
    await this.meta.put(key, value)
  }
}
