// Structured JSON lines on stdout (journald-friendly): time, level, component, message, and
// correlation fields such as jobId and peerId.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export interface Logger {
  debug (msg: string, fields?: Record<string, unknown>): void
  info (msg: string, fields?: Record<string, unknown>): void
  warn (msg: string, fields?: Record<string, unknown>): void
  error (msg: string, fields?: Record<string, unknown>): void
  child (component: string): Logger
}

export function isLogLevel (v: string): v is LogLevel {
  return v in ORDER
}

export function createLogger (opts: { level?: LogLevel, component?: string, write?: (line: string) => void, base?: Record<string, unknown> } = {}): Logger {
  const min = ORDER[opts.level ?? 'info']
  const write = opts.write ?? ((line: string) => { process.stdout.write(line + '\n') })
  const component = opts.component ?? 'edgecoder'
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (ORDER[level] < min) return
    write(JSON.stringify({ time: new Date().toISOString(), level, component, msg, ...opts.base, ...fields }, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v))
  }
  return {
    debug: (m, f) => { emit('debug', m, f) },
    info: (m, f) => { emit('info', m, f) },
    warn: (m, f) => { emit('warn', m, f) },
    error: (m, f) => { emit('error', m, f) },
    child: (c) => createLogger({ ...opts, component: `${component}:${c}` })
  }
}
