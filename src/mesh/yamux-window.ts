// Yamux flow control without a window update per frame, for the muxers this project's nodes create
// and no others. @libp2p/yamux 8 answers every data frame it reads with a WINDOW_UPDATE frame (its
// check is "capacity below the full window", true after any read), so each small message on a
// long-lived stream costs a second frame the other way: its own noise encryption, yamux header and
// socket write at the receiver, and a decrypt at the sender. go-yamux and rust-yamux send an update
// only once half the window has been consumed; this applies the same rule. The sender never stalls:
// while we hold back, it still has more than half a window to send.
//
// The package has no option for this (its window sizes only set how large the window is, not when
// it is topped up), so `edgecoderYamux` wraps `yamux()`: the factory's muxers get a stream
// constructor that sets the rule on each stream instance it makes, in or out. The prototype is left
// alone, so any other libp2p node in the same process (a host application's, a test's) keeps the
// stock behaviour. The rule reads fields the package's types mark private; if they are not there
// (a release that renamed them), streams keep the stock behaviour rather than break.
import { yamux, type YamuxMuxerInit } from '@libp2p/yamux'
import { StreamState } from '@libp2p/yamux/stream'
import type { StreamMuxerFactory } from '@libp2p/interface'

/** the fields of a yamux stream the rule reads */
interface WindowState {
  state: StreamState
  recvWindow: number
  recvWindowCapacity: number
  sendWindowUpdate: () => void
}

/** the muxer's one constructor of streams, outbound (createStream) and inbound (a SYN frame) */
type NewStream = (streamId: number, state: StreamState, direction: 'inbound' | 'outbound') => unknown

function isWindowState (s: unknown): s is WindowState {
  const w = s as Partial<WindowState> | null
  return w != null && typeof w.sendWindowUpdate === 'function' && typeof w.recvWindow === 'number' &&
    typeof w.recvWindowCapacity === 'number' && typeof w.state === 'number'
}

/** Sets the half-window rule on one stream instance. */
function applyHalfWindowRule (stream: WindowState): void {
  const original = stream.sendWindowUpdate
  stream.sendWindowUpdate = function (this: WindowState): void {
    // a SYN or ACK (the stream's first frame) and a resume from pause go out as the package sends
    // them; only a plain update on an established stream waits until half the window is used
    if (this.state === StreamState.Established && this.recvWindowCapacity > this.recvWindow / 2) return
    original.call(this)
  }
}

/**
 * `yamux(init)` whose muxers' streams send a window update once half the receive window is
 * consumed rather than after every data frame. Only the muxers this factory creates are affected.
 */
export function edgecoderYamux (init: YamuxMuxerInit = {}): () => StreamMuxerFactory {
  const stock = yamux(init)
  return () => {
    const factory = stock()
    const createStreamMuxer = factory.createStreamMuxer.bind(factory)
    factory.createStreamMuxer = (maConn) => {
      const muxer = createStreamMuxer(maConn)
      const m = muxer as unknown as { _newStream?: NewStream }
      const newStream = m._newStream
      if (typeof newStream !== 'function') return muxer
      m._newStream = function (this: unknown, ...args: Parameters<NewStream>) {
        const stream = newStream.apply(this, args)
        if (isWindowState(stream)) applyHalfWindowRule(stream)
        return stream
      }
      return muxer
    }
    return factory
  }
}
