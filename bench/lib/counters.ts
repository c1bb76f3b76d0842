// Non-invasive message counters for one node: a libp2p Metrics implementation (libp2p calls
// trackProtocolStream for every protocol stream it opens or accepts) and a gossipsub metrics
// register (gossipsub counts the RPCs, messages and control items it sends and receives). Passed to
// createNode through `instrumentation`; nothing in src/ knows it is being counted.
import type { Metrics, Stream } from '@libp2p/interface'
import type { MetricsRegister, Gauge, Histogram, AvgMinMax } from '@libp2p/gossipsub/metrics'
import type { MeshInstrumentation } from '../../src/mesh/create-libp2p.js'

export interface CounterSnapshot {
  /** protocol streams opened, by "<direction> <protocol>" */
  streams: Record<string, number>
  /** gossipsub gauges by name (summed over labels) */
  gossip: Record<string, number>
  /** libp2p / edgecoder counters registered through Metrics, by name */
  counters: Record<string, number>
}

const NOOP = {
  update () {},
  increment () {},
  decrement () {},
  reset () {},
  observe () {},
  timer: () => () => {}
}

export class MeshCounters {
  private readonly streams = new Map<string, number>()
  private readonly gossip = new Map<string, number>()
  private readonly counters = new Map<string, number>()

  /** What to pass as `createNode({ instrumentation })`. */
  instrumentation (): MeshInstrumentation {
    return { metrics: () => this.metrics(), gossip: this.gossipRegister() }
  }

  snapshot (): CounterSnapshot {
    return { streams: Object.fromEntries(this.streams), gossip: Object.fromEntries(this.gossip), counters: Object.fromEntries(this.counters) }
  }

  private bump (map: Map<string, number>, key: string, by = 1): void {
    map.set(key, (map.get(key) ?? 0) + by)
  }

  private metrics (): Metrics {
    const counter = (name: string): typeof NOOP => ({ ...NOOP, increment: (v?: number) => { this.bump(this.counters, name, v ?? 1) } })
    return {
      trackMultiaddrConnection: () => {},
      trackProtocolStream: (stream: Stream) => { this.bump(this.streams, `${stream.direction} ${stream.protocol ?? '?'}`) },
      registerMetric: (() => NOOP) as Metrics['registerMetric'],
      registerMetricGroup: (() => NOOP) as Metrics['registerMetricGroup'],
      registerCounter: ((name: string) => counter(name)) as Metrics['registerCounter'],
      registerCounterGroup: (() => NOOP) as Metrics['registerCounterGroup'],
      registerHistogram: (() => NOOP) as Metrics['registerHistogram'],
      registerHistogramGroup: (() => NOOP) as Metrics['registerHistogramGroup'],
      registerSummary: (() => NOOP) as Metrics['registerSummary'],
      registerSummaryGroup: (() => NOOP) as Metrics['registerSummaryGroup'],
      traceFunction: (<F>(_name: string, fn: F): F => fn) as Metrics['traceFunction'],
      createTrace: () => undefined
    }
  }

  private gossipRegister (): MetricsRegister {
    const gauge = (name: string): Gauge<Record<string, never>> => ({
      // labelled and unlabelled gauges share one shape: the value is the last numeric argument
      inc: ((...args: unknown[]) => {
        const v = args.find(a => typeof a === 'number')
        this.bump(this.gossip, name, typeof v === 'number' ? v : 1)
      }) as Gauge<Record<string, never>>['inc'],
      set: (() => {}) as Gauge<Record<string, never>>['set'],
      addCollect: () => {}
    })
    const histogram: Histogram<Record<string, never>> = { startTimer: () => () => {}, observe: (() => {}) as Histogram<Record<string, never>>['observe'], reset: () => {} }
    const avg: AvgMinMax<Record<string, never>> = { set: (() => {}) as AvgMinMax<Record<string, never>>['set'] }
    return {
      gauge: (config => gauge(config.name)) as MetricsRegister['gauge'],
      histogram: (() => histogram) as MetricsRegister['histogram'],
      avgMinMax: (() => avg) as MetricsRegister['avgMinMax']
    }
  }
}

/** The difference of two snapshots, key by key. */
export function diffSnapshots (a: CounterSnapshot, b: CounterSnapshot): CounterSnapshot {
  const d = (x: Record<string, number>, y: Record<string, number>): Record<string, number> => {
    const out: Record<string, number> = {}
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
      const v = (y[k] ?? 0) - (x[k] ?? 0)
      if (v !== 0) out[k] = v
    }
    return out
  }
  return { streams: d(a.streams, b.streams), gossip: d(a.gossip, b.gossip), counters: d(a.counters, b.counters) }
}

export interface MessageBreakdown {
  /** protocol streams opened or accepted at the node */
  streams: number
  /** request, cancel and response frames on session streams (many exchanges on one stream) */
  sessionFrames: number
  /** of which ledger streams (sync, proofs, checkpoints) */
  ledgerStreams: number
  /** gossip data messages sent + received (each copy to or from a peer counts) */
  gossipMessages: number
  /** gossip control items (IHAVE/IWANT/GRAFT/PRUNE/IDONTWANT) sent + received */
  gossipControl: number
  total: number
}

export function messageBreakdown (d: CounterSnapshot): MessageBreakdown {
  let streams = 0
  let ledgerStreams = 0
  for (const [k, v] of Object.entries(d.streams)) {
    // gossipsub keeps one long-lived stream per peer: its messages are counted below instead
    if (k.includes('meshsub') || k.includes('floodsub')) continue
    streams += v
    if (k.includes('/ledger')) ledgerStreams += v
  }
  const sessionFrames = (d.counters.edgecoder_rpc_session_frames_received_total ?? 0) + (d.counters.edgecoder_rpc_session_frames_sent_total ?? 0)
  const g = (n: string): number => d.gossip[n] ?? 0
  const gossipMessages = g('gossipsub_rpc_sent_message_total') + g('gossipsub_rpc_recv_message_total')
  const gossipControl = ['ihave', 'iwant', 'graft', 'prune', 'idontwant'].reduce((a, c) => a + g(`gossipsub_rpc_sent_${c}_total`) + g(`gossipsub_rpc_recv_${c}_total`), 0)
  return { streams, sessionFrames, ledgerStreams, gossipMessages, gossipControl, total: streams + sessionFrames + gossipMessages + gossipControl }
}
