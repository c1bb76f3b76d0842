// One base, one place: every error class is an EdgecoderError whose name is its class name, is
// rebuilt as its own class from its name (what crosses the RPC boundary), and a held LevelDB store is
// recognised by its code.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { Level } from 'level'
import * as errors from '../src/errors/index.js'
import { openLevel } from '../src/util/open-level.js'

describe('errors', () => {
  const classes = Object.entries(errors).filter(([, v]) => typeof v === 'function' && v.prototype instanceof errors.EdgecoderError)

  it('every class is an EdgecoderError named as its class, with code = name, rebuilt from its name', () => {
    assert.ok(classes.length > 60, `only ${classes.length} error classes found`)
    for (const [exported, Cls] of classes) {
      const e = new (Cls as errors.EdgecoderErrorClass)('boom')
      assert.equal(e.name, exported)
      assert.equal(e.code, exported)
      assert.ok(e instanceof Error)
      const rebuilt = errors.errorFromName(exported, 'boom')
      assert.ok(rebuilt instanceof (Cls as errors.EdgecoderErrorClass), `${exported} is rebuilt as ${rebuilt.name}`)
      assert.equal(rebuilt.message, 'boom')
    }
  })

  it('a name this process does not know keeps its name as a RemoteError; a non-class name is wrapped', () => {
    const e = errors.errorFromName('FutureThingError', 'x')
    assert.equal(e.name, 'FutureThingError')
    assert.ok(e instanceof errors.RemoteError)
    const w = errors.errorFromName('not a name', 'x')
    assert.equal(w.name, 'RemoteError')
  })

  it('a LevelDB store held by another process is DataDirLockedError (by code); another failure is DataDirError', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgecoder-lock-'))
    const path = join(dir, 'db')
    // the holder is another process: LevelDB's lock is per process
    const holder = spawn(process.execPath, ['--input-type=module', '-e', `import { Level } from 'level'; const db = new Level(${JSON.stringify(path)}); await db.open(); process.send('open'); setTimeout(() => {}, 60000)`], { cwd: process.cwd(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    try {
      await new Promise<void>((resolve, reject) => { holder.once('message', () => { resolve() }); holder.once('exit', code => { reject(new Error(`holder exited ${String(code)}`)) }) })
      await assert.rejects(openLevel(new Level(path), 'test store'), (e: Error) => e.name === 'DataDirLockedError')
      holder.kill('SIGKILL')
      await new Promise(resolve => holder.once('exit', resolve))
      // positive control: the same open succeeds once the holder is gone
      const db = new Level(path)
      await openLevel(db, 'test store')
      await db.close()
      await assert.rejects(openLevel(new Level(join(dir, 'db', 'CURRENT', 'x')), 'bad store'), (e: Error) => e.name === 'DataDirError')
    } finally {
      holder.kill('SIGKILL')
      await rm(dir, { recursive: true, force: true })
    }
  })
})
