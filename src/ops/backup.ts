// Backup of a running node and restore into an empty data dir.
//
// Every store comes from the node's StoreRegistry (src/identity/store-registry.ts): each LevelDB the
// node opened (admission, ledger, jobs, replica, client index) and the catalogue's files (identity
// key, config, operator state, restore marker). The running daemon takes the snapshot (its
// databases are locked to it): it waits until no grouped write is half done (a job's result and
// its settlement land together) and then creates one iterator per database in one synchronous
// step; classic-level iterators read from a snapshot taken when they are created. So the backup is
// one instant across stores: no finished job without its settlement, no settlement without its job,
// no welcome grant without its approval. Entries of the data dir the registry does not know are
// named in the header (`leftOut`) and by the CLI, never dropped silently.
//
// File format: JSON lines. A header, the data dir's files, one line per LevelDB key/value (base64),
// and a trailer with the line count and the SHA-256 of every byte before it. `backup --passphrase-file`
// wraps the whole in age encryption (backup-crypto.ts).
import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import { chmod, mkdir, readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Level } from 'level'
import type { PeerId } from '@libp2p/interface'
import { writeFileAtomic } from '../identity/data-dir.js'
import { STORES, fileSpec, isDatabaseName, type StoreRegistry } from '../identity/store-registry.js'
import { BackupCorruptError, RestoreTargetNotEmptyError } from '../errors/index.js'
import { DataDirError } from '../errors/index.js'
import { openPlaintext } from './backup-crypto.js'

export const BACKUP_FORMAT = 'edgecoder-backup'
/** 2: every registered store (admission-db included) and the restore marker; 1 is still read */
export const BACKUP_VERSION = 2
const READABLE_VERSIONS = new Set([1, 2])

export interface BackupHeader {
  format: string
  version: number
  createdAt: string
  peerId: string
  role: string
  meshId: string
  ledger?: { size: number, checkpointSize: number }
  jobs?: Record<string, number>
  /** the stores in the file */
  stores?: string[]
  /** data-dir entries that are no registered store: not in the backup */
  leftOut?: string[]
}

interface FileLine { file: string, mode: number, data: string }
interface DbLine { db: string, k: string, v: string }
interface Trailer { end: true, lines: number, sha256: string }

/** What a backup reads of the running node (an EdgecoderNode is one). */
export interface BackupSource {
  readonly peerId: PeerId
  readonly role: string
  readonly meshId: string
  /** every store the node opened */
  readonly stores: StoreRegistry
  /** a coordinator's own log: its size goes into the header and the restore marker */
  readonly ledger?: { readonly size: number, readonly checkpointSize: number }
  readonly coordinator?: { readonly store: { countsByState: () => Record<string, number> } }
}

/** The backup of a running node, as chunks to write out in order. */
export async function * createBackup (node: BackupSource, signal?: AbortSignal): AsyncGenerator<string> {
  const registry = node.stores
  // every snapshot in one synchronous step, when no grouped write is half done (see above)
  const snap = await registry.snapshot(() => ({
    at: Date.now(),
    ledger: node.ledger != null ? { size: node.ledger.size, checkpointSize: node.ledger.checkpointSize } : undefined,
    jobs: node.coordinator?.store.countsByState(),
    iterators: registry.databases()
      .filter(([, db]) => db.status === 'open')
      .map(([name, db]) => [name, db.iterator<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })] as const)
  }), signal)
  const files: FileLine[] = []
  const header: BackupHeader = {
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    createdAt: new Date(snap.at).toISOString(),
    peerId: node.peerId.toString(),
    role: node.role,
    meshId: node.meshId,
    ...(snap.ledger != null ? { ledger: snap.ledger } : {}),
    ...(snap.jobs != null ? { jobs: snap.jobs } : {}),
    stores: [],
    leftOut: []
  }
  const hash = createHash('sha256')
  let lines = 0
  const line = (o: unknown): string => {
    const text = JSON.stringify(o) + '\n'
    hash.update(text)
    lines++
    return text
  }
  try {
    for (const spec of registry.files()) {
      let data: Buffer
      try { data = await readFile(join(registry.dataDir, spec.name)) } catch { continue }
      files.push({ file: spec.name, mode: spec.mode, data: data.toString('base64') })
    }
    header.stores = [...files.map(f => f.file), ...snap.iterators.map(([name]) => name)]
    header.leftOut = await registry.unregistered()
    yield line(header)
    for (const f of files) yield line(f)
    for (const [db, it] of snap.iterators) {
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
    for (const [, it] of snap.iterators) await it.close().catch(() => {})
  }
  const trailer: Trailer = { end: true, lines, sha256: hash.digest('hex') }
  yield JSON.stringify(trailer) + '\n'
}

export interface BackupReadOptions {
  /** the passphrase of an encrypted backup */
  passphrase?: string
}

/** Reads a backup file (decrypting it when it is encrypted) line by line. */
async function * readLines (file: string, opts: BackupReadOptions): AsyncGenerator<string> {
  let stream: Readable | undefined
  try {
    stream = await openPlaintext(file, opts.passphrase)
    stream.setEncoding('utf8')
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
export async function verifyBackup (file: string, opts: BackupReadOptions = {}): Promise<BackupHeader & { lines: number }> {
  const hash = createHash('sha256')
  let header: BackupHeader | undefined
  let lines = 0
  let trailer: Trailer | undefined
  for await (const l of readLines(file, opts)) {
    if (trailer != null) throw new BackupCorruptError(`backup ${file} is damaged: data after the trailer`)
    let o: Record<string, unknown>
    try { o = JSON.parse(l) as Record<string, unknown> } catch { throw new BackupCorruptError(`backup ${file} is damaged: line ${lines + 1} is not JSON`) }
    if (o.end === true) { trailer = o as unknown as Trailer; continue }
    hash.update(l + '\n')
    if (lines === 0) {
      if (o.format !== BACKUP_FORMAT) throw new BackupCorruptError(`${file} is not an edgecoder backup`)
      if (!READABLE_VERSIONS.has(o.version as number)) throw new BackupCorruptError(`backup ${file} has format version ${String(o.version)}; this build reads ${[...READABLE_VERSIONS].join(' and ')}`)
      header = o as unknown as BackupHeader
    }
    lines++
  }
  if (header == null) throw new BackupCorruptError(`${file} is empty, not an edgecoder backup`)
  if (trailer == null) throw new BackupCorruptError(`backup ${file} is truncated: no trailer`)
  if (trailer.lines !== lines || trailer.sha256 !== hash.digest('hex')) throw new BackupCorruptError(`backup ${file} is damaged: checksum mismatch`)
  return { ...header, lines }
}

/** What restore leaves in a coordinator's data dir: read at start by src/ledger/restore-guard.ts. */
export interface RestoreMarker {
  restoredAt: string
  backupCreatedAt: string
  /** the log's size and newest checkpoint in the backup */
  ledger?: { size: number, checkpointSize: number }
}

/**
 * Restores a verified backup into an empty (or absent) data dir. A failure part way leaves the
 * target as it was (empty): what was written is removed.
 */
export async function restoreBackup (file: string, dataDir: string, opts: BackupReadOptions = {}): Promise<BackupHeader & { records: Record<string, number> }> {
  let existing: string[] | undefined
  try { existing = await readdir(dataDir) } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new DataDirError(`cannot read ${dataDir}: ${(err as NodeJS.ErrnoException).code ?? ''}`)
  }
  if (existing != null && existing.length > 0) throw new RestoreTargetNotEmptyError(`restore target ${dataDir} is not empty; restore only into a new or empty data dir`)
  const header = await verifyBackup(file, opts)
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
  let ok = false
  try {
    let n = 0
    for await (const l of readLines(file, opts)) {
      if (n++ === 0) continue
      const o = JSON.parse(l) as Partial<FileLine & DbLine & Trailer>
      if (o.end === true) break
      if (o.file != null) {
        const spec = fileSpec(o.file)
        if (spec == null) throw new BackupCorruptError(`backup names an unexpected file "${o.file}"`)
        await writeFileAtomic(join(dataDir, spec.name), Buffer.from(o.data ?? '', 'base64'), spec.mode)
        await chmod(join(dataDir, spec.name), spec.mode)
        records[spec.name] = 1
        continue
      }
      if (o.db == null || !isDatabaseName(o.db) || o.k == null || o.v == null) throw new BackupCorruptError(`backup line ${n} is not a file or a database record`)
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
    if (header.ledger != null) {
      // the original may have signed checkpoints after this backup: the restored coordinator
      // appends nothing until it has caught up to them (or an operator says there are none)
      const marker: RestoreMarker = { restoredAt: new Date().toISOString(), backupCreatedAt: header.createdAt, ledger: header.ledger }
      await writeFileAtomic(join(dataDir, STORES.restoreMarker.name), JSON.stringify(marker, null, 2) + '\n', STORES.restoreMarker.mode)
    }
    ok = true
  } finally {
    for (const db of dbs.values()) await db.close().catch(() => {})
    if (!ok) for (const name of await readdir(dataDir).catch(() => [] as string[])) await rm(join(dataDir, name), { recursive: true, force: true }).catch(() => {})
  }
  return { ...header, records }
}
