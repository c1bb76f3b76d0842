// Decoding a verified envelope's body: a body that does not decode is the sender's fault, answered
// with a typed error (and charged to it by the req/resp layer).
import { MalformedMessageError } from '../../errors/index.js'

export function decode<T> (codec: { decode: (b: Uint8Array) => T }, bytes: Uint8Array, what: string): T {
  try {
    return codec.decode(bytes)
  } catch (err) {
    throw new MalformedMessageError(`${what} does not decode: ${(err as Error).message}`)
  }
}
