// The one way a LevelDB store is opened: a store another process holds is DataDirLockedError,
// recognised by classic-level's code (LEVEL_LOCKED, on the error or its cause), not by its text.
import { DataDirError, DataDirLockedError } from '../errors/index.js'

interface Openable { open: () => Promise<void> }

interface LevelError { code?: unknown, cause?: unknown, message?: unknown }

export function isLevelLocked (err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e != null && typeof e === 'object' && depth < 4; e = (e as LevelError).cause, depth++) {
    if ((e as LevelError).code === 'LEVEL_LOCKED') return true
  }
  return false
}

/** Opens `db`; `what` names it in the error ("ledger /data/ledger.db"). */
export async function openLevel (db: Openable, what: string): Promise<void> {
  try {
    await db.open()
  } catch (err) {
    if (isLevelLocked(err)) throw new DataDirLockedError(`${what} is in use by another process`, { cause: err })
    const cause = (err as LevelError).cause
    const detail = cause instanceof Error ? `: ${cause.message}` : ''
    throw new DataDirError(`cannot open ${what}: ${err instanceof Error ? err.message : String(err)}${detail}`, { cause: err })
  }
}
