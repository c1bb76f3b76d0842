// Yamux flow control without a window update per frame. @libp2p/yamux 8 answers every data frame
// it reads with a WINDOW_UPDATE frame (its check is "capacity below the full window", true after any
// read), so each small message on a long-lived stream costs a second frame the other way: its own
// noise encryption, yamux header and socket write at the receiver, and a decrypt at the sender. At
// the coordinator these updates were 40% of socket writes (docs/benchmarks.md, fix 13). go-yamux
// and rust-yamux send an update only once half the window has been consumed; this applies the same
// rule. The sender never stalls: while we hold back, it still has more than half a window to send.
import { YamuxStream, StreamState } from '@libp2p/yamux/stream'

/** the fields the rule reads (private in the package's types) */
interface WindowState {
  state: StreamState
  recvWindow: number
  recvWindowCapacity: number
}

type SendWindowUpdate = (this: WindowState) => void

let installed = false

/** Applies the half-window rule to every yamux stream in this process (idempotent). */
export function installYamuxWindowThreshold (): void {
  if (installed) return
  installed = true
  const proto = YamuxStream.prototype as unknown as { sendWindowUpdate: SendWindowUpdate }
  const original = proto.sendWindowUpdate
  proto.sendWindowUpdate = function (this: WindowState): void {
    // an ACK or other flag still goes out at once (the original sends it); only a plain update on an
    // established stream waits until half the window is used
    if (this.state === StreamState.Established && this.recvWindowCapacity > this.recvWindow / 2) return
    original.call(this)
  }
}
