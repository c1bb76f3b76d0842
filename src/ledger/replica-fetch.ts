// Fetching a log's missing entries into a replica's copy: replayed as they arrive, stored in batches.
import type { MerkleLog } from './merkle/merkle-log.js'
import { CheckpointMismatchError } from '../errors/index.js'

/** What the replica needs from the network (implemented by LedgerService over libp2p). */
export interface LedgerFetcher {
  /**
   * entries [from, to) of `log`, in order, in runs of consecutive entries (`index` is the first's),
   * from the coordinator or any peer holding them; `from` names the peer that served the run
   */
  sync (log: string, from: number, to: number, signal: AbortSignal): AsyncIterable<{ index: number, entries: Uint8Array[], from?: string }>
  latestCheckpoint (log: string, signal: AbortSignal): Promise<string>
}

/** entries stored per LevelDB batch while syncing */
const WRITE_BATCH = 2000

/**
 * Fetches entries [start, size) of `log` into `merkle`: each run goes to `replay` as it arrives,
 * and is stored in LevelDB batches of WRITE_BATCH entries, one batch being written while the next
 * runs arrive; who served each run is added to `servedBy`. Returns how many entries were stored.
 */
export async function fetchEntries (fetcher: LedgerFetcher, merkle: MerkleLog, log: string, start: number, size: number, replay: (index: number, entries: Uint8Array[]) => void, servedBy: Set<string>, signal: AbortSignal): Promise<number> {
  let next = start
  let stored = 0
  let pending: Uint8Array[] = []
  let writeErr: Error | undefined
  // never rejects: a failed write is kept in writeErr and thrown at the next flush or at the end
  let writing: Promise<void> = Promise.resolve()
  const flush = async (): Promise<void> => {
    await writing
    if (writeErr != null) throw writeErr
    const batch = pending
    pending = []
    writing = merkle.append(batch, { signal }).then(() => { stored += batch.length }, (err: Error) => { writeErr = err })
  }
  try {
    for await (const run of fetcher.sync(log, start, size, signal)) {
      if (run.index !== next) throw new CheckpointMismatchError(`sync sent entry ${run.index}, expected ${next}`)
      if (run.entries.length > size - next) throw new CheckpointMismatchError(`sync sent entries past ${size}, the checkpoint's size`)
      replay(run.index, run.entries)
      servedBy.add(run.from ?? 'an unnamed source')
      next += run.entries.length
      for (const e of run.entries) pending.push(e)
      if (pending.length >= WRITE_BATCH) await flush()
    }
    if (pending.length > 0) await flush()
  } catch (err) {
    // what arrived in order before the stream broke is kept, so the next sync resumes after it
    if (pending.length > 0 && writeErr == null && !signal.aborted) await flush().catch(() => {})
    throw err
  } finally {
    // the batch being written ends before we return, whatever happened
    await writing
  }
  if (writeErr != null) throw writeErr
  if (next < size) throw new CheckpointMismatchError(`sync ended at ${next}, the checkpoint has ${size} entries`)
  return stored
}
