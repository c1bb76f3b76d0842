// Every piece of state in a data dir, in one catalogue, and the stores a running node has opened.
// A backup is made from this registry (src/ops/backup.ts) and a restore writes only these names,
// so a store is backed up by being opened through it; anything else found in the data dir is
// reported as left out (and fails the backup test), never silently dropped.
import { readdir } from 'node:fs/promises'
import type { Level } from 'level'
import { DataDirFiles } from './data-dir.js'

/** a LevelDB of a node (a backup reads it raw, as bytes) */
export type StoreDatabase = Level<string, string>

export interface FileStoreSpec { readonly kind: 'file', readonly name: string, readonly mode: number }
export interface DatabaseSpec { readonly kind: 'leveldb', readonly name: string }
export type StoreSpec = FileStoreSpec | DatabaseSpec

/** What a data dir may hold that is state. Names only: restore refuses any other. */
export const STORES = {
  identity: { kind: 'file', name: DataDirFiles.key, mode: 0o600 },
  config: { kind: 'file', name: DataDirFiles.config, mode: 0o600 },
  /** operator state of a worker or client (a coordinator keeps it in its job store) */
  opsState: { kind: 'file', name: 'ops-state.json', mode: 0o600 },
  /** written by restore: the log may be behind checkpoints this key signed (src/ledger/restore-guard.ts) */
  restoreMarker: { kind: 'file', name: 'restored-from-backup.json', mode: 0o600 },
  admissionDb: { kind: 'leveldb', name: DataDirFiles.admissionDb },
  ledgerDb: { kind: 'leveldb', name: DataDirFiles.ledgerDb },
  jobsDb: { kind: 'leveldb', name: DataDirFiles.jobsDb },
  replicaDb: { kind: 'leveldb', name: DataDirFiles.replicaDb },
  clientDb: { kind: 'leveldb', name: DataDirFiles.clientDb }
} as const satisfies Record<string, StoreSpec>
const ALL: readonly StoreSpec[] = Object.values(STORES)

/**
 * Data-dir entries that are not state: the node writes them afresh at every start (the control
 * API's address and credential, the bootstrap file pointing at itself) or they are in-flight
 * temporaries. A backup leaves them out on purpose.
 */
export const REGENERATED = new Set<string>([DataDirFiles.api, DataDirFiles.bootstrapOut])
const TEMPORARY = /\.(tmp|partial)$|^\.write-test\./

export function fileSpec (name: string): FileStoreSpec | undefined {
  return ALL.find((s): s is FileStoreSpec => s.kind === 'file' && s.name === name)
}

export function isDatabaseName (name: string): boolean {
  return ALL.some(s => s.kind === 'leveldb' && s.name === name)
}

/** Writes to several stores that must land together (a job's result and its settlement). */
export interface GroupedWrites {
  together: <T>(fn: () => Promise<T>) => Promise<T>
}

/**
 * The stores one node has open, in the order they were opened, and the lock that makes a backup one
 * snapshot across them: writes that span stores run `together`, and a snapshot waits until none is
 * in flight (holding new ones back) before it creates every store's iterator in one step.
 */
export class StoreRegistry implements GroupedWrites {
  private readonly dbs = new Map<string, StoreDatabase>()
  private inFlight = 0
  private snapshotting?: Promise<void>
  private idle: Array<() => void> = []

  constructor (readonly dataDir: string) {}

  /** Registers an opened database under its catalogue name; every LevelDB of a node goes through here. */
  database<T extends StoreDatabase | { database: StoreDatabase }> (spec: DatabaseSpec, db: T): T {
    this.dbs.set(spec.name, 'database' in db ? db.database : db)
    return db
  }

  databases (): Array<[string, StoreDatabase]> { return [...this.dbs] }

  async together<T> (fn: () => Promise<T>): Promise<T> {
    while (this.snapshotting != null) await this.snapshotting
    this.inFlight++
    try {
      return await fn()
    } finally {
      if (--this.inFlight === 0) for (const wake of this.idle.splice(0)) wake()
    }
  }

  /** Runs `take` (synchronous: it creates the snapshots) when no grouped write is half done. */
  async snapshot<T> (take: () => T, signal?: AbortSignal): Promise<T> {
    while (this.snapshotting != null) await this.snapshotting
    let release = (): void => {}
    this.snapshotting = new Promise<void>(resolve => { release = resolve })
    try {
      while (this.inFlight > 0) {
        signal?.throwIfAborted()
        await new Promise<void>(resolve => { this.idle.push(resolve); signal?.addEventListener('abort', () => { resolve() }, { once: true }) })
      }
      signal?.throwIfAborted()
      return take()
    } finally {
      this.snapshotting = undefined
      release()
    }
  }

  /** The file stores, by catalogue: a backup takes those present. */
  files (): FileStoreSpec[] {
    return ALL.filter((s): s is FileStoreSpec => s.kind === 'file')
  }

  /** Entries of the data dir that are neither a registered store nor regenerated: a backup would miss them. */
  async unregistered (): Promise<string[]> {
    const names = await readdir(this.dataDir).catch(() => [] as string[])
    return names.filter(n => !REGENERATED.has(n) && !TEMPORARY.test(n) && !this.dbs.has(n) && fileSpec(n) == null).sort()
  }
}
