import { decodeMessage, encodeMessage, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface RpcResponse {
  errorName: string
  errorMessage: string
  body: Uint8Array<ArrayBuffer>
}

export namespace RpcResponse {
  let _codec: Codec<RpcResponse>

  export const codec = (): Codec<RpcResponse> => {
    if (_codec == null) {
      _codec = message<RpcResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.errorName != null && obj.errorName !== '')) {
          w.uint32(10)
          w.string(obj.errorName)
        }

        if ((obj.errorMessage != null && obj.errorMessage !== '')) {
          w.uint32(18)
          w.string(obj.errorMessage)
        }

        if ((obj.body != null && obj.body.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.body)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          errorName: '',
          errorMessage: '',
          body: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.errorName = reader.string()
              break
            }
            case 2: {
              obj.errorMessage = reader.string()
              break
            }
            case 3: {
              obj.body = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.errorName`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.errorMessage`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.body`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface RpcResponseErrorNameFieldEvent {
    field: '$.errorName'
    value: string
  }

  export interface RpcResponseErrorMessageFieldEvent {
    field: '$.errorMessage'
    value: string
  }

  export interface RpcResponseBodyFieldEvent {
    field: '$.body'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<RpcResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, RpcResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RpcResponse>): RpcResponse {
    return decodeMessage(buf, RpcResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RpcResponse>): Generator<RpcResponseErrorNameFieldEvent | RpcResponseErrorMessageFieldEvent | RpcResponseBodyFieldEvent> {
    return streamMessage(buf, RpcResponse.codec(), opts)
  }
}

export interface SessionFrame {
  id: number
  protocol: string
  request?: SignedEnvelope
  response?: RpcResponse
  cancel: boolean
}

export namespace SessionFrame {
  let _codec: Codec<SessionFrame>

  export const codec = (): Codec<SessionFrame> => {
    if (_codec == null) {
      _codec = message<SessionFrame>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.id != null && obj.id !== 0)) {
          w.uint32(8)
          w.uint32(obj.id)
        }

        if ((obj.protocol != null && obj.protocol !== '')) {
          w.uint32(18)
          w.string(obj.protocol)
        }

        if (obj.request != null) {
          w.uint32(26)
          SignedEnvelope.codec().encode(obj.request, w)
        }

        if (obj.response != null) {
          w.uint32(34)
          RpcResponse.codec().encode(obj.response, w)
        }

        if ((obj.cancel != null && obj.cancel !== false)) {
          w.uint32(40)
          w.bool(obj.cancel)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          id: 0,
          protocol: '',
          cancel: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.id = reader.uint32()
              break
            }
            case 2: {
              obj.protocol = reader.string()
              break
            }
            case 3: {
              obj.request = SignedEnvelope.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.request
              })
              break
            }
            case 4: {
              obj.response = RpcResponse.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.response
              })
              break
            }
            case 5: {
              obj.cancel = reader.bool()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.id`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.protocol`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield * SignedEnvelope.codec().stream(reader, reader.uint32(), `${prefix}.request`, {
                limits: opts.limits?.request
              })

              break
            }
            case 4: {
              yield * RpcResponse.codec().stream(reader, reader.uint32(), `${prefix}.response`, {
                limits: opts.limits?.response
              })

              break
            }
            case 5: {
              yield {
                field: `${prefix}.cancel`,
                value: reader.bool()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface SessionFrameIdFieldEvent {
    field: '$.id'
    value: number
  }

  export interface SessionFrameProtocolFieldEvent {
    field: '$.protocol'
    value: string
  }

  export interface SessionFrameRequestPayloadFieldEvent {
    field: '$.request.payload'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SessionFrameRequestSignatureFieldEvent {
    field: '$.request.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SessionFrameResponseErrorNameFieldEvent {
    field: '$.response.errorName'
    value: string
  }

  export interface SessionFrameResponseErrorMessageFieldEvent {
    field: '$.response.errorMessage'
    value: string
  }

  export interface SessionFrameResponseBodyFieldEvent {
    field: '$.response.body'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SessionFrameCancelFieldEvent {
    field: '$.cancel'
    value: boolean
  }

  export function encode (obj: Partial<SessionFrame>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SessionFrame.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SessionFrame>): SessionFrame {
    return decodeMessage(buf, SessionFrame.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SessionFrame>): Generator<SessionFrameIdFieldEvent | SessionFrameProtocolFieldEvent | SessionFrameRequestPayloadFieldEvent | SessionFrameRequestSignatureFieldEvent | SessionFrameResponseErrorNameFieldEvent | SessionFrameResponseErrorMessageFieldEvent | SessionFrameResponseBodyFieldEvent | SessionFrameCancelFieldEvent> {
    return streamMessage(buf, SessionFrame.codec(), opts)
  }
}

export interface SignedEnvelope {
  payload: Uint8Array<ArrayBuffer>
  signature: Uint8Array<ArrayBuffer>
}

export namespace SignedEnvelope {
  let _codec: Codec<SignedEnvelope>

  export const codec = (): Codec<SignedEnvelope> => {
    if (_codec == null) {
      _codec = message<SignedEnvelope>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.payload != null && obj.payload.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.payload)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          payload: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.payload = reader.bytes()
              break
            }
            case 2: {
              obj.signature = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.payload`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface SignedEnvelopePayloadFieldEvent {
    field: '$.payload'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SignedEnvelopeSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<SignedEnvelope>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SignedEnvelope.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedEnvelope>): SignedEnvelope {
    return decodeMessage(buf, SignedEnvelope.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedEnvelope>): Generator<SignedEnvelopePayloadFieldEvent | SignedEnvelopeSignatureFieldEvent> {
    return streamMessage(buf, SignedEnvelope.codec(), opts)
  }
}

export interface SignedPayload {
  domain: string
  meshId: string
  signer: Uint8Array<ArrayBuffer>
  issuedAtMs: bigint
  expiresAtMs: bigint
  nonce: Uint8Array<ArrayBuffer>
  body: Uint8Array<ArrayBuffer>
}

export namespace SignedPayload {
  let _codec: Codec<SignedPayload>

  export const codec = (): Codec<SignedPayload> => {
    if (_codec == null) {
      _codec = message<SignedPayload>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.domain != null && obj.domain !== '')) {
          w.uint32(10)
          w.string(obj.domain)
        }

        if ((obj.meshId != null && obj.meshId !== '')) {
          w.uint32(18)
          w.string(obj.meshId)
        }

        if ((obj.signer != null && obj.signer.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.signer)
        }

        if ((obj.issuedAtMs != null && obj.issuedAtMs !== 0n)) {
          w.uint32(32)
          w.uint64(obj.issuedAtMs)
        }

        if ((obj.expiresAtMs != null && obj.expiresAtMs !== 0n)) {
          w.uint32(40)
          w.uint64(obj.expiresAtMs)
        }

        if ((obj.nonce != null && obj.nonce.byteLength > 0)) {
          w.uint32(50)
          w.bytes(obj.nonce)
        }

        if ((obj.body != null && obj.body.byteLength > 0)) {
          w.uint32(58)
          w.bytes(obj.body)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          domain: '',
          meshId: '',
          signer: uint8ArrayAlloc(0),
          issuedAtMs: 0n,
          expiresAtMs: 0n,
          nonce: uint8ArrayAlloc(0),
          body: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.domain = reader.string()
              break
            }
            case 2: {
              obj.meshId = reader.string()
              break
            }
            case 3: {
              obj.signer = reader.bytes()
              break
            }
            case 4: {
              obj.issuedAtMs = reader.uint64()
              break
            }
            case 5: {
              obj.expiresAtMs = reader.uint64()
              break
            }
            case 6: {
              obj.nonce = reader.bytes()
              break
            }
            case 7: {
              obj.body = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.domain`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.meshId`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.signer`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.issuedAtMs`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.expiresAtMs`,
                value: reader.uint64()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.nonce`,
                value: reader.bytes()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.body`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface SignedPayloadDomainFieldEvent {
    field: '$.domain'
    value: string
  }

  export interface SignedPayloadMeshIdFieldEvent {
    field: '$.meshId'
    value: string
  }

  export interface SignedPayloadSignerFieldEvent {
    field: '$.signer'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SignedPayloadIssuedAtMsFieldEvent {
    field: '$.issuedAtMs'
    value: bigint
  }

  export interface SignedPayloadExpiresAtMsFieldEvent {
    field: '$.expiresAtMs'
    value: bigint
  }

  export interface SignedPayloadNonceFieldEvent {
    field: '$.nonce'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SignedPayloadBodyFieldEvent {
    field: '$.body'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<SignedPayload>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SignedPayload.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedPayload>): SignedPayload {
    return decodeMessage(buf, SignedPayload.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedPayload>): Generator<SignedPayloadDomainFieldEvent | SignedPayloadMeshIdFieldEvent | SignedPayloadSignerFieldEvent | SignedPayloadIssuedAtMsFieldEvent | SignedPayloadExpiresAtMsFieldEvent | SignedPayloadNonceFieldEvent | SignedPayloadBodyFieldEvent> {
    return streamMessage(buf, SignedPayload.codec(), opts)
  }
}
