import { EventEmitter } from 'node:events'

/** A small typed wrapper over EventEmitter: listeners get the event's own detail type. */
export class TypedEmitter<Events extends Record<string, unknown>> {
  private readonly emitter = new EventEmitter({ captureRejections: false })
  constructor () { this.emitter.setMaxListeners(0) }

  on<K extends keyof Events & string> (event: K, listener: (detail: Events[K]) => void): this {
    this.emitter.on(event, listener)
    return this
  }

  once<K extends keyof Events & string> (event: K, listener: (detail: Events[K]) => void): this {
    this.emitter.once(event, listener)
    return this
  }

  off<K extends keyof Events & string> (event: K, listener: (detail: Events[K]) => void): this {
    this.emitter.off(event, listener)
    return this
  }

  emit<K extends keyof Events & string> (event: K, detail: Events[K]): void {
    // a throwing listener must not break the runtime that emitted
    for (const l of this.emitter.listeners(event)) {
      try { (l as (d: Events[K]) => void)(detail) } catch { /* listener's own bug */ }
    }
  }
}
