// Group commit for a MerkleLog: entries appended while a batch is being written go into the next
// batch, so many settlements cost one LevelDB write and one set of subtree-hash updates.
export interface Appender {
  append (entries: Uint8Array[]): Promise<{ firstIndex: number, size: number, root: Uint8Array }>
}

export class AppendQueue {
  private pending: Array<{ entry: Uint8Array, resolve: (index: number) => void, reject: (err: Error) => void }> = []
  private running = false
  /** entries handed to append(), and entries whose batch has landed or failed */
  private appended = 0
  private settled = 0
  private waiters: Array<{ upTo: number, resolve: () => void }> = []

  constructor (private readonly log: Appender, private readonly maxBatch = 1000) {}

  /** Resolves with the entry's index once it is durably in the log. */
  async append (entry: Uint8Array): Promise<number> {
    return await new Promise((resolve, reject) => {
      this.pending.push({ entry, resolve, reject })
      this.appended++
      if (!this.running) void this.drain()
    })
  }

  private async drain (): Promise<void> {
    this.running = true
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, this.maxBatch)
        try {
          const r = await this.log.append(batch.map(b => b.entry))
          batch.forEach((b, i) => { b.resolve(r.firstIndex + i) })
        } catch (err) {
          for (const b of batch) b.reject(err as Error)
        }
        this.settled += batch.length
        this.waiters = this.waiters.filter(w => { if (w.upTo > this.settled) return true; w.resolve(); return false })
      }
    } finally {
      this.running = false
    }
  }

  /**
   * Resolves once every entry appended before this call has landed (or failed). Later appends do not
   * hold it back: a checkpoint that waited for the queue to go idle waited, under sustained load,
   * for a quiet moment that never came.
   */
  async flushed (): Promise<void> {
    const upTo = this.appended
    if (this.settled >= upTo) return
    await new Promise<void>(resolve => { this.waiters.push({ upTo, resolve }) })
  }
}
