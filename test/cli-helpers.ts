// Runs the real CLI as separate OS processes, the way a user does.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { waitFor } from './helpers.js'
import { DEFAULT_POLICY } from '../src/ledger/policy.js'

export const CLI = fileURLToPath(new URL('../../bin/edgecoder-node.js', import.meta.url))

export interface RunResult { code: number | null, stdout: string, stderr: string }

export async function cli (args: string[], opts: { timeoutMs?: number, env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`cli ${args.join(' ')} timed out\n${stdout}\n${stderr}`)) }, opts.timeoutMs ?? 30_000)
    child.on('exit', code => { clearTimeout(t); resolve({ code, stdout, stderr }) })
  })
}

export async function cliJson<T> (args: string[]): Promise<T> {
  const r = await cli([...args, '--json'])
  if (r.code !== 0) throw new Error(`cli ${args.join(' ')} exited ${String(r.code)}: ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

export interface Daemon { child: ChildProcess, logs: () => string, dataDir: string }

/**
 * Starts `edgecoder-node start` as its own process. Coordinators run open admission unless the test
 * passes `--admission`: tests that are not about enrollment should not need tokens.
 */
export async function startDaemon (dataDir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Daemon> {
  const role = (JSON.parse(await readFile(join(dataDir, 'config.json'), 'utf8').catch(() => '{}')) as { role?: string }).role
  const extra = (role === 'coordinator' || args.includes('coordinator')) && !args.includes('--admission') ? ['--admission', 'open'] : []
  const child = spawn(process.execPath, [CLI, 'start', '--data-dir', dataDir, ...args, ...extra], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  let logs = ''
  child.stdout?.on('data', (d: Buffer) => { logs += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { logs += d.toString() })
  let exited = false
  child.on('exit', () => { exited = true })
  await waitFor(async () => {
    if (exited) throw new Error(`daemon exited early:\n${logs}`)
    try { await readFile(join(dataDir, 'api.json')); return logs.includes('node started') } catch { return false }
  }, 20_000, 'daemon to start')
  try {
    if (extra.length > 0) await grantWelcomeCredits(dataDir)
  } catch (err) {
    child.kill('SIGKILL')
    throw err
  }
  return { child, logs: () => logs, dataDir }
}

/**
 * Open admission grants nothing by default; these tests submit from the coordinator's own account.
 * A coordinator that created its mesh sets the grant itself; one that joined a mesh is no admin and
 * gets the policy from the mesh's admin-sync instead, so it waits for that.
 */
async function grantWelcomeCredits (dataDir: string): Promise<void> {
  const granted = async (): Promise<boolean> => (await cliJson<{ policy: Record<string, unknown> }>(['policy', 'show', '--data-dir', dataDir])).policy.welcomeGrant != null
  if (await granted()) return
  const set = await cli(['policy', 'set', 'welcomeGrant', DEFAULT_POLICY.welcomeGrant.toString(), '--data-dir', dataDir, '--json'])
  if (set.code === 0) return
  if (!set.stderr.includes('[UnauthorizedAdminError]')) throw new Error(`policy set welcomeGrant exited ${String(set.code)}: ${set.stderr}`)
  await waitFor(granted, 15_000, 'the mesh\'s welcome-grant policy to reach a coordinator that joined it')
}

export async function stopDaemon (d: Daemon, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (d.child.exitCode != null || d.child.signalCode != null) return d.child.exitCode
  return await new Promise(resolve => {
    d.child.once('exit', code => { resolve(code) })
    d.child.kill(signal)
  })
}

/**
 * A metric on a daemon's public /metrics page, summed over its series (0 when absent); with
 * `labelValue`, only the series carrying that label value. For counters a test reads before and
 * after a window: a refusal that did arrive.
 */
export async function metric (dataDir: string, name: string, labelValue?: string): Promise<number> {
  const { url } = JSON.parse(await readFile(join(dataDir, 'api.json'), 'utf8')) as { url: string }
  const text = await (await fetch(`${url}/metrics`)).text()
  let sum = 0
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line)
    if (m == null || m[1] !== name) continue
    if (labelValue != null && !(m[2] ?? '').includes(`="${labelValue}"`)) continue
    sum += Number(m[3])
  }
  return sum
}

/** inbound connections the daemon's gater turned away (blacklisted, isolated or banned peers) */
export async function gatedConnections (dataDir: string): Promise<number> {
  return await metric(dataDir, 'libp2p_connection_manager_dials_inbound_errors_total', 'ConnectionInterceptedError')
}
