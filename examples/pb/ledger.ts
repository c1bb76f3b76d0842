import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface Posting {
  account: string
  delta: bigint
}

export namespace Posting {
  let _codec: Codec<Posting>

  export const codec = (): Codec<Posting> => {
    if (_codec == null) {
      _codec = message<Posting>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.account != null && obj.account !== '')) {
          w.uint32(10)
          w.string(obj.account)
        }

        if ((obj.delta != null && obj.delta !== 0n)) {
          w.uint32(16)
          w.sint64(obj.delta)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          account: '',
          delta: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.account = reader.string()
              break
            }
            case 2: {
              obj.delta = reader.sint64()
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
                field: `${prefix}.account`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.delta`,
                value: reader.sint64()
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

  export interface PostingAccountFieldEvent {
    field: '$.account'
    value: string
  }

  export interface PostingDeltaFieldEvent {
    field: '$.delta'
    value: bigint
  }

  export function encode (obj: Partial<Posting>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Posting.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Posting>): Posting {
    return decodeMessage(buf, Posting.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Posting>): Generator<PostingAccountFieldEvent | PostingDeltaFieldEvent> {
    return streamMessage(buf, Posting.codec(), opts)
  }
}

export interface Settlement {
  jobId: string
  owner: string
  worker: string
  attempt: number
  outcome: string
  price: bigint
  fee: bigint
  assignmentDigest: Uint8Array<ArrayBuffer>
  resultDigest: Uint8Array<ArrayBuffer>
  executor: string
}

export namespace Settlement {
  let _codec: Codec<Settlement>

  export const codec = (): Codec<Settlement> => {
    if (_codec == null) {
      _codec = message<Settlement>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.jobId != null && obj.jobId !== '')) {
          w.uint32(10)
          w.string(obj.jobId)
        }

        if ((obj.owner != null && obj.owner !== '')) {
          w.uint32(18)
          w.string(obj.owner)
        }

        if ((obj.worker != null && obj.worker !== '')) {
          w.uint32(26)
          w.string(obj.worker)
        }

        if ((obj.attempt != null && obj.attempt !== 0)) {
          w.uint32(32)
          w.uint32(obj.attempt)
        }

        if ((obj.outcome != null && obj.outcome !== '')) {
          w.uint32(42)
          w.string(obj.outcome)
        }

        if ((obj.price != null && obj.price !== 0n)) {
          w.uint32(48)
          w.uint64(obj.price)
        }

        if ((obj.fee != null && obj.fee !== 0n)) {
          w.uint32(56)
          w.uint64(obj.fee)
        }

        if ((obj.assignmentDigest != null && obj.assignmentDigest.byteLength > 0)) {
          w.uint32(66)
          w.bytes(obj.assignmentDigest)
        }

        if ((obj.resultDigest != null && obj.resultDigest.byteLength > 0)) {
          w.uint32(74)
          w.bytes(obj.resultDigest)
        }

        if ((obj.executor != null && obj.executor !== '')) {
          w.uint32(82)
          w.string(obj.executor)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          jobId: '',
          owner: '',
          worker: '',
          attempt: 0,
          outcome: '',
          price: 0n,
          fee: 0n,
          assignmentDigest: uint8ArrayAlloc(0),
          resultDigest: uint8ArrayAlloc(0),
          executor: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.jobId = reader.string()
              break
            }
            case 2: {
              obj.owner = reader.string()
              break
            }
            case 3: {
              obj.worker = reader.string()
              break
            }
            case 4: {
              obj.attempt = reader.uint32()
              break
            }
            case 5: {
              obj.outcome = reader.string()
              break
            }
            case 6: {
              obj.price = reader.uint64()
              break
            }
            case 7: {
              obj.fee = reader.uint64()
              break
            }
            case 8: {
              obj.assignmentDigest = reader.bytes()
              break
            }
            case 9: {
              obj.resultDigest = reader.bytes()
              break
            }
            case 10: {
              obj.executor = reader.string()
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
                field: `${prefix}.jobId`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.owner`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.worker`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.attempt`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.outcome`,
                value: reader.string()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.price`,
                value: reader.uint64()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.fee`,
                value: reader.uint64()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.assignmentDigest`,
                value: reader.bytes()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.resultDigest`,
                value: reader.bytes()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.executor`,
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

  export interface SettlementJobIdFieldEvent {
    field: '$.jobId'
    value: string
  }

  export interface SettlementOwnerFieldEvent {
    field: '$.owner'
    value: string
  }

  export interface SettlementWorkerFieldEvent {
    field: '$.worker'
    value: string
  }

  export interface SettlementAttemptFieldEvent {
    field: '$.attempt'
    value: number
  }

  export interface SettlementOutcomeFieldEvent {
    field: '$.outcome'
    value: string
  }

  export interface SettlementPriceFieldEvent {
    field: '$.price'
    value: bigint
  }

  export interface SettlementFeeFieldEvent {
    field: '$.fee'
    value: bigint
  }

  export interface SettlementAssignmentDigestFieldEvent {
    field: '$.assignmentDigest'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SettlementResultDigestFieldEvent {
    field: '$.resultDigest'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SettlementExecutorFieldEvent {
    field: '$.executor'
    value: string
  }

  export function encode (obj: Partial<Settlement>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Settlement.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Settlement>): Settlement {
    return decodeMessage(buf, Settlement.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Settlement>): Generator<SettlementJobIdFieldEvent | SettlementOwnerFieldEvent | SettlementWorkerFieldEvent | SettlementAttemptFieldEvent | SettlementOutcomeFieldEvent | SettlementPriceFieldEvent | SettlementFeeFieldEvent | SettlementAssignmentDigestFieldEvent | SettlementResultDigestFieldEvent | SettlementExecutorFieldEvent> {
    return streamMessage(buf, Settlement.codec(), opts)
  }
}

export interface Mint {
  reason: string
  windowStartMs: bigint
  windowEndMs: bigint
  approval: Uint8Array<ArrayBuffer>
}

export namespace Mint {
  let _codec: Codec<Mint>

  export const codec = (): Codec<Mint> => {
    if (_codec == null) {
      _codec = message<Mint>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.reason != null && obj.reason !== '')) {
          w.uint32(10)
          w.string(obj.reason)
        }

        if ((obj.windowStartMs != null && obj.windowStartMs !== 0n)) {
          w.uint32(16)
          w.uint64(obj.windowStartMs)
        }

        if ((obj.windowEndMs != null && obj.windowEndMs !== 0n)) {
          w.uint32(24)
          w.uint64(obj.windowEndMs)
        }

        if ((obj.approval != null && obj.approval.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.approval)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          reason: '',
          windowStartMs: 0n,
          windowEndMs: 0n,
          approval: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.reason = reader.string()
              break
            }
            case 2: {
              obj.windowStartMs = reader.uint64()
              break
            }
            case 3: {
              obj.windowEndMs = reader.uint64()
              break
            }
            case 4: {
              obj.approval = reader.bytes()
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
                field: `${prefix}.reason`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.windowStartMs`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.windowEndMs`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.approval`,
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

  export interface MintReasonFieldEvent {
    field: '$.reason'
    value: string
  }

  export interface MintWindowStartMsFieldEvent {
    field: '$.windowStartMs'
    value: bigint
  }

  export interface MintWindowEndMsFieldEvent {
    field: '$.windowEndMs'
    value: bigint
  }

  export interface MintApprovalFieldEvent {
    field: '$.approval'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Mint>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Mint.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Mint>): Mint {
    return decodeMessage(buf, Mint.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Mint>): Generator<MintReasonFieldEvent | MintWindowStartMsFieldEvent | MintWindowEndMsFieldEvent | MintApprovalFieldEvent> {
    return streamMessage(buf, Mint.codec(), opts)
  }
}

export interface PolicyValues {
  prices: string[]
  feeBps: number
  demandStepBps: number
  demandCapBps: number
  issuanceWindowMs: bigint
  issuancePerWindow: bigint
  welcomeGrant: bigint
  feeRounding: number
}

export namespace PolicyValues {
  let _codec: Codec<PolicyValues>

  export const codec = (): Codec<PolicyValues> => {
    if (_codec == null) {
      _codec = message<PolicyValues>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.prices != null && obj.prices.length > 0) {
          for (const value of obj.prices) {
            w.uint32(10)
            w.string(value)
          }
        }

        if ((obj.feeBps != null && obj.feeBps !== 0)) {
          w.uint32(16)
          w.uint32(obj.feeBps)
        }

        if ((obj.demandStepBps != null && obj.demandStepBps !== 0)) {
          w.uint32(24)
          w.uint32(obj.demandStepBps)
        }

        if ((obj.demandCapBps != null && obj.demandCapBps !== 0)) {
          w.uint32(32)
          w.uint32(obj.demandCapBps)
        }

        if ((obj.issuanceWindowMs != null && obj.issuanceWindowMs !== 0n)) {
          w.uint32(40)
          w.uint64(obj.issuanceWindowMs)
        }

        if ((obj.issuancePerWindow != null && obj.issuancePerWindow !== 0n)) {
          w.uint32(48)
          w.uint64(obj.issuancePerWindow)
        }

        if ((obj.welcomeGrant != null && obj.welcomeGrant !== 0n)) {
          w.uint32(56)
          w.uint64(obj.welcomeGrant)
        }

        if ((obj.feeRounding != null && obj.feeRounding !== 0)) {
          w.uint32(64)
          w.uint32(obj.feeRounding)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          prices: [],
          feeBps: 0,
          demandStepBps: 0,
          demandCapBps: 0,
          issuanceWindowMs: 0n,
          issuancePerWindow: 0n,
          welcomeGrant: 0n,
          feeRounding: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.prices != null && obj.prices.length === opts.limits.prices) {
                throw new MaxLengthError('Decode error - repeated field "prices" had too many elements')
              }

              obj.prices.push(reader.string())
              break
            }
            case 2: {
              obj.feeBps = reader.uint32()
              break
            }
            case 3: {
              obj.demandStepBps = reader.uint32()
              break
            }
            case 4: {
              obj.demandCapBps = reader.uint32()
              break
            }
            case 5: {
              obj.issuanceWindowMs = reader.uint64()
              break
            }
            case 6: {
              obj.issuancePerWindow = reader.uint64()
              break
            }
            case 7: {
              obj.welcomeGrant = reader.uint64()
              break
            }
            case 8: {
              obj.feeRounding = reader.uint32()
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
          prices: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.prices != null && obj.prices === opts.limits.prices) {
                throw new MaxLengthError('Streaming decode error - repeated field "prices" had too many elements')
              }

              yield {
                field: `${prefix}.prices[]`,
                index: obj.prices,
                value: reader.string()
              }

              obj.prices++

              break
            }
            case 2: {
              yield {
                field: `${prefix}.feeBps`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.demandStepBps`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.demandCapBps`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.issuanceWindowMs`,
                value: reader.uint64()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.issuancePerWindow`,
                value: reader.uint64()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.welcomeGrant`,
                value: reader.uint64()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.feeRounding`,
                value: reader.uint32()
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

  export interface PolicyValuesPricesFieldEvent {
    field: '$.prices[]'
    index: number
    value: string
  }

  export interface PolicyValuesFeeBpsFieldEvent {
    field: '$.feeBps'
    value: number
  }

  export interface PolicyValuesDemandStepBpsFieldEvent {
    field: '$.demandStepBps'
    value: number
  }

  export interface PolicyValuesDemandCapBpsFieldEvent {
    field: '$.demandCapBps'
    value: number
  }

  export interface PolicyValuesIssuanceWindowMsFieldEvent {
    field: '$.issuanceWindowMs'
    value: bigint
  }

  export interface PolicyValuesIssuancePerWindowFieldEvent {
    field: '$.issuancePerWindow'
    value: bigint
  }

  export interface PolicyValuesWelcomeGrantFieldEvent {
    field: '$.welcomeGrant'
    value: bigint
  }

  export interface PolicyValuesFeeRoundingFieldEvent {
    field: '$.feeRounding'
    value: number
  }

  export function encode (obj: Partial<PolicyValues>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, PolicyValues.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PolicyValues>): PolicyValues {
    return decodeMessage(buf, PolicyValues.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PolicyValues>): Generator<PolicyValuesPricesFieldEvent | PolicyValuesFeeBpsFieldEvent | PolicyValuesDemandStepBpsFieldEvent | PolicyValuesDemandCapBpsFieldEvent | PolicyValuesIssuanceWindowMsFieldEvent | PolicyValuesIssuancePerWindowFieldEvent | PolicyValuesWelcomeGrantFieldEvent | PolicyValuesFeeRoundingFieldEvent> {
    return streamMessage(buf, PolicyValues.codec(), opts)
  }
}

export interface LedgerEntry {
  kind: LedgerEntry.Kind
  timeMs: bigint
  postings: Posting[]
  settlement?: Settlement
  mint?: Mint
  adminAction?: SignedEnvelope
  policy?: PolicyValues
  memo: string
}

export namespace LedgerEntry {
  export enum Kind {
    SETTLEMENT = 'SETTLEMENT',
    MINT = 'MINT',
    ADJUSTMENT = 'ADJUSTMENT',
    POLICY = 'POLICY'
  }

  enum __KindValues {
    SETTLEMENT = 0,
    MINT = 1,
    ADJUSTMENT = 2,
    POLICY = 3
  }

  export namespace Kind {
    export const codec = (): Codec<Kind> => {
      return enumeration<Kind>(__KindValues)
    }
  }

  let _codec: Codec<LedgerEntry>

  export const codec = (): Codec<LedgerEntry> => {
    if (_codec == null) {
      _codec = message<LedgerEntry>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.kind != null && __KindValues[obj.kind] !== 0) {
          w.uint32(8)
          LedgerEntry.Kind.codec().encode(obj.kind, w)
        }

        if ((obj.timeMs != null && obj.timeMs !== 0n)) {
          w.uint32(16)
          w.uint64(obj.timeMs)
        }

        if (obj.postings != null && obj.postings.length > 0) {
          for (const value of obj.postings) {
            w.uint32(26)
            Posting.codec().encode(value, w)
          }
        }

        if (obj.settlement != null) {
          w.uint32(34)
          Settlement.codec().encode(obj.settlement, w)
        }

        if (obj.mint != null) {
          w.uint32(42)
          Mint.codec().encode(obj.mint, w)
        }

        if (obj.adminAction != null) {
          w.uint32(50)
          SignedEnvelope.codec().encode(obj.adminAction, w)
        }

        if (obj.policy != null) {
          w.uint32(58)
          PolicyValues.codec().encode(obj.policy, w)
        }

        if ((obj.memo != null && obj.memo !== '')) {
          w.uint32(66)
          w.string(obj.memo)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          kind: Kind.SETTLEMENT,
          timeMs: 0n,
          postings: [],
          memo: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.kind = LedgerEntry.Kind.codec().decode(reader)
              break
            }
            case 2: {
              obj.timeMs = reader.uint64()
              break
            }
            case 3: {
              if (opts.limits?.postings != null && obj.postings.length === opts.limits.postings) {
                throw new MaxLengthError('Decode error - repeated field "postings" had too many elements')
              }

              obj.postings.push(Posting.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.postings$
              }))
              break
            }
            case 4: {
              obj.settlement = Settlement.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.settlement
              })
              break
            }
            case 5: {
              obj.mint = Mint.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.mint
              })
              break
            }
            case 6: {
              obj.adminAction = SignedEnvelope.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.adminAction
              })
              break
            }
            case 7: {
              obj.policy = PolicyValues.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.policy
              })
              break
            }
            case 8: {
              obj.memo = reader.string()
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
          postings: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.kind`,
                value: LedgerEntry.Kind.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.timeMs`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              if (opts.limits?.postings != null && obj.postings === opts.limits.postings) {
                throw new MaxLengthError('Streaming decode error - repeated field "postings" had too many elements')
              }

              for (const evt of Posting.codec().stream(reader, reader.uint32(), `${prefix}.postings[]`, {
                limits: opts.limits?.postings$
              })) {
                yield {
                  ...evt,
                  index: obj.postings
                }
              }

              obj.postings++

              break
            }
            case 4: {
              yield * Settlement.codec().stream(reader, reader.uint32(), `${prefix}.settlement`, {
                limits: opts.limits?.settlement
              })

              break
            }
            case 5: {
              yield * Mint.codec().stream(reader, reader.uint32(), `${prefix}.mint`, {
                limits: opts.limits?.mint
              })

              break
            }
            case 6: {
              yield * SignedEnvelope.codec().stream(reader, reader.uint32(), `${prefix}.adminAction`, {
                limits: opts.limits?.adminAction
              })

              break
            }
            case 7: {
              yield * PolicyValues.codec().stream(reader, reader.uint32(), `${prefix}.policy`, {
                limits: opts.limits?.policy
              })

              break
            }
            case 8: {
              yield {
                field: `${prefix}.memo`,
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

  export interface LedgerEntryKindFieldEvent {
    field: '$.kind'
    value: LedgerEntry.Kind
  }

  export interface LedgerEntryTimeMsFieldEvent {
    field: '$.timeMs'
    value: bigint
  }

  export interface LedgerEntryPostingsAccountFieldEvent {
    field: '$.postings[].account'
    value: string
    index: number
  }

  export interface LedgerEntryPostingsDeltaFieldEvent {
    field: '$.postings[].delta'
    value: bigint
    index: number
  }

  export interface LedgerEntrySettlementJobIdFieldEvent {
    field: '$.settlement.jobId'
    value: string
  }

  export interface LedgerEntrySettlementOwnerFieldEvent {
    field: '$.settlement.owner'
    value: string
  }

  export interface LedgerEntrySettlementWorkerFieldEvent {
    field: '$.settlement.worker'
    value: string
  }

  export interface LedgerEntrySettlementAttemptFieldEvent {
    field: '$.settlement.attempt'
    value: number
  }

  export interface LedgerEntrySettlementOutcomeFieldEvent {
    field: '$.settlement.outcome'
    value: string
  }

  export interface LedgerEntrySettlementPriceFieldEvent {
    field: '$.settlement.price'
    value: bigint
  }

  export interface LedgerEntrySettlementFeeFieldEvent {
    field: '$.settlement.fee'
    value: bigint
  }

  export interface LedgerEntrySettlementAssignmentDigestFieldEvent {
    field: '$.settlement.assignmentDigest'
    value: Uint8Array<ArrayBuffer>
  }

  export interface LedgerEntrySettlementResultDigestFieldEvent {
    field: '$.settlement.resultDigest'
    value: Uint8Array<ArrayBuffer>
  }

  export interface LedgerEntrySettlementExecutorFieldEvent {
    field: '$.settlement.executor'
    value: string
  }

  export interface LedgerEntryMintReasonFieldEvent {
    field: '$.mint.reason'
    value: string
  }

  export interface LedgerEntryMintWindowStartMsFieldEvent {
    field: '$.mint.windowStartMs'
    value: bigint
  }

  export interface LedgerEntryMintWindowEndMsFieldEvent {
    field: '$.mint.windowEndMs'
    value: bigint
  }

  export interface LedgerEntryMintApprovalFieldEvent {
    field: '$.mint.approval'
    value: Uint8Array<ArrayBuffer>
  }

  export interface LedgerEntryAdminActionPayloadFieldEvent {
    field: '$.adminAction.payload'
    value: Uint8Array<ArrayBuffer>
  }

  export interface LedgerEntryAdminActionSignatureFieldEvent {
    field: '$.adminAction.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface LedgerEntryPolicyPricesFieldEvent {
    field: '$.policy.prices[]'
    index: number
    value: string
  }

  export interface LedgerEntryPolicyFeeBpsFieldEvent {
    field: '$.policy.feeBps'
    value: number
  }

  export interface LedgerEntryPolicyDemandStepBpsFieldEvent {
    field: '$.policy.demandStepBps'
    value: number
  }

  export interface LedgerEntryPolicyDemandCapBpsFieldEvent {
    field: '$.policy.demandCapBps'
    value: number
  }

  export interface LedgerEntryPolicyIssuanceWindowMsFieldEvent {
    field: '$.policy.issuanceWindowMs'
    value: bigint
  }

  export interface LedgerEntryPolicyIssuancePerWindowFieldEvent {
    field: '$.policy.issuancePerWindow'
    value: bigint
  }

  export interface LedgerEntryPolicyWelcomeGrantFieldEvent {
    field: '$.policy.welcomeGrant'
    value: bigint
  }

  export interface LedgerEntryPolicyFeeRoundingFieldEvent {
    field: '$.policy.feeRounding'
    value: number
  }

  export interface LedgerEntryMemoFieldEvent {
    field: '$.memo'
    value: string
  }

  export function encode (obj: Partial<LedgerEntry>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, LedgerEntry.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LedgerEntry>): LedgerEntry {
    return decodeMessage(buf, LedgerEntry.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LedgerEntry>): Generator<LedgerEntryKindFieldEvent | LedgerEntryTimeMsFieldEvent | LedgerEntryPostingsAccountFieldEvent | LedgerEntryPostingsDeltaFieldEvent | LedgerEntrySettlementJobIdFieldEvent | LedgerEntrySettlementOwnerFieldEvent | LedgerEntrySettlementWorkerFieldEvent | LedgerEntrySettlementAttemptFieldEvent | LedgerEntrySettlementOutcomeFieldEvent | LedgerEntrySettlementPriceFieldEvent | LedgerEntrySettlementFeeFieldEvent | LedgerEntrySettlementAssignmentDigestFieldEvent | LedgerEntrySettlementResultDigestFieldEvent | LedgerEntrySettlementExecutorFieldEvent | LedgerEntryMintReasonFieldEvent | LedgerEntryMintWindowStartMsFieldEvent | LedgerEntryMintWindowEndMsFieldEvent | LedgerEntryMintApprovalFieldEvent | LedgerEntryAdminActionPayloadFieldEvent | LedgerEntryAdminActionSignatureFieldEvent | LedgerEntryPolicyPricesFieldEvent | LedgerEntryPolicyFeeBpsFieldEvent | LedgerEntryPolicyDemandStepBpsFieldEvent | LedgerEntryPolicyDemandCapBpsFieldEvent | LedgerEntryPolicyIssuanceWindowMsFieldEvent | LedgerEntryPolicyIssuancePerWindowFieldEvent | LedgerEntryPolicyWelcomeGrantFieldEvent | LedgerEntryPolicyFeeRoundingFieldEvent | LedgerEntryMemoFieldEvent> {
    return streamMessage(buf, LedgerEntry.codec(), opts)
  }
}

export interface CheckpointAnnouncement {
  note: string
}

export namespace CheckpointAnnouncement {
  let _codec: Codec<CheckpointAnnouncement>

  export const codec = (): Codec<CheckpointAnnouncement> => {
    if (_codec == null) {
      _codec = message<CheckpointAnnouncement>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.note != null && obj.note !== '')) {
          w.uint32(10)
          w.string(obj.note)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          note: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.note = reader.string()
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
                field: `${prefix}.note`,
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

  export interface CheckpointAnnouncementNoteFieldEvent {
    field: '$.note'
    value: string
  }

  export function encode (obj: Partial<CheckpointAnnouncement>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, CheckpointAnnouncement.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CheckpointAnnouncement>): CheckpointAnnouncement {
    return decodeMessage(buf, CheckpointAnnouncement.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CheckpointAnnouncement>): Generator<CheckpointAnnouncementNoteFieldEvent> {
    return streamMessage(buf, CheckpointAnnouncement.codec(), opts)
  }
}

export interface LedgerRequest {
  op: LedgerRequest.Op
  log: string
  index: bigint
  treeSize: bigint
  fromSize: bigint
  jobId: string
  wallet: boolean
}

export namespace LedgerRequest {
  export enum Op {
    CHECKPOINT = 'CHECKPOINT',
    INCLUSION = 'INCLUSION',
    CONSISTENCY = 'CONSISTENCY',
    EVIDENCE = 'EVIDENCE'
  }

  enum __OpValues {
    CHECKPOINT = 0,
    INCLUSION = 1,
    CONSISTENCY = 2,
    EVIDENCE = 3
  }

  export namespace Op {
    export const codec = (): Codec<Op> => {
      return enumeration<Op>(__OpValues)
    }
  }

  let _codec: Codec<LedgerRequest>

  export const codec = (): Codec<LedgerRequest> => {
    if (_codec == null) {
      _codec = message<LedgerRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.op != null && __OpValues[obj.op] !== 0) {
          w.uint32(8)
          LedgerRequest.Op.codec().encode(obj.op, w)
        }

        if ((obj.log != null && obj.log !== '')) {
          w.uint32(18)
          w.string(obj.log)
        }

        if ((obj.index != null && obj.index !== 0n)) {
          w.uint32(24)
          w.uint64(obj.index)
        }

        if ((obj.treeSize != null && obj.treeSize !== 0n)) {
          w.uint32(32)
          w.uint64(obj.treeSize)
        }

        if ((obj.fromSize != null && obj.fromSize !== 0n)) {
          w.uint32(40)
          w.uint64(obj.fromSize)
        }

        if ((obj.jobId != null && obj.jobId !== '')) {
          w.uint32(50)
          w.string(obj.jobId)
        }

        if ((obj.wallet != null && obj.wallet !== false)) {
          w.uint32(56)
          w.bool(obj.wallet)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          op: Op.CHECKPOINT,
          log: '',
          index: 0n,
          treeSize: 0n,
          fromSize: 0n,
          jobId: '',
          wallet: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.op = LedgerRequest.Op.codec().decode(reader)
              break
            }
            case 2: {
              obj.log = reader.string()
              break
            }
            case 3: {
              obj.index = reader.uint64()
              break
            }
            case 4: {
              obj.treeSize = reader.uint64()
              break
            }
            case 5: {
              obj.fromSize = reader.uint64()
              break
            }
            case 6: {
              obj.jobId = reader.string()
              break
            }
            case 7: {
              obj.wallet = reader.bool()
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
                field: `${prefix}.op`,
                value: LedgerRequest.Op.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.log`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.index`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.treeSize`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.fromSize`,
                value: reader.uint64()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.jobId`,
                value: reader.string()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.wallet`,
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

  export interface LedgerRequestOpFieldEvent {
    field: '$.op'
    value: LedgerRequest.Op
  }

  export interface LedgerRequestLogFieldEvent {
    field: '$.log'
    value: string
  }

  export interface LedgerRequestIndexFieldEvent {
    field: '$.index'
    value: bigint
  }

  export interface LedgerRequestTreeSizeFieldEvent {
    field: '$.treeSize'
    value: bigint
  }

  export interface LedgerRequestFromSizeFieldEvent {
    field: '$.fromSize'
    value: bigint
  }

  export interface LedgerRequestJobIdFieldEvent {
    field: '$.jobId'
    value: string
  }

  export interface LedgerRequestWalletFieldEvent {
    field: '$.wallet'
    value: boolean
  }

  export function encode (obj: Partial<LedgerRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, LedgerRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LedgerRequest>): LedgerRequest {
    return decodeMessage(buf, LedgerRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LedgerRequest>): Generator<LedgerRequestOpFieldEvent | LedgerRequestLogFieldEvent | LedgerRequestIndexFieldEvent | LedgerRequestTreeSizeFieldEvent | LedgerRequestFromSizeFieldEvent | LedgerRequestJobIdFieldEvent | LedgerRequestWalletFieldEvent> {
    return streamMessage(buf, LedgerRequest.codec(), opts)
  }
}

export interface Wallet {
  account: string
  balance: bigint
  held: bigint
  heldJobs: number
  size: bigint
}

export namespace Wallet {
  let _codec: Codec<Wallet>

  export const codec = (): Codec<Wallet> => {
    if (_codec == null) {
      _codec = message<Wallet>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.account != null && obj.account !== '')) {
          w.uint32(10)
          w.string(obj.account)
        }

        if ((obj.balance != null && obj.balance !== 0n)) {
          w.uint32(16)
          w.sint64(obj.balance)
        }

        if ((obj.held != null && obj.held !== 0n)) {
          w.uint32(24)
          w.uint64(obj.held)
        }

        if ((obj.heldJobs != null && obj.heldJobs !== 0)) {
          w.uint32(32)
          w.uint32(obj.heldJobs)
        }

        if ((obj.size != null && obj.size !== 0n)) {
          w.uint32(40)
          w.uint64(obj.size)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          account: '',
          balance: 0n,
          held: 0n,
          heldJobs: 0,
          size: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.account = reader.string()
              break
            }
            case 2: {
              obj.balance = reader.sint64()
              break
            }
            case 3: {
              obj.held = reader.uint64()
              break
            }
            case 4: {
              obj.heldJobs = reader.uint32()
              break
            }
            case 5: {
              obj.size = reader.uint64()
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
                field: `${prefix}.account`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.balance`,
                value: reader.sint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.held`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.heldJobs`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.size`,
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

  export interface WalletAccountFieldEvent {
    field: '$.account'
    value: string
  }

  export interface WalletBalanceFieldEvent {
    field: '$.balance'
    value: bigint
  }

  export interface WalletHeldFieldEvent {
    field: '$.held'
    value: bigint
  }

  export interface WalletHeldJobsFieldEvent {
    field: '$.heldJobs'
    value: number
  }

  export interface WalletSizeFieldEvent {
    field: '$.size'
    value: bigint
  }

  export function encode (obj: Partial<Wallet>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Wallet.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Wallet>): Wallet {
    return decodeMessage(buf, Wallet.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Wallet>): Generator<WalletAccountFieldEvent | WalletBalanceFieldEvent | WalletHeldFieldEvent | WalletHeldJobsFieldEvent | WalletSizeFieldEvent> {
    return streamMessage(buf, Wallet.codec(), opts)
  }
}

export interface LedgerResponse {
  note: string
  hashes: Uint8Array<ArrayBuffer>[]
  treeSize: bigint
  assignment?: SignedEnvelope
  result?: SignedEnvelope
  wallet?: Wallet
}

export namespace LedgerResponse {
  let _codec: Codec<LedgerResponse>

  export const codec = (): Codec<LedgerResponse> => {
    if (_codec == null) {
      _codec = message<LedgerResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.note != null && obj.note !== '')) {
          w.uint32(10)
          w.string(obj.note)
        }

        if (obj.hashes != null && obj.hashes.length > 0) {
          for (const value of obj.hashes) {
            w.uint32(18)
            w.bytes(value)
          }
        }

        if ((obj.treeSize != null && obj.treeSize !== 0n)) {
          w.uint32(24)
          w.uint64(obj.treeSize)
        }

        if (obj.assignment != null) {
          w.uint32(34)
          SignedEnvelope.codec().encode(obj.assignment, w)
        }

        if (obj.result != null) {
          w.uint32(42)
          SignedEnvelope.codec().encode(obj.result, w)
        }

        if (obj.wallet != null) {
          w.uint32(50)
          Wallet.codec().encode(obj.wallet, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          note: '',
          hashes: [],
          treeSize: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.note = reader.string()
              break
            }
            case 2: {
              if (opts.limits?.hashes != null && obj.hashes.length === opts.limits.hashes) {
                throw new MaxLengthError('Decode error - repeated field "hashes" had too many elements')
              }

              obj.hashes.push(reader.bytes())
              break
            }
            case 3: {
              obj.treeSize = reader.uint64()
              break
            }
            case 4: {
              obj.assignment = SignedEnvelope.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.assignment
              })
              break
            }
            case 5: {
              obj.result = SignedEnvelope.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.result
              })
              break
            }
            case 6: {
              obj.wallet = Wallet.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.wallet
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
        const obj = {
          hashes: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.note`,
                value: reader.string()
              }
              break
            }
            case 2: {
              if (opts.limits?.hashes != null && obj.hashes === opts.limits.hashes) {
                throw new MaxLengthError('Streaming decode error - repeated field "hashes" had too many elements')
              }

              yield {
                field: `${prefix}.hashes[]`,
                index: obj.hashes,
                value: reader.bytes()
              }

              obj.hashes++

              break
            }
            case 3: {
              yield {
                field: `${prefix}.treeSize`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              yield * SignedEnvelope.codec().stream(reader, reader.uint32(), `${prefix}.assignment`, {
                limits: opts.limits?.assignment
              })

              break
            }
            case 5: {
              yield * SignedEnvelope.codec().stream(reader, reader.uint32(), `${prefix}.result`, {
                limits: opts.limits?.result
              })

              break
            }
            case 6: {
              yield * Wallet.codec().stream(reader, reader.uint32(), `${prefix}.wallet`, {
                limits: opts.limits?.wallet
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

  export interface LedgerResponseNoteFieldEvent {
    field: '$.note'
    value: string
  }

  export interface LedgerResponseHashesFieldEvent {
    field: '$.hashes[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface LedgerResponseTreeSizeFieldEvent {
    field: '$.treeSize'
    value: bigint
  }

  export interface LedgerResponseAssignmentPayloadFieldEvent {
    field: '$.assignment.payload'
    value: Uint8Array<ArrayBuffer>
  }

  export interface LedgerResponseAssignmentSignatureFieldEvent {
    field: '$.assignment.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface LedgerResponseResultPayloadFieldEvent {
    field: '$.result.payload'
    value: Uint8Array<ArrayBuffer>
  }

  export interface LedgerResponseResultSignatureFieldEvent {
    field: '$.result.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface LedgerResponseWalletAccountFieldEvent {
    field: '$.wallet.account'
    value: string
  }

  export interface LedgerResponseWalletBalanceFieldEvent {
    field: '$.wallet.balance'
    value: bigint
  }

  export interface LedgerResponseWalletHeldFieldEvent {
    field: '$.wallet.held'
    value: bigint
  }

  export interface LedgerResponseWalletHeldJobsFieldEvent {
    field: '$.wallet.heldJobs'
    value: number
  }

  export interface LedgerResponseWalletSizeFieldEvent {
    field: '$.wallet.size'
    value: bigint
  }

  export function encode (obj: Partial<LedgerResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, LedgerResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LedgerResponse>): LedgerResponse {
    return decodeMessage(buf, LedgerResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LedgerResponse>): Generator<LedgerResponseNoteFieldEvent | LedgerResponseHashesFieldEvent | LedgerResponseTreeSizeFieldEvent | LedgerResponseAssignmentPayloadFieldEvent | LedgerResponseAssignmentSignatureFieldEvent | LedgerResponseResultPayloadFieldEvent | LedgerResponseResultSignatureFieldEvent | LedgerResponseWalletAccountFieldEvent | LedgerResponseWalletBalanceFieldEvent | LedgerResponseWalletHeldFieldEvent | LedgerResponseWalletHeldJobsFieldEvent | LedgerResponseWalletSizeFieldEvent> {
    return streamMessage(buf, LedgerResponse.codec(), opts)
  }
}

export interface SyncRequest {
  log: string
  from: bigint
  to: bigint
}

export namespace SyncRequest {
  let _codec: Codec<SyncRequest>

  export const codec = (): Codec<SyncRequest> => {
    if (_codec == null) {
      _codec = message<SyncRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.log != null && obj.log !== '')) {
          w.uint32(10)
          w.string(obj.log)
        }

        if ((obj.from != null && obj.from !== 0n)) {
          w.uint32(16)
          w.uint64(obj.from)
        }

        if ((obj.to != null && obj.to !== 0n)) {
          w.uint32(24)
          w.uint64(obj.to)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          log: '',
          from: 0n,
          to: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.log = reader.string()
              break
            }
            case 2: {
              obj.from = reader.uint64()
              break
            }
            case 3: {
              obj.to = reader.uint64()
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
                field: `${prefix}.log`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.from`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.to`,
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

  export interface SyncRequestLogFieldEvent {
    field: '$.log'
    value: string
  }

  export interface SyncRequestFromFieldEvent {
    field: '$.from'
    value: bigint
  }

  export interface SyncRequestToFieldEvent {
    field: '$.to'
    value: bigint
  }

  export function encode (obj: Partial<SyncRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SyncRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncRequest>): SyncRequest {
    return decodeMessage(buf, SyncRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncRequest>): Generator<SyncRequestLogFieldEvent | SyncRequestFromFieldEvent | SyncRequestToFieldEvent> {
    return streamMessage(buf, SyncRequest.codec(), opts)
  }
}

export interface SyncFrame {
  index: bigint
  entries: Uint8Array<ArrayBuffer>[]
  done: boolean
  note: string
}

export namespace SyncFrame {
  let _codec: Codec<SyncFrame>

  export const codec = (): Codec<SyncFrame> => {
    if (_codec == null) {
      _codec = message<SyncFrame>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.index != null && obj.index !== 0n)) {
          w.uint32(8)
          w.uint64(obj.index)
        }

        if (obj.entries != null && obj.entries.length > 0) {
          for (const value of obj.entries) {
            w.uint32(18)
            w.bytes(value)
          }
        }

        if ((obj.done != null && obj.done !== false)) {
          w.uint32(24)
          w.bool(obj.done)
        }

        if ((obj.note != null && obj.note !== '')) {
          w.uint32(34)
          w.string(obj.note)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          index: 0n,
          entries: [],
          done: false,
          note: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.index = reader.uint64()
              break
            }
            case 2: {
              if (opts.limits?.entries != null && obj.entries.length === opts.limits.entries) {
                throw new MaxLengthError('Decode error - repeated field "entries" had too many elements')
              }

              obj.entries.push(reader.bytes())
              break
            }
            case 3: {
              obj.done = reader.bool()
              break
            }
            case 4: {
              obj.note = reader.string()
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
          entries: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.index`,
                value: reader.uint64()
              }
              break
            }
            case 2: {
              if (opts.limits?.entries != null && obj.entries === opts.limits.entries) {
                throw new MaxLengthError('Streaming decode error - repeated field "entries" had too many elements')
              }

              yield {
                field: `${prefix}.entries[]`,
                index: obj.entries,
                value: reader.bytes()
              }

              obj.entries++

              break
            }
            case 3: {
              yield {
                field: `${prefix}.done`,
                value: reader.bool()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.note`,
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

  export interface SyncFrameIndexFieldEvent {
    field: '$.index'
    value: bigint
  }

  export interface SyncFrameEntriesFieldEvent {
    field: '$.entries[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncFrameDoneFieldEvent {
    field: '$.done'
    value: boolean
  }

  export interface SyncFrameNoteFieldEvent {
    field: '$.note'
    value: string
  }

  export function encode (obj: Partial<SyncFrame>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SyncFrame.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncFrame>): SyncFrame {
    return decodeMessage(buf, SyncFrame.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncFrame>): Generator<SyncFrameIndexFieldEvent | SyncFrameEntriesFieldEvent | SyncFrameDoneFieldEvent | SyncFrameNoteFieldEvent> {
    return streamMessage(buf, SyncFrame.codec(), opts)
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
