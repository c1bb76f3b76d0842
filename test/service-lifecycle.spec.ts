// Start/stop symmetry of the job services: whatever the coordinator and the worker add to their
// node while they run (registrar handlers, the jobs topic's validator and subscription, event
// listeners, timers) is gone once they are stopped, while the rest of the node still runs. Real
// nodes on loopback; timers and listeners are traced to the code that created them.
import assert from 'node:assert/strict'
import { createHook, type AsyncHook } from 'node:async_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { stop } from '@libp2p/interface'
import { Fixture, waitFor, MESH } from './helpers.js'
import { Protocols, jobsTopic } from '../src/wire/domains.js'
import type { EdgecoderNode } from '../src/node/create-node.js'

type Listener = Parameters<EventTarget['addEventListener']>[1]

/** a stack frame in the job services' code (compiled: dist/src/jobs/...) */
const JOBS_FRAME = /[\\/]src[\\/]jobs[\\/]/

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

/**
 * Timers set and event listeners added by code in src/jobs, for as long as they live: a timer
 * until it fires or is cleared, a listener until it is removed. A timer behind AbortSignal.timeout
 * is the signal's, not set by the service, and is not traced.
 */
class JobsResourceTrace {
  /** async id → the frame that set it */
  readonly timers = new Map<number, string>()
  readonly listeners = new Map<EventTarget, Map<string, Map<Listener, string>>>()
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
        if (caller != null && JOBS_FRAME.test(caller)) timers.set(asyncId, caller.trim())
      },
      destroy (asyncId) { timers.delete(asyncId) }
    }).enable()
    const { realAdd, realRemove, listeners } = this
    EventTarget.prototype.addEventListener = function (type, listener, options) {
      realAdd.call(this, type, listener, options)
      // a signal's listeners go with the signal; a once-listener removes itself
      if (listener == null || this instanceof AbortSignal || (typeof options === 'object' && options.once === true)) return
      // the synchronous part of the stack: a library's own listeners, added later on behalf of an
      // awaited call from src/jobs, show it only as an "async" frame
      const sync = syncFrames(new Error().stack ?? '')
      const frame = sync.find(f => JOBS_FRAME.test(f))
      if (frame == null) return
      const byType = listeners.get(this) ?? new Map<string, Map<Listener, string>>()
      listeners.set(this, byType)
      const byListener = byType.get(type) ?? new Map<Listener, string>()
      byType.set(type, byListener)
      byListener.set(listener, frame.trim())
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

  /** live timers set by the `service` ('coordinator' or 'worker'), by the frame that set them */
  liveTimers (service: string): string[] {
    return [...this.timers.values()].filter(f => f.includes(`/src/jobs/${service}`))
  }

  /** live listeners added on `target`, as "type: frame" */
  liveListeners (target: EventTarget): string[] {
    const out: string[] = []
    for (const [type, byListener] of this.listeners.get(target) ?? []) {
      for (const frame of byListener.values()) out.push(`${type}: ${frame}`)
    }
    return out
  }
}

/** what a node's registrar and gossipsub hold of the job services */
function jobsFootprint (node: EdgecoderNode): { protocols: string[], validator: boolean, subscribed: boolean } {
  const jobs: string[] = [Protocols.session, Protocols.claim, Protocols.lease, Protocols.result, Protocols.submit, Protocols.job, Protocols.cancel]
  const pubsub = node.libp2p.services.pubsub
  return {
    protocols: node.libp2p.getProtocols().filter(p => jobs.includes(p)).sort(),
    validator: pubsub.topicValidators.has(jobsTopic(MESH)),
    subscribed: pubsub.getTopics().includes(jobsTopic(MESH))
  }
}

describe('job services: stop removes what start added', function () {
  this.timeout(60_000)
  const fx = new Fixture()
  const trace = new JobsResourceTrace()
  before(() => { trace.install() })
  after(async () => {
    trace.uninstall()
    await fx.cleanup()
  })

  it('a coordinator and a worker that ran a job leave no handler, validator, subscription, listener or timer behind', async () => {
    const coord = await fx.coordinator()
    const [worker] = await fx.workers(1, coord)
    const id = await coord.jobs.submit({ executor: 'noop', input: 'lifecycle', delayMs: 300 })
    await waitFor(async () => (await coord.coordinator?.status(id))?.state === 'succeeded', 20_000, 'the job to succeed')
    // the idle worker leaves a claim waiting at the coordinator (a timer there, a session here)
    await waitFor(() => coord.coordinator?.waitingClaims === 1, 10_000, 'the worker\'s claim to wait')

    // while they run, the trace sees what they added: otherwise an empty result below proves nothing
    assert.deepEqual(jobsFootprint(coord), { protocols: [Protocols.session, Protocols.claim, Protocols.lease, Protocols.result, Protocols.submit, Protocols.job].sort(), validator: true, subscribed: true })
    assert.deepEqual(jobsFootprint(worker), { protocols: [Protocols.cancel], validator: true, subscribed: true })
    assert.ok(trace.liveTimers('coordinator').length > 0, 'the coordinator\'s maintenance tick is traced')
    assert.ok(trace.liveTimers('worker').length > 0, 'the worker\'s discovery timer is traced')
    assert.ok(trace.liveListeners(worker.libp2p.services.pubsub).length > 0, 'the worker\'s jobs-topic listener is traced')
    const workerListeners = [...trace.listeners.keys()].filter(t => t !== worker.libp2p.services.pubsub && trace.liveListeners(t).some(l => l.includes('jobs/worker')))
    assert.equal(workerListeners.length, 1, 'the worker\'s identify listener is traced (on the node\'s event bus)')

    await stop(worker.libp2p.services.worker)
    await stop(coord.libp2p.services.coordinator)
    // timers' destroy hooks run asynchronously
    await sleep(50)

    assert.deepEqual(jobsFootprint(worker), { protocols: [], validator: false, subscribed: false }, 'the worker\'s')
    assert.deepEqual(jobsFootprint(coord), { protocols: [], validator: false, subscribed: false }, 'the coordinator\'s')
    assert.deepEqual(trace.liveTimers('coordinator'), [], 'coordinator timers left')
    assert.deepEqual(trace.liveTimers('worker'), [], 'worker timers left')
    assert.deepEqual([...trace.timers.values()], [], 'timers set in src/jobs left')
    const listenersLeft = [...trace.listeners.keys()].flatMap(t => trace.liveListeners(t))
    assert.deepEqual(listenersLeft, [], 'listeners added in src/jobs left')
    // the rest of each node goes on: only the job services stopped
    assert.equal(coord.libp2p.status, 'started')
    assert.ok(coord.libp2p.getProtocols().length > 0 && worker.libp2p.getProtocols().length > 0)
  })
})
