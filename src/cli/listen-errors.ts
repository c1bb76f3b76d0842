// One line for a listen address that cannot be used, naming where it came from (--listen, --http
// or config.json), instead of libp2p's multi-line report advising an option the CLI does not have.
import { multiaddr } from '@multiformats/multiaddr'
import { AddressInUseError, InvalidArgumentError, ListenError } from '../errors/index.js'

/** Refuses an address that is not a multiaddr before anything is opened. */
export function checkListenAddrs (addrs: string[], from: string): void {
  for (const a of addrs) {
    try {
      multiaddr(a)
    } catch (err) {
      throw new InvalidArgumentError(`${from} "${a.slice(0, 200)}" is not a multiaddr (${(err as Error).message}); e.g. /ip4/0.0.0.0/tcp/4001`)
    }
  }
}

/** libp2p's UnsupportedListenAddressesError as AddressInUseError or ListenError; other errors unchanged. */
export function listenFailure (err: unknown, from: string): unknown {
  const e = err as Error
  if (e?.name !== 'UnsupportedListenAddressesError') return err
  // its message lists "  <multiaddr>: <error>" per address, each error with its stack
  const failed = [...e.message.matchAll(/^ {2}(\/\S+): (?:\w*Error: )?(.*)$/gm)].map(m => ({ addr: m[1], why: m[2] }))
  if (failed.length === 0) return new ListenError(`${from}: cannot listen on the configured addresses`)
  const inUse = failed.filter(f => /EADDRINUSE/.test(f.why))
  if (inUse.length > 0) {
    return new AddressInUseError(`${from} ${inUse.map(f => f.addr).join(', ')}: address already in use (another process listens there: stop it, or choose another port, or port 0 for any)`)
  }
  return new ListenError(`${from} ${failed.map(f => `${f.addr}: ${f.why.replace(/^listen /, '')}`).join('; ')}`)
}

/** The control server's AddressInUseError or ListenError, with the flag or config field named. */
export function controlApiFailure (err: unknown, from: string): unknown {
  const e = err as Error
  if (e?.name === 'AddressInUseError') return new AddressInUseError(`${from} ${e.message}`)
  if (e?.name === 'ListenError') return new ListenError(`${from} ${e.message}`)
  return err
}
