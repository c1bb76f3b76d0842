// Start/stop symmetry of every service a node builds (coordinator, worker, ledger, admission, ops):
// whatever a service adds to its node while it runs (registrar handlers, its topics' validators and
// subscriptions, event listeners, timers) is gone once it is stopped, while the rest of the node
// still runs. Real nodes on loopback; timers and listeners are traced to the code that created them.
import assert from 'node:assert/strict'
import { createHook, type AsyncHook } from 'node:async_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { stop } from '@libp2p/interface'
import { Fixture, waitFor, MESH } from './helpers.js'
import { GossipTopics, ProtocolTable, type ProtocolName, type ServingRole } from '../src/rpc/protocol-table.js'
import { signAdminAction } from '../src/admission/admin-actions.js'
import { EnrollResponse } from '../src/wire/pb/admission.js'
import type { EdgecoderNode } from '../src/node/create-node.js'

type Listener = Parameters<EventTarget['addEventListener']>[1]
type TopicName = keyof typeof GossipTopics

/** what a service holds of its node while it runs */
interface ServiceSpec {
  /** its code (compiled: dist/src/...): a timer or listener is the service's when set from here */
  readonly code: RegExp
  /** the protocol table's rows it serves (on the roles the table says serve them) */
  readonly protocols: readonly ProtocolName[]
  /** the gossip topics it joins (validator and subscription) */
  readonly topics: readonly TopicName[]
  /** how many of those topics it listens to (a 'message' listener on pubsub each) */
  readonly pubsubListeners: number
  /** the listeners it keeps on the node's event bus */
  readonly busListeners: readonly string[]
}

const SERVICES = {
  coordinator: {
    // the coordinator's parked claims live in src/jobs/parked-claims.ts
    code: /[\\/]src[\\/]jobs[\\/](coordinator[\\/]|parked-claims\.js)/,
    protocols: ['session', 'claim', 'lease', 'result', 'submit', 'job'],
    topics: ['jobs'],
    pubsubListeners: 0,
    busListeners: []
  },
  worker: { code: /[\\/]src[\\/]jobs[\\/]worker[\\/]/, protocols: ['cancel'], topics: ['jobs'], pubsubListeners: 1, busListeners: ['peer:identify'] },
  ledger: { code: /[\\/]src[\\/]ledger[\\/]ledger-service\.js/, protocols: ['ledger', 'ledgerSync'], topics: ['checkpoints'], pubsubListeners: 1, busListeners: [] },
  admission: { code: /[\\/]src[\\/]admission[\\/]admission-service\.js/, protocols: ['enroll', 'adminSync'], topics: ['policy', 'authority'], pubsubListeners: 2, busListeners: ['peer:disconnect', 'peer:identify'] },
  ops: { code: /[\\/]src[\\/]ops[\\/]ops-service\.js/, protocols: ['ops'], topics: [], pubsubListeners: 0, busListeners: [] }
} as const satisfies Record<string, ServiceSpec>

type ServiceName = keyof typeof SERVICES
const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[]

/** the service whose code is the first (innermost) of `frames` that belongs to one */
function ownerOf (frames: string[]): { service: ServiceName, frame: string } | undefined {
  for (const frame of frames) {
    const service = SERVICE_NAMES.find(s => SERVICES[s].code.test(frame))
    if (service != null) return { service, frame: frame.trim() }
  }
  return undefined
}

/** "function (file:line)" of a stack frame, for reading a report */
function where (frame: string): string {
  const m = /^at (?:async )?(?:(\S+) \()?(?:file:\/\/)?(?:.*[\\/])?([^\\/]+?):(\d+):\d+\)?$/.exec(frame)
  return m == null ? frame : `${m[1] ?? '<anonymous>'} (${m[2]}:${m[3]})`
}

/** the frame that called setTimeout or setInterval, from inside an async_hooks init callback */
function timerCaller (stack: string): string | undefined {
  const frames = stack.split('\n')
  const at = frames.findIndex(f => /at (setTimeout|setInterval) \(node:timers/.test(f))
  return at >= 0 ? frames[at + 1] : undefined
}

/** the frames of a stack up to the first one an await resumed */
function syncFrames (stack: string): string[] {
  const frames = stack.split('\n')
  const end = frames.findIndex(f => /^\s*at async /.test(f))
  return end >= 0 ? frames.slice(0, end) : frames
}

interface Traced { service: ServiceName, frame: string }

/**
 * Timers set and event listeners added by the services' code, for as long as they live: a timer
 * until it fires or is cleared, a listener until it is removed. A timer is the service's when its
 * code called setTimeout or setInterval itself; one behind AbortSignal.timeout is the signal's, not
 * traced. A listener is the service's when its code is on the synchronous part of the stack.
 */
class ServiceTrace {
  /** async id → the service and the frame that set it */
  readonly timers = new Map<number, Traced>()
  readonly listeners = new Map<EventTarget, Map<string, Map<Listener, Traced>>>()
  private hook?: AsyncHook
  private readonly realAdd = EventTarget.prototype.addEventListener
  private readonly realRemove = EventTarget.prototype.removeEventListener
  private readonly stackLimit = Error.stackTraceLimit

  install (): void {
    Error.stackTraceLimit = 64
    const timers = this.timers
    this.hook = createHook({
      init (asyncId, type) {
        if (type !== 'Timeout') return
        const caller = timerCaller(new Error().stack ?? '')
        const owner = caller != null ? ownerOf([caller]) : undefined
        if (owner != null) timers.set(asyncId, owner)
      },
      destroy (asyncId) { timers.delete(asyncId) }
    }).enable()
    const { realAdd, realRemove, listeners } = this
    EventTarget.prototype.addEventListener = function (type, listener, options) {
      realAdd.call(this, type, listener, options)
      // a signal's listeners go with the signal; a once-listener removes itself
      if (listener == null || this instanceof AbortSignal || (typeof options === 'object' && options.once === true)) return
      // the synchronous part of the stack: a library's own listeners, added later on behalf of an
      // awaited call from a service, show it only as an "async" frame
      const owner = ownerOf(syncFrames(new Error().stack ?? ''))
      if (owner == null) return
      const byType = listeners.get(this) ?? new Map<string, Map<Listener, Traced>>()
      listeners.set(this, byType)
      const byListener = byType.get(type) ?? new Map<Listener, Traced>()
      byType.set(type, byListener)
      byListener.set(listener, owner)
    }
    EventTarget.prototype.removeEventListener = function (type, listener, options) {
      realRemove.call(this, type, listener, options)
      if (listener != null) listeners.get(this)?.get(type)?.delete(listener)
    }
  }

  uninstall (): void {
    this.hook?.disable()
    EventTarget.prototype.addEventListener = this.realAdd
    EventTarget.prototype.removeEventListener = this.realRemove
    Error.stackTraceLimit = this.stackLimit
  }

  /** live timers set by `service`, as "function (file:line)" of the frame that set them */
  liveTimers (service: ServiceName): string[] {
    return [...this.timers.values()].filter(t => t.service === service).map(t => where(t.frame)).sort()
  }

  /** live listeners `service` added on `target`, or on every target but `except`, as "type @ function (file:line)" */
  liveListeners (service: ServiceName, on: { target: EventTarget } | { except: EventTarget[] }): string[] {
    const out: string[] = []
    for (const [target, byType] of this.listeners) {
      if ('target' in on ? target !== on.target : on.except.includes(target)) continue
      for (const [type, byListener] of byType) {
        for (const t of byListener.values()) if (t.service === service) out.push(`${type} @ ${where(t.frame)}`)
      }
    }
    return out.sort()
  }
}

/** what one node holds of one service */
interface NodeFootprint { protocols: string[], validators: string[], subscriptions: string[], pubsubListeners: string[] }

/** what the nodes hold of one service: on each node running it, and its listeners on the nodes' event buses and its timers */
interface ServiceFootprint { nodes: Record<string, NodeFootprint>, busListeners: string[], timers: string[] }

type Nodes = Record<string, EdgecoderNode>

function protocolIds (spec: ServiceSpec, role?: ServingRole): string[] {
  return spec.protocols.filter(p => role == null || ProtocolTable[p].servedBy.includes(role)).map(p => ProtocolTable[p].id).sort()
}

function topicNames (spec: ServiceSpec): string[] {
  return spec.topics.map(t => GossipTopics[t].topic(MESH)).sort()
}

/** what `nodes` (by label) hold of each service now: registrar, gossipsub, traced listeners and timers */
function footprint (trace: ServiceTrace, nodes: Nodes): Record<ServiceName, ServiceFootprint> {
  const pubsubs = Object.values(nodes).map(n => n.libp2p.services.pubsub)
  const out = {} as Record<ServiceName, ServiceFootprint>
  for (const s of SERVICE_NAMES) {
    const spec: ServiceSpec = SERVICES[s]
    const ours = protocolIds(spec)
    const topics = topicNames(spec)
    const perNode: Record<string, NodeFootprint> = {}
    for (const [label, node] of Object.entries(nodes)) {
      if (node.libp2p.services[s] == null) continue
      const pubsub = node.libp2p.services.pubsub
      perNode[label] = {
        protocols: node.libp2p.getProtocols().filter(p => ours.includes(p)).sort(),
        validators: topics.filter(t => pubsub.topicValidators.has(t)),
        subscriptions: topics.filter(t => pubsub.getTopics().includes(t)),
        pubsubListeners: trace.liveListeners(s, { target: pubsub })
      }
    }
    out[s] = { nodes: perNode, busListeners: trace.liveListeners(s, { except: pubsubs }), timers: trace.liveTimers(s) }
  }
  return out
}

/** the footprint of stopped services: nothing */
function nothing (nodes: Nodes): Record<ServiceName, ServiceFootprint> {
  const out = {} as Record<ServiceName, ServiceFootprint>
  for (const s of SERVICE_NAMES) {
    const perNode: Record<string, NodeFootprint> = {}
    for (const [label, node] of Object.entries(nodes)) {
      if (node.libp2p.services[s] != null) perNode[label] = { protocols: [], validators: [], subscriptions: [], pubsubListeners: [] }
    }
    out[s] = { nodes: perNode, busListeners: [], timers: [] }
  }
  return out
}

/** each non-empty part of a footprint, one a line */
function leftovers (f: Record<ServiceName, ServiceFootprint>): string[] {
  const out: string[] = []
  for (const s of SERVICE_NAMES) {
    for (const [label, n] of Object.entries(f[s].nodes)) {
      for (const [part, held] of Object.entries(n)) if (held.length > 0) out.push(`${s} on the ${label}: ${part} ${held.join(', ')}`)
    }
    if (f[s].busListeners.length > 0) out.push(`${s}: event bus listeners ${f[s].busListeners.join(', ')}`)
    if (f[s].timers.length > 0) out.push(`${s}: timers ${f[s].timers.join(', ')}`)
  }
  return out
}

/** a footprint without its timers, its listeners by type */
type Shape = Record<ServiceName, { nodes: Record<string, NodeFootprint>, busListeners: string[] }>

/** a footprint's part that is known exactly while the services run: listeners by type (timers come and go) */
function shape (f: Record<ServiceName, ServiceFootprint>): Shape {
  const type = (l: string): string => l.slice(0, l.indexOf(' @ '))
  const out = {} as Shape
  for (const s of SERVICE_NAMES) {
    const perNode: Record<string, NodeFootprint> = {}
    for (const [label, n] of Object.entries(f[s].nodes)) perNode[label] = { ...n, pubsubListeners: n.pubsubListeners.map(type) }
    out[s] = { nodes: perNode, busListeners: f[s].busListeners.map(type) }
  }
  return out
}

/** the shape of running services, from the protocol table, the topic helpers and SERVICES */
function running (nodes: Nodes): Shape {
  const out = {} as Shape
  for (const s of SERVICE_NAMES) {
    const spec: ServiceSpec = SERVICES[s]
    const perNode: Record<string, NodeFootprint> = {}
    const bus: string[] = []
    for (const [label, node] of Object.entries(nodes)) {
      if (node.libp2p.services[s] == null) continue
      perNode[label] = {
        protocols: protocolIds(spec, node.role),
        validators: topicNames(spec),
        subscriptions: topicNames(spec),
        pubsubListeners: Array.from({ length: spec.pubsubListeners }, () => 'message')
      }
      bus.push(...spec.busListeners)
    }
    out[s] = { nodes: perNode, busListeners: bus.sort() }
  }
  return out
}

describe('node services: stop removes what start added', function () {
  this.timeout(90_000)
  const fx = new Fixture()
  const trace = new ServiceTrace()
  before(() => { trace.install() })
  after(async () => {
    trace.uninstall()
    await fx.cleanup()
  })

  it('every protocol of the table and every gossip topic belongs to a service traced here', () => {
    const owned = SERVICE_NAMES.flatMap(s => [...SERVICES[s].protocols])
    assert.deepEqual([...owned].sort(), Object.keys(ProtocolTable).sort(), 'protocols without a service here (or with two)')
    const topics = new Set(SERVICE_NAMES.flatMap(s => [...SERVICES[s].topics]))
    assert.deepEqual([...topics].sort(), Object.keys(GossipTopics).sort(), 'topics without a service here')
  })

  it('a coordinator, a worker and a client that did real work, and a client awaiting approval, leave nothing of any service behind', async () => {
    // token admission, so that enrolling, an admin's approval and a pending retry all happen
    const key = await generateKeyPair('Ed25519')
    const coord = await fx.coordinator({ privateKey: key, admission: { mode: 'token' } })
    const tokens = coord.admission.state.tokens
    const [worker] = await fx.workers(1, coord, { token: (await tokens.create({ label: 'worker', autoApprove: true })).token })
    const client = await fx.node({ role: 'client', token: (await tokens.create({ label: 'client' })).token, bootstrap: coord.bootstrapConfig() })
    const newcomer = await fx.node({ role: 'client', token: (await tokens.create({ label: 'newcomer' })).token, bootstrap: coord.bootstrapConfig() })
    const nodes: Nodes = { coordinator: coord, worker, client, newcomer }
    const at = coord.peerId.toString()
    const pending = async (n: EdgecoderNode): Promise<void> => { await waitFor(() => n.admission.statusAt.get(at)?.status === EnrollResponse.Status.PENDING, 10_000, 'the enrollment to be pending') }
    await pending(client)
    await pending(newcomer)

    // an admin action applied: the admin approves the client, which learns it is active
    await coord.admission.submitAction(await signAdminAction(key, MESH, { kind: 'APPROVE', target: client.peerId.toString() }))
    await waitFor(() => client.admission.statusAt.get(at)?.status === EnrollResponse.Status.ACTIVE, 10_000, 'the client to learn it is approved')
    // a job ran: the client submits it, the worker runs it
    const id = await client.jobs.submit({ executor: 'noop', input: 'lifecycle', delayMs: 300 })
    assert.equal((await client.jobs.wait(id, { signal: AbortSignal.timeout(20_000) })).state, 'succeeded')
    // the idle worker leaves a claim waiting at the coordinator (a timer there, a session here)
    await waitFor(() => coord.coordinator?.waitingClaims === 1, 10_000, 'the worker\'s claim to wait')
    // a checkpoint published: the worker and the client follow the coordinator's log, and each
    // waits a random moment (a timer of its ledger service) before fetching it
    const note = await (coord.ledger ?? assert.fail('a coordinator keeps a ledger')).checkpoint()
    await coord.libp2p.services.ledger.publish(note)
    const deadline = Date.now() + 10_000
    // the ledger's jitter timer, and the newcomer's retry timer (absent while a retry is in flight)
    const retrying = (): boolean => trace.liveTimers('admission').some(t => t.includes('retryLater'))
    while ((trace.liveTimers('ledger').length === 0 || !retrying()) && Date.now() < deadline) await new Promise(resolve => setImmediate(resolve))

    // while they run, the trace sees what they added: otherwise an empty result below proves nothing
    const runningNow = footprint(trace, nodes)
    assert.deepEqual(shape(runningNow), running(nodes), `what the running services hold: ${JSON.stringify(runningNow, null, 1)}`)
    const timers = (s: ServiceName, what: string): string[] => runningNow[s].timers.filter(t => t.includes(what))
    assert.ok(timers('coordinator', 'maintenance.js').length > 0, 'the coordinator\'s maintenance tick is traced')
    assert.ok(timers('worker', 'coordinators.js').length > 0, 'the worker\'s discovery timer is traced')
    assert.ok(timers('ledger', 'ledger-service.js').length > 0, 'a replica\'s wait before fetching a checkpoint is traced')
    assert.equal(timers('admission', 'scheduleResync').length, 4, 'each node\'s admin re-sync timer is traced')
    assert.ok(timers('admission', 'retryLater').length > 0, 'the newcomer\'s enrollment retry is traced')
    assert.deepEqual(runningNow.ops.timers, [], 'the ops service sets no timer of its own (its footprint is its protocol)')

    await stop(...Object.values(nodes).flatMap(n => SERVICE_NAMES.map(s => n.libp2p.services[s]).filter(svc => svc != null)))
    // timers' destroy hooks run asynchronously
    await sleep(50)

    const left = footprint(trace, nodes)
    assert.deepEqual(left, nothing(nodes), `left behind by stopped services:\n${leftovers(left).join('\n')}`)
    // the rest of each node goes on: only its services stopped
    for (const n of Object.values(nodes)) {
      assert.equal(n.libp2p.status, 'started')
      assert.ok(n.libp2p.getProtocols().length > 0)
    }
  })
})
