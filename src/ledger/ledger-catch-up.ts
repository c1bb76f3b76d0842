// Catching a restored coordinator's log up to a checkpoint it signed, from entries another node holds.
import type { MerkleLog } from './merkle/merkle-log.js'
import { CheckpointMismatchError } from '../errors/index.js'

/**
 * Appends `runs` to `merkle` until it holds `size` entries, then checks its root at `size` against
 * `rootHash`; on any failure the log is cut back to where it was and this throws. Returns the size
 * the log had before.
 */
export async function catchUpTo (merkle: MerkleLog, size: number, rootHash: Uint8Array, runs: AsyncIterable<{ index: number, entries: Uint8Array[] }>): Promise<number> {
  const base = merkle.size
  if (size > base) {
    try {
      for await (const run of runs) {
        if (run.index !== merkle.size) throw new CheckpointMismatchError(`entries from ${run.index}, expected ${merkle.size}`)
        const take = run.entries.slice(0, size - merkle.size)
        if (take.length > 0) await merkle.append(take)
        if (merkle.size >= size) break
      }
      if (merkle.size !== size) throw new CheckpointMismatchError(`got ${merkle.size - base} of the ${size - base} entries`)
    } catch (err) {
      await merkle.truncate(base)
      throw err
    }
  }
  const root = await merkle.root(size)
  if (Buffer.compare(Buffer.from(root), Buffer.from(rootHash)) !== 0) {
    if (size > base) await merkle.truncate(base)
    throw new CheckpointMismatchError(`our log at size ${size} does not have the root of the checkpoint we signed: it forked from it`)
  }
  return base
}
