// Makes the /metrics page pass `promtool check metrics`. Our own edgecoder_* metrics follow the
// Prometheus conventions; some of libp2p's and prom-client's default ones do not, so two rules are
// applied to those families, and only to those:
//   - a gauge (or other non-counter) named ..._total loses the suffix (nodejs_active_handles_total
//     becomes nodejs_active_handles); its values are unchanged; where that name is taken (prom-client's
//     nodejs_active_handles_total next to the per-type nodejs_active_handles) the redundant total goes,
//     and a stem ending in a histogram suffix is pluralised (..._kad_bucket_total -> ..._kad_buckets);
//   - a family in milliseconds is converted to seconds (name and values, ÷1000), except libp2p's
//     moving-average groups (samples ...MovingAverage/Deviation/Forecast/Variance mixed with plain
//     sample counts in one family): no single unit fits them, so they are left out.
// docs/operations.md lists this.

interface Family { name: string, type: string, lines: string[] }

const MOVING = /(MovingAverage|Deviation|Forecast|Variance)"/

export function normaliseExposition (text: string): string {
  const families: Family[] = []
  let cur: Family | undefined
  for (const line of text.split('\n')) {
    if (line === '') continue
    const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line)
    if (m != null) {
      if (cur?.name !== m[2]) { cur = { name: m[2], type: 'untyped', lines: [] }; families.push(cur) }
      if (m[1] === 'TYPE') cur.type = m[3] ?? 'untyped'
      cur.lines.push(line)
      continue
    }
    if (cur == null) { cur = { name: line.split(/[{ ]/)[0], type: 'untyped', lines: [] }; families.push(cur) }
    cur.lines.push(line)
  }
  const out: string[] = []
  const names = new Set(families.map(f => f.name))
  for (const f of families) {
    let lines = f.lines
    let name = f.name
    if (name.includes('_milliseconds')) {
      if (lines.some(l => MOVING.test(l))) continue
      const to = name.replace('_milliseconds', '_seconds')
      lines = lines.map(l => l.startsWith('#') ? l.replaceAll(name, to) : scaleSample(l.replaceAll(name, to), f.type))
      name = to
    }
    if (f.type !== 'counter' && name.endsWith('_total')) {
      let to = name.slice(0, -'_total'.length)
      // _bucket/_count/_sum are reserved for histograms and summaries
      if (/_(bucket|count|sum)$/.test(to)) to += 's'
      // prom-client's nodejs_active_*_total is the sum of the per-type family of the same stem
      if (names.has(to)) continue
      lines = lines.map(l => l.replace(new RegExp(`(^|\\s)${name}(?=[{\\s]|$)`, 'g'), `$1${to}`))
    }
    out.push(...lines)
  }
  return out.join('\n') + '\n'
}

/** ms → s for one sample line: its value and, in a histogram, the le label; counts stay as they are. */
function scaleSample (line: string, type: string): string {
  const m = /^(\S+?)(\{.*\})? (\S+)(.*)$/.exec(line)
  if (m == null) return line
  const [, metric, labels = '', value, rest] = m
  if (metric.endsWith('_count')) return line
  if (type === 'histogram' && metric.endsWith('_bucket')) {
    // bucket bounds are durations, bucket values are counts
    return `${metric}${labels.replace(/le="([^"]+)"/, (_s, le: string) => `le="${le === '+Inf' ? le : String(Number(le) / 1000)}"`)} ${value}${rest}`
  }
  const v = Number(value)
  return `${metric}${labels} ${Number.isFinite(v) ? String(v / 1000) : value}${rest}`
}
