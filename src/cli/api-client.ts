// How CLI commands reach the daemon running on a data dir: api.json gives the URL and credential.
import { access, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DataDirFiles } from '../identity/data-dir.js'
import { DaemonNotRunningError, NotInitialisedError, errorFromName } from '../errors/index.js'

export interface ApiInfo { url: string, token: string, pid: number, peerId: string }

export async function readApiInfo (dataDir: string): Promise<ApiInfo> {
  let text: string
  try {
    text = await readFile(join(dataDir, DataDirFiles.api), 'utf8')
  } catch {
    // no daemon could ever have run on a data dir with no identity: say what is missing
    if (!await access(join(dataDir, DataDirFiles.key)).then(() => true, () => false)) {
      throw new NotInitialisedError(`${dataDir} is not initialised (no ${DataDirFiles.key}); run: edgecoder-node init --data-dir ${dataDir} --role ROLE`)
    }
    throw new DaemonNotRunningError(`no daemon is running on ${dataDir} (start one: edgecoder-node start --data-dir ${dataDir})`)
  }
  try {
    return JSON.parse(text) as ApiInfo
  } catch {
    throw new DaemonNotRunningError(`${join(dataDir, DataDirFiles.api)} is damaged; restart the daemon`)
  }
}

export async function callDaemon<T> (dataDir: string, method: 'GET' | 'POST', path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  return JSON.parse(await callDaemonText(dataDir, method, path, body, signal)) as T
}

/** The raw response body (for texts that must be printed exactly, such as a signed note). */
export async function callDaemonText (dataDir: string, method: 'GET' | 'POST', path: string, body?: unknown, signal?: AbortSignal): Promise<string> {
  const api = await readApiInfo(dataDir)
  let res: Response
  try {
    res = await fetch(api.url + path, {
      method,
      headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
      body: body != null ? JSON.stringify(body) : undefined,
      signal: signal ?? AbortSignal.timeout(60_000)
    })
  } catch (err) {
    throw new DaemonNotRunningError(`the daemon for ${dataDir} does not answer at ${api.url} (${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}); is it running?`)
  }
  const text = await res.text()
  if (!res.ok) {
    let e: { error?: { name: string, message: string } } = {}
    try { e = JSON.parse(text) as typeof e } catch {}
    throw errorFromName(e.error?.name ?? 'RemoteError', e.error?.message ?? `HTTP ${res.status}`)
  }
  return text
}
