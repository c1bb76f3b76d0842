// Backup of a running node and restore into an empty data dir.
//
// The running daemon takes the snapshot (its LevelDB databases are locked to it): one iterator per
// database, all created in the same synchronous step, and classic-level iterators read from a
// snapshot taken when they are created. The ledger's is created before the job store's: a
// settlement is appended only after its job's result is on disk, so every settlement in the backup
// has its finished job in the backup too (the reverse gap, a finished job not yet settled, is
// settled again exactly once when the restored coordinator starts). Checkpoints live in the
// ledger's own database, so log and checkpoints come from the same instant.
//
// File format: JSON lines. A header, the data dir's files (identity key included), one line per
// LevelDB key/value (base64), and a trailer with the line count and the SHA-256 of every byte
// before it.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { chmod, mkdir, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Level } from 'level'
import type { EdgecoderNode } from '../node/create-node.js'
import { DataDirFiles, writeFileAtomic } from '../identity/data-dir.js'
import { BackupCorruptError, RestoreTargetNotEmptyError } from './errors.js'
import { DataDirError } from '../errors/index.js'

export const BACKUP_FORMAT = 'edgecoder-backup'
export const BACKUP_VERSION = 1

/** data-dir files a backup carries (never anything else: restore writes only these names) */
const FILES: Record<string, number> = { [DataDirFiles.key]: 0o600, [DataDirFiles.config]: 0o600, 'ops-state.json': 0o600 }
const DATABASES = new Set<string>([DataDirFiles.ledgerDb, DataDirFiles.jobsDb, DataDirFiles.replicaDb, DataDirFiles.clientDb])

export interface BackupHeader {
  format: string
  version: number
  createdAt: string
  peerId: string
  role: string
  meshId: string
  ledger?: { size: number, checkpointSize: number }
  jobs?: Record<string, number>
}

interface FileLine { file: string, mode: number, data: string }
interface DbLine { db: string, k: string, v: string }
interface Trailer { end: true, lines: number, sha256: string }

/** The backup of a running node, as chunks to write out in order. */
export async function * createBackup (node: EdgecoderNode, dataDir: string, signal?: AbortSignal): AsyncGenerator<string> {
  const sources: Array<[string, Level<string, string> | undefined]> = [
    [DataDirFiles.ledgerDb, node.ledger?.database],
    [DataDirFiles.jobsDb, node.coordinator?.store.database],
    [DataDirFiles.replicaDb, node.replica?.database],
    [DataDirFiles.clientDb, node.jobs.database]
  ]
  const header: BackupHeader = {
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    createdAt: new Date().toISOString(),
    peerId: node.peerId.toString(),
    role: node.role,
    meshId: node.meshId,
    ...(node.ledger != null ? { ledger: { size: node.ledger.size, checkpointSize: node.ledger.checkpointSize } } : {}),
    ...(node.coordinator != null ? { jobs: node.coordinator.store.countsByState() } : {})
  }
  // every snapshot in one synchronous step, ledger first (see above)
  const iterators = sources
    .filter((s): s is [string, Level<string, string>] => s[1] != null && s[1].status === 'open')
    .map(([name, db]) => [name, db.iterator<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })] as const)
  const hash = createHash('sha256')
  let lines = 0
  const line = (o: unknown): string => {
    const text = JSON.stringify(o) + '\n'
    hash.update(text)
    lines++
    return text
  }
  try {
    yield line(header)
    for (const [file, mode] of Object.entries(FILES)) {
      let data: Buffer
      try { data = await readFile(join(dataDir, file)) } catch { continue }
      yield line({ file, mode, data: data.toString('base64') } satisfies FileLine)
    }
    for (const [db, it] of iterators) {
      for (;;) {
        signal?.throwIfAborted()
        const batch = await it.nextv(1000)
        if (batch.length === 0) break
        let chunk = ''
        for (const [k, v] of batch) chunk += line({ db, k: Buffer.from(k).toString('base64'), v: Buffer.from(v).toString('base64') } satisfies DbLine)
        yield chunk
      }
    }
  } finally {
    for (const [, it] of iterators) await it.close().catch(() => {})
  }
  const trailer: Trailer = { end: true, lines, sha256: hash.digest('hex') }
  yield JSON.stringify(trailer) + '\n'
}

/** Reads a backup file line by line. */
async function * readLines (file: string): AsyncGenerator<string> {
  let stream
  try {
    stream = createReadStream(file, { encoding: 'utf8' })
    yield * createInterface({ input: stream, crlfDelay: Infinity })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') throw new BackupCorruptError(`cannot read backup ${file}: ${code}`)
    throw err
  } finally {
    stream?.destroy()
  }
}

/** Checks a backup file end to end; returns its header. Writes nothing. */
export async function verifyBackup (file: string): Promise<BackupHeader & { lines: number }> {
  const hash = createHash('sha256')
  let header: BackupHeader | undefined
  let lines = 0
  let trailer: Trailer | undefined
  for await (const l of readLines(file)) {
    if (trailer != null) throw new BackupCorruptError(`backup ${file} is damaged: data after the trailer`)
    let o: Record<string, unknown>
    try { o = JSON.parse(l) as Record<string, unknown> } catch { throw new BackupCorruptError(`backup ${file} is damaged: line ${lines + 1} is not JSON`) }
    if (o.end === true) { trailer = o as unknown as Trailer; continue }
    hash.update(l + '\n')
    if (lines === 0) {
      if (o.format !== BACKUP_FORMAT) throw new BackupCorruptError(`${file} is not an edgecoder backup`)
      if (o.version !== BACKUP_VERSION) throw new BackupCorruptError(`backup ${file} has format version ${String(o.version)}; this build reads ${BACKUP_VERSION}`)
      header = o as unknown as BackupHeader
    }
    lines++
  }
  if (header == null) throw new BackupCorruptError(`${file} is empty, not an edgecoder backup`)
  if (trailer == null) throw new BackupCorruptError(`backup ${file} is truncated: no trailer`)
  if (trailer.lines !== lines || trailer.sha256 !== hash.digest('hex')) throw new BackupCorruptError(`backup ${file} is damaged: checksum mismatch`)
  return { ...header, lines }
}

/** Restores a verified backup into an empty (or absent) data dir. */
export async function restoreBackup (file: string, dataDir: string): Promise<BackupHeader & { records: Record<string, number> }> {
  let existing: string[] = []
  try { existing = await readdir(dataDir) } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new DataDirError(`cannot read ${dataDir}: ${(err as NodeJS.ErrnoException).code ?? ''}`)
  }
  if (existing.length > 0) throw new RestoreTargetNotEmptyError(`restore target ${dataDir} is not empty; restore only into a new or empty data dir`)
  const header = await verifyBackup(file)
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const dbs = new Map<string, Level<Uint8Array, Uint8Array>>()
  const pending = new Map<string, Array<{ type: 'put', key: Uint8Array, value: Uint8Array }>>()
  const records: Record<string, number> = {}
  const flush = async (name: string): Promise<void> => {
    const ops = pending.get(name)
    if (ops == null || ops.length === 0) return
    pending.set(name, [])
    await (dbs.get(name) as Level<Uint8Array, Uint8Array>).batch(ops)
  }
  try {
    let n = 0
    for await (const l of readLines(file)) {
      if (n++ === 0) continue
      const o = JSON.parse(l) as Partial<FileLine & DbLine & Trailer>
      if (o.end === true) break
      if (o.file != null) {
        const mode = FILES[o.file]
        if (mode == null) throw new BackupCorruptError(`backup names an unexpected file "${o.file}"`)
        await writeFileAtomic(join(dataDir, o.file), Buffer.from(o.data ?? '', 'base64'), mode)
        await chmod(join(dataDir, o.file), mode)
        continue
      }
      if (o.db == null || !DATABASES.has(o.db) || o.k == null || o.v == null) throw new BackupCorruptError(`backup line ${n} is not a file or a database record`)
      let db = dbs.get(o.db)
      if (db == null) {
        db = new Level<Uint8Array, Uint8Array>(join(dataDir, o.db), { keyEncoding: 'view', valueEncoding: 'view' })
        await db.open()
        dbs.set(o.db, db)
        pending.set(o.db, [])
      }
      const ops = pending.get(o.db) as Array<{ type: 'put', key: Uint8Array, value: Uint8Array }>
      ops.push({ type: 'put', key: new Uint8Array(Buffer.from(o.k, 'base64')), value: new Uint8Array(Buffer.from(o.v, 'base64')) })
      records[o.db] = (records[o.db] ?? 0) + 1
      if (ops.length >= 1000) await flush(o.db)
    }
    for (const name of dbs.keys()) await flush(name)
  } finally {
    for (const db of dbs.values()) await db.close().catch(() => {})
  }
  return { ...header, records }
}
