// The admission store: one LevelDB per data dir (`admission-db`) holding tokens, the node registry,
// the blacklist, coordinator grants and admin keys, and the admin audit log, in sublevels.
import { openLevel } from '../util/open-level.js'
import { Level } from 'level'

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
    await openLevel(this.level, `admission store ${this.path}`)
  }

  async close (): Promise<void> { await this.level.close() }
}
