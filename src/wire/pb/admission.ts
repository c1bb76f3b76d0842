import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface EnrollRequest {
  token: string
  label: string
  executors: string[]
  role: string
}

export namespace EnrollRequest {
  let _codec: Codec<EnrollRequest>

  export const codec = (): Codec<EnrollRequest> => {
    if (_codec == null) {
      _codec = message<EnrollRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.token != null && obj.token !== '')) {
          w.uint32(10)
          w.string(obj.token)
        }

        if ((obj.label != null && obj.label !== '')) {
          w.uint32(18)
          w.string(obj.label)
        }

        if (obj.executors != null && obj.executors.length > 0) {
          for (const value of obj.executors) {
            w.uint32(26)
            w.string(value)
          }
        }

        if ((obj.role != null && obj.role !== '')) {
          w.uint32(34)
          w.string(obj.role)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          token: '',
          label: '',
          executors: [],
          role: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.token = reader.string()
              break
            }
            case 2: {
              obj.label = reader.string()
              break
            }
            case 3: {
              if (opts.limits?.executors != null && obj.executors.length === opts.limits.executors) {
                throw new MaxLengthError('Decode error - repeated field "executors" had too many elements')
              }

              obj.executors.push(reader.string())
              break
            }
            case 4: {
              obj.role = reader.string()
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
        const obj = {
          executors: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.token`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.label`,
                value: reader.string()
              }
              break
            }
            case 3: {
              if (opts.limits?.executors != null && obj.executors === opts.limits.executors) {
                throw new MaxLengthError('Streaming decode error - repeated field "executors" had too many elements')
              }

              yield {
                field: `${prefix}.executors[]`,
                index: obj.executors,
                value: reader.string()
              }

              obj.executors++

              break
            }
            case 4: {
              yield {
                field: `${prefix}.role`,
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

  export interface EnrollRequestTokenFieldEvent {
    field: '$.token'
    value: string
  }

  export interface EnrollRequestLabelFieldEvent {
    field: '$.label'
    value: string
  }

  export interface EnrollRequestExecutorsFieldEvent {
    field: '$.executors[]'
    index: number
    value: string
  }

  export interface EnrollRequestRoleFieldEvent {
    field: '$.role'
    value: string
  }

  export function encode (obj: Partial<EnrollRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, EnrollRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<EnrollRequest>): EnrollRequest {
    return decodeMessage(buf, EnrollRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<EnrollRequest>): Generator<EnrollRequestTokenFieldEvent | EnrollRequestLabelFieldEvent | EnrollRequestExecutorsFieldEvent | EnrollRequestRoleFieldEvent> {
    return streamMessage(buf, EnrollRequest.codec(), opts)
  }
}

export interface EnrollResponse {
  status: EnrollResponse.Status
  reason: string
}

export namespace EnrollResponse {
  export enum Status {
    PENDING = 'PENDING',
    ACTIVE = 'ACTIVE',
    REJECTED = 'REJECTED'
  }

  enum __StatusValues {
    PENDING = 0,
    ACTIVE = 1,
    REJECTED = 2
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<EnrollResponse>

  export const codec = (): Codec<EnrollResponse> => {
    if (_codec == null) {
      _codec = message<EnrollResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          EnrollResponse.Status.codec().encode(obj.status, w)
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
          status: Status.PENDING,
          reason: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = EnrollResponse.Status.codec().decode(reader)
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
                field: `${prefix}.status`,
                value: EnrollResponse.Status.codec().decode(reader)
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

  export interface EnrollResponseStatusFieldEvent {
    field: '$.status'
    value: EnrollResponse.Status
  }

  export interface EnrollResponseReasonFieldEvent {
    field: '$.reason'
    value: string
  }

  export function encode (obj: Partial<EnrollResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, EnrollResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<EnrollResponse>): EnrollResponse {
    return decodeMessage(buf, EnrollResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<EnrollResponse>): Generator<EnrollResponseStatusFieldEvent | EnrollResponseReasonFieldEvent> {
    return streamMessage(buf, EnrollResponse.codec(), opts)
  }
}

export interface AdminAction {
  kind: AdminAction.Kind
  target: string
  reason: string
  untilMs: bigint
  value: string
}

export namespace AdminAction {
  export enum Kind {
    APPROVE = 'APPROVE',
    REJECT = 'REJECT',
    BLACKLIST_ADD = 'BLACKLIST_ADD',
    BLACKLIST_REMOVE = 'BLACKLIST_REMOVE',
    POLICY_SET = 'POLICY_SET',
    OPERATOR = 'OPERATOR'
  }

  enum __KindValues {
    APPROVE = 0,
    REJECT = 1,
    BLACKLIST_ADD = 2,
    BLACKLIST_REMOVE = 3,
    POLICY_SET = 4,
    OPERATOR = 5
  }

  export namespace Kind {
    export const codec = (): Codec<Kind> => {
      return enumeration<Kind>(__KindValues)
    }
  }

  let _codec: Codec<AdminAction>

  export const codec = (): Codec<AdminAction> => {
    if (_codec == null) {
      _codec = message<AdminAction>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.kind != null && __KindValues[obj.kind] !== 0) {
          w.uint32(8)
          AdminAction.Kind.codec().encode(obj.kind, w)
        }

        if ((obj.target != null && obj.target !== '')) {
          w.uint32(18)
          w.string(obj.target)
        }

        if ((obj.reason != null && obj.reason !== '')) {
          w.uint32(26)
          w.string(obj.reason)
        }

        if ((obj.untilMs != null && obj.untilMs !== 0n)) {
          w.uint32(32)
          w.uint64(obj.untilMs)
        }

        if ((obj.value != null && obj.value !== '')) {
          w.uint32(42)
          w.string(obj.value)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          kind: Kind.APPROVE,
          target: '',
          reason: '',
          untilMs: 0n,
          value: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.kind = AdminAction.Kind.codec().decode(reader)
              break
            }
            case 2: {
              obj.target = reader.string()
              break
            }
            case 3: {
              obj.reason = reader.string()
              break
            }
            case 4: {
              obj.untilMs = reader.uint64()
              break
            }
            case 5: {
              obj.value = reader.string()
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
                value: AdminAction.Kind.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.target`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.reason`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.untilMs`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.value`,
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

  export interface AdminActionKindFieldEvent {
    field: '$.kind'
    value: AdminAction.Kind
  }

  export interface AdminActionTargetFieldEvent {
    field: '$.target'
    value: string
  }

  export interface AdminActionReasonFieldEvent {
    field: '$.reason'
    value: string
  }

  export interface AdminActionUntilMsFieldEvent {
    field: '$.untilMs'
    value: bigint
  }

  export interface AdminActionValueFieldEvent {
    field: '$.value'
    value: string
  }

  export function encode (obj: Partial<AdminAction>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, AdminAction.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AdminAction>): AdminAction {
    return decodeMessage(buf, AdminAction.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AdminAction>): Generator<AdminActionKindFieldEvent | AdminActionTargetFieldEvent | AdminActionReasonFieldEvent | AdminActionUntilMsFieldEvent | AdminActionValueFieldEvent> {
    return streamMessage(buf, AdminAction.codec(), opts)
  }
}

export interface AdminActionAnnouncement {
  action?: SignedEnvelope
}

export namespace AdminActionAnnouncement {
  let _codec: Codec<AdminActionAnnouncement>

  export const codec = (): Codec<AdminActionAnnouncement> => {
    if (_codec == null) {
      _codec = message<AdminActionAnnouncement>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.action != null) {
          w.uint32(10)
          SignedEnvelope.codec().encode(obj.action, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {}

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.action = SignedEnvelope.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.action
              })
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
              yield * SignedEnvelope.codec().stream(reader, reader.uint32(), `${prefix}.action`, {
                limits: opts.limits?.action
              })

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

  export interface AdminActionAnnouncementActionPayloadFieldEvent {
    field: '$.action.payload'
    value: Uint8Array<ArrayBuffer>
  }

  export interface AdminActionAnnouncementActionSignatureFieldEvent {
    field: '$.action.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<AdminActionAnnouncement>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, AdminActionAnnouncement.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AdminActionAnnouncement>): AdminActionAnnouncement {
    return decodeMessage(buf, AdminActionAnnouncement.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AdminActionAnnouncement>): Generator<AdminActionAnnouncementActionPayloadFieldEvent | AdminActionAnnouncementActionSignatureFieldEvent> {
    return streamMessage(buf, AdminActionAnnouncement.codec(), opts)
  }
}

export interface AdminSyncRequest {
  from: bigint
}

export namespace AdminSyncRequest {
  let _codec: Codec<AdminSyncRequest>

  export const codec = (): Codec<AdminSyncRequest> => {
    if (_codec == null) {
      _codec = message<AdminSyncRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.from != null && obj.from !== 0n)) {
          w.uint32(8)
          w.uint64(obj.from)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          from: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.from = reader.uint64()
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
                field: `${prefix}.from`,
                value: reader.uint64()
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

  export interface AdminSyncRequestFromFieldEvent {
    field: '$.from'
    value: bigint
  }

  export function encode (obj: Partial<AdminSyncRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, AdminSyncRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AdminSyncRequest>): AdminSyncRequest {
    return decodeMessage(buf, AdminSyncRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AdminSyncRequest>): Generator<AdminSyncRequestFromFieldEvent> {
    return streamMessage(buf, AdminSyncRequest.codec(), opts)
  }
}

export interface AdminSyncResponse {
  actions: SignedEnvelope[]
  next: bigint
}

export namespace AdminSyncResponse {
  let _codec: Codec<AdminSyncResponse>

  export const codec = (): Codec<AdminSyncResponse> => {
    if (_codec == null) {
      _codec = message<AdminSyncResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.actions != null && obj.actions.length > 0) {
          for (const value of obj.actions) {
            w.uint32(10)
            SignedEnvelope.codec().encode(value, w)
          }
        }

        if ((obj.next != null && obj.next !== 0n)) {
          w.uint32(16)
          w.uint64(obj.next)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          actions: [],
          next: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.actions != null && obj.actions.length === opts.limits.actions) {
                throw new MaxLengthError('Decode error - repeated field "actions" had too many elements')
              }

              obj.actions.push(SignedEnvelope.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.actions$
              }))
              break
            }
            case 2: {
              obj.next = reader.uint64()
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
        const obj = {
          actions: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.actions != null && obj.actions === opts.limits.actions) {
                throw new MaxLengthError('Streaming decode error - repeated field "actions" had too many elements')
              }

              for (const evt of SignedEnvelope.codec().stream(reader, reader.uint32(), `${prefix}.actions[]`, {
                limits: opts.limits?.actions$
              })) {
                yield {
                  ...evt,
                  index: obj.actions
                }
              }

              obj.actions++

              break
            }
            case 2: {
              yield {
                field: `${prefix}.next`,
                value: reader.uint64()
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

  export interface AdminSyncResponseActionsPayloadFieldEvent {
    field: '$.actions[].payload'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface AdminSyncResponseActionsSignatureFieldEvent {
    field: '$.actions[].signature'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface AdminSyncResponseNextFieldEvent {
    field: '$.next'
    value: bigint
  }

  export function encode (obj: Partial<AdminSyncResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, AdminSyncResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AdminSyncResponse>): AdminSyncResponse {
    return decodeMessage(buf, AdminSyncResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AdminSyncResponse>): Generator<AdminSyncResponseActionsPayloadFieldEvent | AdminSyncResponseActionsSignatureFieldEvent | AdminSyncResponseNextFieldEvent> {
    return streamMessage(buf, AdminSyncResponse.codec(), opts)
  }
}

export interface AuthorityAction {
  kind: string
  target: string
  label: string
  expiresAtMs: bigint
  reason: string
}

export namespace AuthorityAction {
  let _codec: Codec<AuthorityAction>

  export const codec = (): Codec<AuthorityAction> => {
    if (_codec == null) {
      _codec = message<AuthorityAction>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.kind != null && obj.kind !== '')) {
          w.uint32(10)
          w.string(obj.kind)
        }

        if ((obj.target != null && obj.target !== '')) {
          w.uint32(18)
          w.string(obj.target)
        }

        if ((obj.label != null && obj.label !== '')) {
          w.uint32(26)
          w.string(obj.label)
        }

        if ((obj.expiresAtMs != null && obj.expiresAtMs !== 0n)) {
          w.uint32(32)
          w.uint64(obj.expiresAtMs)
        }

        if ((obj.reason != null && obj.reason !== '')) {
          w.uint32(42)
          w.string(obj.reason)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          kind: '',
          target: '',
          label: '',
          expiresAtMs: 0n,
          reason: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.kind = reader.string()
              break
            }
            case 2: {
              obj.target = reader.string()
              break
            }
            case 3: {
              obj.label = reader.string()
              break
            }
            case 4: {
              obj.expiresAtMs = reader.uint64()
              break
            }
            case 5: {
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
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.target`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.label`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.expiresAtMs`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
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

  export interface AuthorityActionKindFieldEvent {
    field: '$.kind'
    value: string
  }

  export interface AuthorityActionTargetFieldEvent {
    field: '$.target'
    value: string
  }

  export interface AuthorityActionLabelFieldEvent {
    field: '$.label'
    value: string
  }

  export interface AuthorityActionExpiresAtMsFieldEvent {
    field: '$.expiresAtMs'
    value: bigint
  }

  export interface AuthorityActionReasonFieldEvent {
    field: '$.reason'
    value: string
  }

  export function encode (obj: Partial<AuthorityAction>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, AuthorityAction.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AuthorityAction>): AuthorityAction {
    return decodeMessage(buf, AuthorityAction.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AuthorityAction>): Generator<AuthorityActionKindFieldEvent | AuthorityActionTargetFieldEvent | AuthorityActionLabelFieldEvent | AuthorityActionExpiresAtMsFieldEvent | AuthorityActionReasonFieldEvent> {
    return streamMessage(buf, AuthorityAction.codec(), opts)
  }
}

export interface AuthorityAnnouncement {
  action?: SignedEnvelope
}

export namespace AuthorityAnnouncement {
  let _codec: Codec<AuthorityAnnouncement>

  export const codec = (): Codec<AuthorityAnnouncement> => {
    if (_codec == null) {
      _codec = message<AuthorityAnnouncement>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.action != null) {
          w.uint32(10)
          SignedEnvelope.codec().encode(obj.action, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {}

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.action = SignedEnvelope.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.action
              })
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
              yield * SignedEnvelope.codec().stream(reader, reader.uint32(), `${prefix}.action`, {
                limits: opts.limits?.action
              })

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

  export interface AuthorityAnnouncementActionPayloadFieldEvent {
    field: '$.action.payload'
    value: Uint8Array<ArrayBuffer>
  }

  export interface AuthorityAnnouncementActionSignatureFieldEvent {
    field: '$.action.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<AuthorityAnnouncement>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, AuthorityAnnouncement.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AuthorityAnnouncement>): AuthorityAnnouncement {
    return decodeMessage(buf, AuthorityAnnouncement.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AuthorityAnnouncement>): Generator<AuthorityAnnouncementActionPayloadFieldEvent | AuthorityAnnouncementActionSignatureFieldEvent> {
    return streamMessage(buf, AuthorityAnnouncement.codec(), opts)
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
