// The admission store: one LevelDB per data dir (`admission-db`) holding tokens, the node registry,
// the blacklist, coordinator grants and admin keys, and the admin audit log, in sublevels.
import { Level } from 'level'
import { DataDirError, DataDirLockedError } from '../errors/index.js'

export class AdmissionDb {
  readonly level: Level<string, string>
  readonly tokens
  readonly nodes
  readonly blacklist
  readonly audit
  readonly applied
  readonly policy
  /** coordinator grants and admin keys (authority.ts) */
  readonly authority

  constructor (readonly path: string) {
    this.level = new Level<string, string>(path, { valueEncoding: 'utf8' })
    const sub = (name: string): ReturnType<typeof this.level.sublevel<string, string>> => this.level.sublevel<string, string>(name, { valueEncoding: 'utf8' })
    this.tokens = sub('tokens')
    this.nodes = sub('nodes')
    this.blacklist = sub('blacklist')
    this.audit = sub('audit')
    this.applied = sub('applied')
    this.policy = sub('policy')
    this.authority = sub('authority')
  }

  async open (): Promise<void> {
    try {
      await this.level.open()
    } catch (err) {
      const msg = `${(err as Error).message} ${((err as { cause?: Error }).cause)?.message ?? ''}`
      if (/lock/i.test(msg)) throw new DataDirLockedError(`admission store ${this.path} is in use by another process`)
      throw new DataDirError(`cannot open admission store ${this.path}: ${msg}`)
    }
  }

  async close (): Promise<void> { await this.level.close() }
}
