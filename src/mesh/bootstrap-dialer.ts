// Keeps this node connected to its bootstrap peers: dials them at start and redials with backoff
// after a disconnect (a restarted coordinator comes back on its own). Stops with the node.
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'

export class BootstrapDialer {
  private readonly abort = new AbortController()
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  private readonly peers: Array<{ id: PeerId, addr: Multiaddr }>
  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const p = this.peers.find(x => x.id.equals(evt.detail))
    if (p != null) this.schedule(p, 250)
  }

  constructor (private readonly libp2p: Libp2p, addrs: Multiaddr[]) {
    this.peers = addrs.flatMap(addr => {
      const id = addr.getComponents().find(c => c.name === 'p2p')?.value
      if (id == null || id === libp2p.peerId.toString()) return []
      return [{ id: peerIdFromString(id), addr }]
    })
  }

  start (): void {
    this.libp2p.addEventListener('peer:disconnect', this.onDisconnect)
    for (const p of this.peers) void this.dial(p, 250)
  }

  /** Resolves once at least one bootstrap peer is connected (or there are none). */
  async waitForFirst (signal?: AbortSignal): Promise<void> {
    while (this.peers.length > 0 && !this.peers.some(p => this.libp2p.getConnections(p.id).length > 0)) {
      signal?.throwIfAborted()
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }

  stop (): void {
    this.abort.abort()
    this.libp2p.removeEventListener('peer:disconnect', this.onDisconnect)
    for (const t of this.timers) clearTimeout(t)
  }

  private schedule (p: { id: PeerId, addr: Multiaddr }, delay: number): void {
    if (this.abort.signal.aborted) return
    const t = setTimeout(() => { this.timers.delete(t); void this.dial(p, delay) }, delay)
    t.unref?.()
    this.timers.add(t)
  }

  private async dial (p: { id: PeerId, addr: Multiaddr }, backoff: number): Promise<void> {
    if (this.abort.signal.aborted || this.libp2p.getConnections(p.id).length > 0) return
    try {
      await this.libp2p.dial(p.addr, { signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(5_000)]) })
    } catch {
      this.schedule(p, Math.min(backoff * 2, 10_000))
    }
  }
}
