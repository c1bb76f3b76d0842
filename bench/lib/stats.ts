// Small statistics helpers: every figure the bench reports is a median over rounds, and latency
// distributions are reported as nearest-rank percentiles.

export function percentile (values: number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]
}

export function median (values: number[]): number {
  if (values.length === 0) return Number.NaN
  const s = [...values].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

export function round (n: number, digits = 2): number {
  if (!Number.isFinite(n)) return n
  const f = 10 ** digits
  return Math.round(n * f) / f
}

/** High-resolution wall clock in ms, comparable across processes on one machine. */
export function nowMs (): number {
  return performance.timeOrigin + performance.now()
}

export async function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
    const onAbort = (): void => { clearTimeout(t); reject(signal?.reason as Error) }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

export async function waitUntil (cond: () => boolean, timeoutMs: number, what: string, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    signal?.throwIfAborted()
    if (Date.now() > deadline) throw new Error(`bench: timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(10, signal)
  }
}

/** waitUntil for a condition that has to ask another process: polled less often, one ask at a time. */
export async function waitFor (cond: () => Promise<boolean>, timeoutMs: number, what: string, signal?: AbortSignal, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    signal?.throwIfAborted()
    if (Date.now() > deadline) throw new Error(`bench: timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(intervalMs, signal)
  }
}
