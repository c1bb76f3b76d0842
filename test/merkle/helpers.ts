// Fixtures of the Merkle log specs: a real LevelDB-backed MerkleLog in a temporary directory (or
// an existing one, to reopen), the directories' cleanup, and an assertion on a thrown error's name.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { MerkleLog, type LogDb } from '../../src/ledger/merkle/merkle-log.js'

/** Expects `fn` to throw (or reject with) an error of this `name`. */
export async function rejectsNamed (fn: () => unknown, name: string, label = ''): Promise<Error> {
  try {
    await fn()
  } catch (err) {
    assert.equal((err as Error).name, name, `${label}: expected ${name}, got ${(err as Error).name}: ${(err as Error).message}`)
    return err as Error
  }
  assert.fail(`${label}: expected ${name}, nothing was thrown`)
}

// --- a real LevelDB per test ---

export interface Opened { db: Level<string, string>, sub: LogDb, log: MerkleLog, dir: string }
const dirs: string[] = []

export async function openLog (dir?: string): Promise<Opened> {
  dir ??= await mkdtemp(join(tmpdir(), 'merkle-'))
  if (!dirs.includes(dir)) dirs.push(dir)
  const db = new Level<string, string>(dir, { valueEncoding: 'utf8' })
  await db.open()
  const sub = db.sublevel<string, string>('log', { valueEncoding: 'utf8' })
  return { db, sub, log: await MerkleLog.open(sub), dir }
}

/** A fresh temporary directory, removed by removeLogDirs like those openLog makes. */
export async function tempLogDir (prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  dirs.push(dir)
  return dir
}

/** Removes every directory openLog and tempLogDir made so far (each spec that opens logs calls it in a root `after`). */
export async function removeLogDirs (): Promise<void> {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
}
