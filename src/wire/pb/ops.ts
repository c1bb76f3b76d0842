import { decodeMessage, encodeMessage, enumeration, message, streamMessage } from 'protons-runtime'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface OpsNotice {
  kind: OpsNotice.Kind
  reason: string
}

export namespace OpsNotice {
  export enum Kind {
    DRAIN = 'DRAIN',
    UNDRAIN = 'UNDRAIN',
    DRAINED = 'DRAINED'
  }

  enum __KindValues {
    DRAIN = 0,
    UNDRAIN = 1,
    DRAINED = 2
  }

  export namespace Kind {
    export const codec = (): Codec<Kind> => {
      return enumeration<Kind>(__KindValues)
    }
  }

  let _codec: Codec<OpsNotice>

  export const codec = (): Codec<OpsNotice> => {
    if (_codec == null) {
      _codec = message<OpsNotice>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.kind != null && __KindValues[obj.kind] !== 0) {
          w.uint32(8)
          OpsNotice.Kind.codec().encode(obj.kind, w)
        }

        if ((obj.reason != null && obj.reason !== '')) {
          w.uint32(18)
          w.string(obj.reason)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          kind: Kind.DRAIN,
          reason: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.kind = OpsNotice.Kind.codec().decode(reader)
              break
            }
            case 2: {
              obj.reason = reader.string()
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
                field: `${prefix}.kind`,
                value: OpsNotice.Kind.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.reason`,
                value: reader.string()
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

  export interface OpsNoticeKindFieldEvent {
    field: '$.kind'
    value: OpsNotice.Kind
  }

  export interface OpsNoticeReasonFieldEvent {
    field: '$.reason'
    value: string
  }

  export function encode (obj: Partial<OpsNotice>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, OpsNotice.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<OpsNotice>): OpsNotice {
    return decodeMessage(buf, OpsNotice.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<OpsNotice>): Generator<OpsNoticeKindFieldEvent | OpsNoticeReasonFieldEvent> {
    return streamMessage(buf, OpsNotice.codec(), opts)
  }
}

export interface OpsNoticeAck {
  running: number
  draining: boolean
}

export namespace OpsNoticeAck {
  let _codec: Codec<OpsNoticeAck>

  export const codec = (): Codec<OpsNoticeAck> => {
    if (_codec == null) {
      _codec = message<OpsNoticeAck>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.running != null && obj.running !== 0)) {
          w.uint32(8)
          w.uint32(obj.running)
        }

        if ((obj.draining != null && obj.draining !== false)) {
          w.uint32(16)
          w.bool(obj.draining)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          running: 0,
          draining: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.running = reader.uint32()
              break
            }
            case 2: {
              obj.draining = reader.bool()
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
                field: `${prefix}.running`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.draining`,
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

  export interface OpsNoticeAckRunningFieldEvent {
    field: '$.running'
    value: number
  }

  export interface OpsNoticeAckDrainingFieldEvent {
    field: '$.draining'
    value: boolean
  }

  export function encode (obj: Partial<OpsNoticeAck>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, OpsNoticeAck.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<OpsNoticeAck>): OpsNoticeAck {
    return decodeMessage(buf, OpsNoticeAck.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<OpsNoticeAck>): Generator<OpsNoticeAckRunningFieldEvent | OpsNoticeAckDrainingFieldEvent> {
    return streamMessage(buf, OpsNoticeAck.codec(), opts)
  }
}
