// Codecs for what travels in a signed envelope or a response body. protons' generated message
// namespaces (src/wire/pb) already are such codecs; the two bodies that are not protobuf messages
// (a submit's answer, a cancel notice's empty answer) get one here, so every protocol names a codec.

/**
 * Encodes a message to the bytes it travels as, and decodes those bytes back (throwing if it
 * cannot). The message type is read off `decode`: protons' `encode` takes a partial message.
 */
export interface BodyCodec<T> {
  encode (value: NoInfer<T>): Uint8Array
  decode (bytes: Uint8Array): T
}

const utf8 = new TextEncoder()
const fromUtf8 = new TextDecoder('utf-8', { fatal: true })

/** the job id a coordinator answers a submit with: lowercase hex, as UTF-8 */
export const JobIdBody: BodyCodec<string> = {
  encode: id => utf8.encode(id),
  decode: bytes => fromUtf8.decode(bytes)
}

/** an answer that carries nothing but its arrival (the error, if any, is in the RpcResponse) */
export const EmptyBody: BodyCodec<undefined> = {
  encode: () => new Uint8Array(0),
  decode: () => undefined
}
