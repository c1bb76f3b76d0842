import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface ResourceNeeds {
  cpuMillis: number
  memoryMb: number
}

export namespace ResourceNeeds {
  let _codec: Codec<ResourceNeeds>

  export const codec = (): Codec<ResourceNeeds> => {
    if (_codec == null) {
      _codec = message<ResourceNeeds>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.cpuMillis != null && obj.cpuMillis !== 0)) {
          w.uint32(8)
          w.uint32(obj.cpuMillis)
        }

        if ((obj.memoryMb != null && obj.memoryMb !== 0)) {
          w.uint32(16)
          w.uint32(obj.memoryMb)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          cpuMillis: 0,
          memoryMb: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.cpuMillis = reader.uint32()
              break
            }
            case 2: {
              obj.memoryMb = reader.uint32()
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
                field: `${prefix}.cpuMillis`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.memoryMb`,
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

  export interface ResourceNeedsCpuMillisFieldEvent {
    field: '$.cpuMillis'
    value: number
  }

  export interface ResourceNeedsMemoryMbFieldEvent {
    field: '$.memoryMb'
    value: number
  }

  export function encode (obj: Partial<ResourceNeeds>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ResourceNeeds.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ResourceNeeds>): ResourceNeeds {
    return decodeMessage(buf, ResourceNeeds.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ResourceNeeds>): Generator<ResourceNeedsCpuMillisFieldEvent | ResourceNeedsMemoryMbFieldEvent> {
    return streamMessage(buf, ResourceNeeds.codec(), opts)
  }
}

export interface JobSpec {
  executor: string
  input: Uint8Array<ArrayBuffer>
  args: string[]
  module: Uint8Array<ArrayBuffer>
  resources?: ResourceNeeds
  timeoutMs: number
  maxAttempts: number
  offeredPrice: bigint
  delayMs: number
  label: string
  coordinator: string
}

export namespace JobSpec {
  let _codec: Codec<JobSpec>

  export const codec = (): Codec<JobSpec> => {
    if (_codec == null) {
      _codec = message<JobSpec>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.executor != null && obj.executor !== '')) {
          w.uint32(10)
          w.string(obj.executor)
        }

        if ((obj.input != null && obj.input.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.input)
        }

        if (obj.args != null && obj.args.length > 0) {
          for (const value of obj.args) {
            w.uint32(26)
            w.string(value)
          }
        }

        if ((obj.module != null && obj.module.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.module)
        }

        if (obj.resources != null) {
          w.uint32(42)
          ResourceNeeds.codec().encode(obj.resources, w)
        }

        if ((obj.timeoutMs != null && obj.timeoutMs !== 0)) {
          w.uint32(48)
          w.uint32(obj.timeoutMs)
        }

        if ((obj.maxAttempts != null && obj.maxAttempts !== 0)) {
          w.uint32(56)
          w.uint32(obj.maxAttempts)
        }

        if ((obj.offeredPrice != null && obj.offeredPrice !== 0n)) {
          w.uint32(64)
          w.uint64(obj.offeredPrice)
        }

        if ((obj.delayMs != null && obj.delayMs !== 0)) {
          w.uint32(72)
          w.uint32(obj.delayMs)
        }

        if ((obj.label != null && obj.label !== '')) {
          w.uint32(82)
          w.string(obj.label)
        }

        if ((obj.coordinator != null && obj.coordinator !== '')) {
          w.uint32(90)
          w.string(obj.coordinator)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          executor: '',
          input: uint8ArrayAlloc(0),
          args: [],
          module: uint8ArrayAlloc(0),
          timeoutMs: 0,
          maxAttempts: 0,
          offeredPrice: 0n,
          delayMs: 0,
          label: '',
          coordinator: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.executor = reader.string()
              break
            }
            case 2: {
              obj.input = reader.bytes()
              break
            }
            case 3: {
              if (opts.limits?.args != null && obj.args.length === opts.limits.args) {
                throw new MaxLengthError('Decode error - repeated field "args" had too many elements')
              }

              obj.args.push(reader.string())
              break
            }
            case 4: {
              obj.module = reader.bytes()
              break
            }
            case 5: {
              obj.resources = ResourceNeeds.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.resources
              })
              break
            }
            case 6: {
              obj.timeoutMs = reader.uint32()
              break
            }
            case 7: {
              obj.maxAttempts = reader.uint32()
              break
            }
            case 8: {
              obj.offeredPrice = reader.uint64()
              break
            }
            case 9: {
              obj.delayMs = reader.uint32()
              break
            }
            case 10: {
              obj.label = reader.string()
              break
            }
            case 11: {
              obj.coordinator = reader.string()
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
          args: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.executor`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.input`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              if (opts.limits?.args != null && obj.args === opts.limits.args) {
                throw new MaxLengthError('Streaming decode error - repeated field "args" had too many elements')
              }

              yield {
                field: `${prefix}.args[]`,
                index: obj.args,
                value: reader.string()
              }

              obj.args++

              break
            }
            case 4: {
              yield {
                field: `${prefix}.module`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield * ResourceNeeds.codec().stream(reader, reader.uint32(), `${prefix}.resources`, {
                limits: opts.limits?.resources
              })

              break
            }
            case 6: {
              yield {
                field: `${prefix}.timeoutMs`,
                value: reader.uint32()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.maxAttempts`,
                value: reader.uint32()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.offeredPrice`,
                value: reader.uint64()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.delayMs`,
                value: reader.uint32()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.label`,
                value: reader.string()
              }
              break
            }
            case 11: {
              yield {
                field: `${prefix}.coordinator`,
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

  export interface JobSpecExecutorFieldEvent {
    field: '$.executor'
    value: string
  }

  export interface JobSpecInputFieldEvent {
    field: '$.input'
    value: Uint8Array<ArrayBuffer>
  }

  export interface JobSpecArgsFieldEvent {
    field: '$.args[]'
    index: number
    value: string
  }

  export interface JobSpecModuleFieldEvent {
    field: '$.module'
    value: Uint8Array<ArrayBuffer>
  }

  export interface JobSpecResourcesCpuMillisFieldEvent {
    field: '$.resources.cpuMillis'
    value: number
  }

  export interface JobSpecResourcesMemoryMbFieldEvent {
    field: '$.resources.memoryMb'
    value: number
  }

  export interface JobSpecTimeoutMsFieldEvent {
    field: '$.timeoutMs'
    value: number
  }

  export interface JobSpecMaxAttemptsFieldEvent {
    field: '$.maxAttempts'
    value: number
  }

  export interface JobSpecOfferedPriceFieldEvent {
    field: '$.offeredPrice'
    value: bigint
  }

  export interface JobSpecDelayMsFieldEvent {
    field: '$.delayMs'
    value: number
  }

  export interface JobSpecLabelFieldEvent {
    field: '$.label'
    value: string
  }

  export interface JobSpecCoordinatorFieldEvent {
    field: '$.coordinator'
    value: string
  }

  export function encode (obj: Partial<JobSpec>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, JobSpec.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<JobSpec>): JobSpec {
    return decodeMessage(buf, JobSpec.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<JobSpec>): Generator<JobSpecExecutorFieldEvent | JobSpecInputFieldEvent | JobSpecArgsFieldEvent | JobSpecModuleFieldEvent | JobSpecResourcesCpuMillisFieldEvent | JobSpecResourcesMemoryMbFieldEvent | JobSpecTimeoutMsFieldEvent | JobSpecMaxAttemptsFieldEvent | JobSpecOfferedPriceFieldEvent | JobSpecDelayMsFieldEvent | JobSpecLabelFieldEvent | JobSpecCoordinatorFieldEvent> {
    return streamMessage(buf, JobSpec.codec(), opts)
  }
}

export interface JobAnnouncement {
  jobId: string
  executor: string
  resources?: ResourceNeeds
  offeredPrice: bigint
  attempt: number
  round: number
  bidderFractionPpm: number
  queueDepth: number
}

export namespace JobAnnouncement {
  let _codec: Codec<JobAnnouncement>

  export const codec = (): Codec<JobAnnouncement> => {
    if (_codec == null) {
      _codec = message<JobAnnouncement>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.jobId != null && obj.jobId !== '')) {
          w.uint32(10)
          w.string(obj.jobId)
        }

        if ((obj.executor != null && obj.executor !== '')) {
          w.uint32(18)
          w.string(obj.executor)
        }

        if (obj.resources != null) {
          w.uint32(26)
          ResourceNeeds.codec().encode(obj.resources, w)
        }

        if ((obj.offeredPrice != null && obj.offeredPrice !== 0n)) {
          w.uint32(32)
          w.uint64(obj.offeredPrice)
        }

        if ((obj.attempt != null && obj.attempt !== 0)) {
          w.uint32(40)
          w.uint32(obj.attempt)
        }

        if ((obj.round != null && obj.round !== 0)) {
          w.uint32(48)
          w.uint32(obj.round)
        }

        if ((obj.bidderFractionPpm != null && obj.bidderFractionPpm !== 0)) {
          w.uint32(56)
          w.uint32(obj.bidderFractionPpm)
        }

        if ((obj.queueDepth != null && obj.queueDepth !== 0)) {
          w.uint32(64)
          w.uint32(obj.queueDepth)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          jobId: '',
          executor: '',
          offeredPrice: 0n,
          attempt: 0,
          round: 0,
          bidderFractionPpm: 0,
          queueDepth: 0
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
              obj.executor = reader.string()
              break
            }
            case 3: {
              obj.resources = ResourceNeeds.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.resources
              })
              break
            }
            case 4: {
              obj.offeredPrice = reader.uint64()
              break
            }
            case 5: {
              obj.attempt = reader.uint32()
              break
            }
            case 6: {
              obj.round = reader.uint32()
              break
            }
            case 7: {
              obj.bidderFractionPpm = reader.uint32()
              break
            }
            case 8: {
              obj.queueDepth = reader.uint32()
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
                field: `${prefix}.executor`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield * ResourceNeeds.codec().stream(reader, reader.uint32(), `${prefix}.resources`, {
                limits: opts.limits?.resources
              })

              break
            }
            case 4: {
              yield {
                field: `${prefix}.offeredPrice`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.attempt`,
                value: reader.uint32()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.round`,
                value: reader.uint32()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.bidderFractionPpm`,
                value: reader.uint32()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.queueDepth`,
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

  export interface JobAnnouncementJobIdFieldEvent {
    field: '$.jobId'
    value: string
  }

  export interface JobAnnouncementExecutorFieldEvent {
    field: '$.executor'
    value: string
  }

  export interface JobAnnouncementResourcesCpuMillisFieldEvent {
    field: '$.resources.cpuMillis'
    value: number
  }

  export interface JobAnnouncementResourcesMemoryMbFieldEvent {
    field: '$.resources.memoryMb'
    value: number
  }

  export interface JobAnnouncementOfferedPriceFieldEvent {
    field: '$.offeredPrice'
    value: bigint
  }

  export interface JobAnnouncementAttemptFieldEvent {
    field: '$.attempt'
    value: number
  }

  export interface JobAnnouncementRoundFieldEvent {
    field: '$.round'
    value: number
  }

  export interface JobAnnouncementBidderFractionPpmFieldEvent {
    field: '$.bidderFractionPpm'
    value: number
  }

  export interface JobAnnouncementQueueDepthFieldEvent {
    field: '$.queueDepth'
    value: number
  }

  export function encode (obj: Partial<JobAnnouncement>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, JobAnnouncement.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<JobAnnouncement>): JobAnnouncement {
    return decodeMessage(buf, JobAnnouncement.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<JobAnnouncement>): Generator<JobAnnouncementJobIdFieldEvent | JobAnnouncementExecutorFieldEvent | JobAnnouncementResourcesCpuMillisFieldEvent | JobAnnouncementResourcesMemoryMbFieldEvent | JobAnnouncementOfferedPriceFieldEvent | JobAnnouncementAttemptFieldEvent | JobAnnouncementRoundFieldEvent | JobAnnouncementBidderFractionPpmFieldEvent | JobAnnouncementQueueDepthFieldEvent> {
    return streamMessage(buf, JobAnnouncement.codec(), opts)
  }
}

export interface ClaimRequest {
  jobId: string
  executors: string[]
  freeSlots: number
  capacity?: ResourceNeeds
  claimNonce: Uint8Array<ArrayBuffer>
  waitMs: number
}

export namespace ClaimRequest {
  let _codec: Codec<ClaimRequest>

  export const codec = (): Codec<ClaimRequest> => {
    if (_codec == null) {
      _codec = message<ClaimRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.jobId != null && obj.jobId !== '')) {
          w.uint32(10)
          w.string(obj.jobId)
        }

        if (obj.executors != null && obj.executors.length > 0) {
          for (const value of obj.executors) {
            w.uint32(18)
            w.string(value)
          }
        }

        if ((obj.freeSlots != null && obj.freeSlots !== 0)) {
          w.uint32(24)
          w.uint32(obj.freeSlots)
        }

        if (obj.capacity != null) {
          w.uint32(34)
          ResourceNeeds.codec().encode(obj.capacity, w)
        }

        if ((obj.claimNonce != null && obj.claimNonce.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.claimNonce)
        }

        if ((obj.waitMs != null && obj.waitMs !== 0)) {
          w.uint32(48)
          w.uint32(obj.waitMs)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          jobId: '',
          executors: [],
          freeSlots: 0,
          claimNonce: uint8ArrayAlloc(0),
          waitMs: 0
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
              if (opts.limits?.executors != null && obj.executors.length === opts.limits.executors) {
                throw new MaxLengthError('Decode error - repeated field "executors" had too many elements')
              }

              obj.executors.push(reader.string())
              break
            }
            case 3: {
              obj.freeSlots = reader.uint32()
              break
            }
            case 4: {
              obj.capacity = ResourceNeeds.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.capacity
              })
              break
            }
            case 5: {
              obj.claimNonce = reader.bytes()
              break
            }
            case 6: {
              obj.waitMs = reader.uint32()
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
                field: `${prefix}.jobId`,
                value: reader.string()
              }
              break
            }
            case 2: {
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
            case 3: {
              yield {
                field: `${prefix}.freeSlots`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield * ResourceNeeds.codec().stream(reader, reader.uint32(), `${prefix}.capacity`, {
                limits: opts.limits?.capacity
              })

              break
            }
            case 5: {
              yield {
                field: `${prefix}.claimNonce`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.waitMs`,
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

  export interface ClaimRequestJobIdFieldEvent {
    field: '$.jobId'
    value: string
  }

  export interface ClaimRequestExecutorsFieldEvent {
    field: '$.executors[]'
    index: number
    value: string
  }

  export interface ClaimRequestFreeSlotsFieldEvent {
    field: '$.freeSlots'
    value: number
  }

  export interface ClaimRequestCapacityCpuMillisFieldEvent {
    field: '$.capacity.cpuMillis'
    value: number
  }

  export interface ClaimRequestCapacityMemoryMbFieldEvent {
    field: '$.capacity.memoryMb'
    value: number
  }

  export interface ClaimRequestClaimNonceFieldEvent {
    field: '$.claimNonce'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ClaimRequestWaitMsFieldEvent {
    field: '$.waitMs'
    value: number
  }

  export function encode (obj: Partial<ClaimRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ClaimRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ClaimRequest>): ClaimRequest {
    return decodeMessage(buf, ClaimRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ClaimRequest>): Generator<ClaimRequestJobIdFieldEvent | ClaimRequestExecutorsFieldEvent | ClaimRequestFreeSlotsFieldEvent | ClaimRequestCapacityCpuMillisFieldEvent | ClaimRequestCapacityMemoryMbFieldEvent | ClaimRequestClaimNonceFieldEvent | ClaimRequestWaitMsFieldEvent> {
    return streamMessage(buf, ClaimRequest.codec(), opts)
  }
}

export interface Assignment {
  jobId: string
  worker: string
  attempt: number
  leaseExpiresAtMs: bigint
  nonce: Uint8Array<ArrayBuffer>
  claimNonce: Uint8Array<ArrayBuffer>
  job?: SignedEnvelope
}

export namespace Assignment {
  let _codec: Codec<Assignment>

  export const codec = (): Codec<Assignment> => {
    if (_codec == null) {
      _codec = message<Assignment>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.jobId != null && obj.jobId !== '')) {
          w.uint32(10)
          w.string(obj.jobId)
        }

        if ((obj.worker != null && obj.worker !== '')) {
          w.uint32(18)
          w.string(obj.worker)
        }

        if ((obj.attempt != null && obj.attempt !== 0)) {
          w.uint32(24)
          w.uint32(obj.attempt)
        }

        if ((obj.leaseExpiresAtMs != null && obj.leaseExpiresAtMs !== 0n)) {
          w.uint32(32)
          w.uint64(obj.leaseExpiresAtMs)
        }

        if ((obj.nonce != null && obj.nonce.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.nonce)
        }

        if ((obj.claimNonce != null && obj.claimNonce.byteLength > 0)) {
          w.uint32(50)
          w.bytes(obj.claimNonce)
        }

        if (obj.job != null) {
          w.uint32(58)
          SignedEnvelope.codec().encode(obj.job, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          jobId: '',
          worker: '',
          attempt: 0,
          leaseExpiresAtMs: 0n,
          nonce: uint8ArrayAlloc(0),
          claimNonce: uint8ArrayAlloc(0)
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
              obj.worker = reader.string()
              break
            }
            case 3: {
              obj.attempt = reader.uint32()
              break
            }
            case 4: {
              obj.leaseExpiresAtMs = reader.uint64()
              break
            }
            case 5: {
              obj.nonce = reader.bytes()
              break
            }
            case 6: {
              obj.claimNonce = reader.bytes()
              break
            }
            case 7: {
              obj.job = SignedEnvelope.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.job
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
              yield {
                field: `${prefix}.jobId`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.worker`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.attempt`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.leaseExpiresAtMs`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.nonce`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.claimNonce`,
                value: reader.bytes()
              }
              break
            }
            case 7: {
              yield * SignedEnvelope.codec().stream(reader, reader.uint32(), `${prefix}.job`, {
                limits: opts.limits?.job
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

  export interface AssignmentJobIdFieldEvent {
    field: '$.jobId'
    value: string
  }

  export interface AssignmentWorkerFieldEvent {
    field: '$.worker'
    value: string
  }

  export interface AssignmentAttemptFieldEvent {
    field: '$.attempt'
    value: number
  }

  export interface AssignmentLeaseExpiresAtMsFieldEvent {
    field: '$.leaseExpiresAtMs'
    value: bigint
  }

  export interface AssignmentNonceFieldEvent {
    field: '$.nonce'
    value: Uint8Array<ArrayBuffer>
  }

  export interface AssignmentClaimNonceFieldEvent {
    field: '$.claimNonce'
    value: Uint8Array<ArrayBuffer>
  }

  export interface AssignmentJobPayloadFieldEvent {
    field: '$.job.payload'
    value: Uint8Array<ArrayBuffer>
  }

  export interface AssignmentJobSignatureFieldEvent {
    field: '$.job.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Assignment>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Assignment.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Assignment>): Assignment {
    return decodeMessage(buf, Assignment.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Assignment>): Generator<AssignmentJobIdFieldEvent | AssignmentWorkerFieldEvent | AssignmentAttemptFieldEvent | AssignmentLeaseExpiresAtMsFieldEvent | AssignmentNonceFieldEvent | AssignmentClaimNonceFieldEvent | AssignmentJobPayloadFieldEvent | AssignmentJobSignatureFieldEvent> {
    return streamMessage(buf, Assignment.codec(), opts)
  }
}

export interface ClaimResponse {
  status: ClaimResponse.Status
  assignment?: SignedEnvelope
  queueDepth: number
}

export namespace ClaimResponse {
  export enum Status {
    NO_WORK = 'NO_WORK',
    ASSIGNED = 'ASSIGNED'
  }

  enum __StatusValues {
    NO_WORK = 0,
    ASSIGNED = 1
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<ClaimResponse>

  export const codec = (): Codec<ClaimResponse> => {
    if (_codec == null) {
      _codec = message<ClaimResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          ClaimResponse.Status.codec().encode(obj.status, w)
        }

        if (obj.assignment != null) {
          w.uint32(18)
          SignedEnvelope.codec().encode(obj.assignment, w)
        }

        if ((obj.queueDepth != null && obj.queueDepth !== 0)) {
          w.uint32(24)
          w.uint32(obj.queueDepth)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.NO_WORK,
          queueDepth: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = ClaimResponse.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.assignment = SignedEnvelope.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.assignment
              })
              break
            }
            case 3: {
              obj.queueDepth = reader.uint32()
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
                value: ClaimResponse.Status.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield * SignedEnvelope.codec().stream(reader, reader.uint32(), `${prefix}.assignment`, {
                limits: opts.limits?.assignment
              })

              break
            }
            case 3: {
              yield {
                field: `${prefix}.queueDepth`,
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

  export interface ClaimResponseStatusFieldEvent {
    field: '$.status'
    value: ClaimResponse.Status
  }

  export interface ClaimResponseAssignmentPayloadFieldEvent {
    field: '$.assignment.payload'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ClaimResponseAssignmentSignatureFieldEvent {
    field: '$.assignment.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ClaimResponseQueueDepthFieldEvent {
    field: '$.queueDepth'
    value: number
  }

  export function encode (obj: Partial<ClaimResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ClaimResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ClaimResponse>): ClaimResponse {
    return decodeMessage(buf, ClaimResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ClaimResponse>): Generator<ClaimResponseStatusFieldEvent | ClaimResponseAssignmentPayloadFieldEvent | ClaimResponseAssignmentSignatureFieldEvent | ClaimResponseQueueDepthFieldEvent> {
    return streamMessage(buf, ClaimResponse.codec(), opts)
  }
}

export interface LeaseRenewal {
  jobId: string
  attempt: number
  assignmentDigest: Uint8Array<ArrayBuffer>
  running: boolean
}

export namespace LeaseRenewal {
  let _codec: Codec<LeaseRenewal>

  export const codec = (): Codec<LeaseRenewal> => {
    if (_codec == null) {
      _codec = message<LeaseRenewal>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.jobId != null && obj.jobId !== '')) {
          w.uint32(10)
          w.string(obj.jobId)
        }

        if ((obj.attempt != null && obj.attempt !== 0)) {
          w.uint32(16)
          w.uint32(obj.attempt)
        }

        if ((obj.assignmentDigest != null && obj.assignmentDigest.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.assignmentDigest)
        }

        if ((obj.running != null && obj.running !== false)) {
          w.uint32(32)
          w.bool(obj.running)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          jobId: '',
          attempt: 0,
          assignmentDigest: uint8ArrayAlloc(0),
          running: false
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
              obj.attempt = reader.uint32()
              break
            }
            case 3: {
              obj.assignmentDigest = reader.bytes()
              break
            }
            case 4: {
              obj.running = reader.bool()
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
                field: `${prefix}.attempt`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.assignmentDigest`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.running`,
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

  export interface LeaseRenewalJobIdFieldEvent {
    field: '$.jobId'
    value: string
  }

  export interface LeaseRenewalAttemptFieldEvent {
    field: '$.attempt'
    value: number
  }

  export interface LeaseRenewalAssignmentDigestFieldEvent {
    field: '$.assignmentDigest'
    value: Uint8Array<ArrayBuffer>
  }

  export interface LeaseRenewalRunningFieldEvent {
    field: '$.running'
    value: boolean
  }

  export function encode (obj: Partial<LeaseRenewal>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, LeaseRenewal.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LeaseRenewal>): LeaseRenewal {
    return decodeMessage(buf, LeaseRenewal.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LeaseRenewal>): Generator<LeaseRenewalJobIdFieldEvent | LeaseRenewalAttemptFieldEvent | LeaseRenewalAssignmentDigestFieldEvent | LeaseRenewalRunningFieldEvent> {
    return streamMessage(buf, LeaseRenewal.codec(), opts)
  }
}

export interface LeaseResponse {
  status: LeaseResponse.Status
  leaseExpiresAtMs: bigint
}

export namespace LeaseResponse {
  export enum Status {
    OK = 'OK',
    CANCELLED = 'CANCELLED',
    LOST = 'LOST'
  }

  enum __StatusValues {
    OK = 0,
    CANCELLED = 1,
    LOST = 2
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<LeaseResponse>

  export const codec = (): Codec<LeaseResponse> => {
    if (_codec == null) {
      _codec = message<LeaseResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          LeaseResponse.Status.codec().encode(obj.status, w)
        }

        if ((obj.leaseExpiresAtMs != null && obj.leaseExpiresAtMs !== 0n)) {
          w.uint32(16)
          w.uint64(obj.leaseExpiresAtMs)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.OK,
          leaseExpiresAtMs: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = LeaseResponse.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.leaseExpiresAtMs = reader.uint64()
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
                value: LeaseResponse.Status.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.leaseExpiresAtMs`,
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

  export interface LeaseResponseStatusFieldEvent {
    field: '$.status'
    value: LeaseResponse.Status
  }

  export interface LeaseResponseLeaseExpiresAtMsFieldEvent {
    field: '$.leaseExpiresAtMs'
    value: bigint
  }

  export function encode (obj: Partial<LeaseResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, LeaseResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LeaseResponse>): LeaseResponse {
    return decodeMessage(buf, LeaseResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LeaseResponse>): Generator<LeaseResponseStatusFieldEvent | LeaseResponseLeaseExpiresAtMsFieldEvent> {
    return streamMessage(buf, LeaseResponse.codec(), opts)
  }
}

export interface ResourceUse {
  wallMs: bigint
  cpuMs: bigint
  maxRssKb: bigint
}

export namespace ResourceUse {
  let _codec: Codec<ResourceUse>

  export const codec = (): Codec<ResourceUse> => {
    if (_codec == null) {
      _codec = message<ResourceUse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.wallMs != null && obj.wallMs !== 0n)) {
          w.uint32(8)
          w.uint64(obj.wallMs)
        }

        if ((obj.cpuMs != null && obj.cpuMs !== 0n)) {
          w.uint32(16)
          w.uint64(obj.cpuMs)
        }

        if ((obj.maxRssKb != null && obj.maxRssKb !== 0n)) {
          w.uint32(24)
          w.uint64(obj.maxRssKb)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          wallMs: 0n,
          cpuMs: 0n,
          maxRssKb: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.wallMs = reader.uint64()
              break
            }
            case 2: {
              obj.cpuMs = reader.uint64()
              break
            }
            case 3: {
              obj.maxRssKb = reader.uint64()
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
                field: `${prefix}.wallMs`,
                value: reader.uint64()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.cpuMs`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.maxRssKb`,
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

  export interface ResourceUseWallMsFieldEvent {
    field: '$.wallMs'
    value: bigint
  }

  export interface ResourceUseCpuMsFieldEvent {
    field: '$.cpuMs'
    value: bigint
  }

  export interface ResourceUseMaxRssKbFieldEvent {
    field: '$.maxRssKb'
    value: bigint
  }

  export function encode (obj: Partial<ResourceUse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ResourceUse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ResourceUse>): ResourceUse {
    return decodeMessage(buf, ResourceUse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ResourceUse>): Generator<ResourceUseWallMsFieldEvent | ResourceUseCpuMsFieldEvent | ResourceUseMaxRssKbFieldEvent> {
    return streamMessage(buf, ResourceUse.codec(), opts)
  }
}

export interface JobResult {
  jobId: string
  attempt: number
  assignmentDigest: Uint8Array<ArrayBuffer>
  output: Uint8Array<ArrayBuffer>
  exitCode: number
  outputDigest: Uint8Array<ArrayBuffer>
  resources?: ResourceUse
  error: string
  errorMessage: string
  stderr: Uint8Array<ArrayBuffer>
  nextClaim?: ClaimRequest
}

export namespace JobResult {
  let _codec: Codec<JobResult>

  export const codec = (): Codec<JobResult> => {
    if (_codec == null) {
      _codec = message<JobResult>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.jobId != null && obj.jobId !== '')) {
          w.uint32(10)
          w.string(obj.jobId)
        }

        if ((obj.attempt != null && obj.attempt !== 0)) {
          w.uint32(16)
          w.uint32(obj.attempt)
        }

        if ((obj.assignmentDigest != null && obj.assignmentDigest.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.assignmentDigest)
        }

        if ((obj.output != null && obj.output.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.output)
        }

        if ((obj.exitCode != null && obj.exitCode !== 0)) {
          w.uint32(40)
          w.int32(obj.exitCode)
        }

        if ((obj.outputDigest != null && obj.outputDigest.byteLength > 0)) {
          w.uint32(50)
          w.bytes(obj.outputDigest)
        }

        if (obj.resources != null) {
          w.uint32(58)
          ResourceUse.codec().encode(obj.resources, w)
        }

        if ((obj.error != null && obj.error !== '')) {
          w.uint32(66)
          w.string(obj.error)
        }

        if ((obj.errorMessage != null && obj.errorMessage !== '')) {
          w.uint32(74)
          w.string(obj.errorMessage)
        }

        if ((obj.stderr != null && obj.stderr.byteLength > 0)) {
          w.uint32(82)
          w.bytes(obj.stderr)
        }

        if (obj.nextClaim != null) {
          w.uint32(90)
          ClaimRequest.codec().encode(obj.nextClaim, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          jobId: '',
          attempt: 0,
          assignmentDigest: uint8ArrayAlloc(0),
          output: uint8ArrayAlloc(0),
          exitCode: 0,
          outputDigest: uint8ArrayAlloc(0),
          error: '',
          errorMessage: '',
          stderr: uint8ArrayAlloc(0)
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
              obj.attempt = reader.uint32()
              break
            }
            case 3: {
              obj.assignmentDigest = reader.bytes()
              break
            }
            case 4: {
              obj.output = reader.bytes()
              break
            }
            case 5: {
              obj.exitCode = reader.int32()
              break
            }
            case 6: {
              obj.outputDigest = reader.bytes()
              break
            }
            case 7: {
              obj.resources = ResourceUse.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.resources
              })
              break
            }
            case 8: {
              obj.error = reader.string()
              break
            }
            case 9: {
              obj.errorMessage = reader.string()
              break
            }
            case 10: {
              obj.stderr = reader.bytes()
              break
            }
            case 11: {
              obj.nextClaim = ClaimRequest.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.nextClaim
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
              yield {
                field: `${prefix}.jobId`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.attempt`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.assignmentDigest`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.output`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.exitCode`,
                value: reader.int32()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.outputDigest`,
                value: reader.bytes()
              }
              break
            }
            case 7: {
              yield * ResourceUse.codec().stream(reader, reader.uint32(), `${prefix}.resources`, {
                limits: opts.limits?.resources
              })

              break
            }
            case 8: {
              yield {
                field: `${prefix}.error`,
                value: reader.string()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.errorMessage`,
                value: reader.string()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.stderr`,
                value: reader.bytes()
              }
              break
            }
            case 11: {
              yield * ClaimRequest.codec().stream(reader, reader.uint32(), `${prefix}.nextClaim`, {
                limits: opts.limits?.nextClaim
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

  export interface JobResultJobIdFieldEvent {
    field: '$.jobId'
    value: string
  }

  export interface JobResultAttemptFieldEvent {
    field: '$.attempt'
    value: number
  }

  export interface JobResultAssignmentDigestFieldEvent {
    field: '$.assignmentDigest'
    value: Uint8Array<ArrayBuffer>
  }

  export interface JobResultOutputFieldEvent {
    field: '$.output'
    value: Uint8Array<ArrayBuffer>
  }

  export interface JobResultExitCodeFieldEvent {
    field: '$.exitCode'
    value: number
  }

  export interface JobResultOutputDigestFieldEvent {
    field: '$.outputDigest'
    value: Uint8Array<ArrayBuffer>
  }

  export interface JobResultResourcesWallMsFieldEvent {
    field: '$.resources.wallMs'
    value: bigint
  }

  export interface JobResultResourcesCpuMsFieldEvent {
    field: '$.resources.cpuMs'
    value: bigint
  }

  export interface JobResultResourcesMaxRssKbFieldEvent {
    field: '$.resources.maxRssKb'
    value: bigint
  }

  export interface JobResultErrorFieldEvent {
    field: '$.error'
    value: string
  }

  export interface JobResultErrorMessageFieldEvent {
    field: '$.errorMessage'
    value: string
  }

  export interface JobResultStderrFieldEvent {
    field: '$.stderr'
    value: Uint8Array<ArrayBuffer>
  }

  export interface JobResultNextClaimJobIdFieldEvent {
    field: '$.nextClaim.jobId'
    value: string
  }

  export interface JobResultNextClaimExecutorsFieldEvent {
    field: '$.nextClaim.executors[]'
    index: number
    value: string
  }

  export interface JobResultNextClaimFreeSlotsFieldEvent {
    field: '$.nextClaim.freeSlots'
    value: number
  }

  export interface JobResultNextClaimCapacityCpuMillisFieldEvent {
    field: '$.nextClaim.capacity.cpuMillis'
    value: number
  }

  export interface JobResultNextClaimCapacityMemoryMbFieldEvent {
    field: '$.nextClaim.capacity.memoryMb'
    value: number
  }

  export interface JobResultNextClaimClaimNonceFieldEvent {
    field: '$.nextClaim.claimNonce'
    value: Uint8Array<ArrayBuffer>
  }

  export interface JobResultNextClaimWaitMsFieldEvent {
    field: '$.nextClaim.waitMs'
    value: number
  }

  export function encode (obj: Partial<JobResult>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, JobResult.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<JobResult>): JobResult {
    return decodeMessage(buf, JobResult.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<JobResult>): Generator<JobResultJobIdFieldEvent | JobResultAttemptFieldEvent | JobResultAssignmentDigestFieldEvent | JobResultOutputFieldEvent | JobResultExitCodeFieldEvent | JobResultOutputDigestFieldEvent | JobResultResourcesWallMsFieldEvent | JobResultResourcesCpuMsFieldEvent | JobResultResourcesMaxRssKbFieldEvent | JobResultErrorFieldEvent | JobResultErrorMessageFieldEvent | JobResultStderrFieldEvent | JobResultNextClaimJobIdFieldEvent | JobResultNextClaimExecutorsFieldEvent | JobResultNextClaimFreeSlotsFieldEvent | JobResultNextClaimCapacityCpuMillisFieldEvent | JobResultNextClaimCapacityMemoryMbFieldEvent | JobResultNextClaimClaimNonceFieldEvent | JobResultNextClaimWaitMsFieldEvent> {
    return streamMessage(buf, JobResult.codec(), opts)
  }
}

export interface ResultAck {
  status: ResultAck.Status
  moreWork: boolean
  assignment?: SignedEnvelope
  queueDepth: number
}

export namespace ResultAck {
  export enum Status {
    ACCEPTED = 'ACCEPTED',
    DUPLICATE = 'DUPLICATE'
  }

  enum __StatusValues {
    ACCEPTED = 0,
    DUPLICATE = 1
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<ResultAck>

  export const codec = (): Codec<ResultAck> => {
    if (_codec == null) {
      _codec = message<ResultAck>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          ResultAck.Status.codec().encode(obj.status, w)
        }

        if ((obj.moreWork != null && obj.moreWork !== false)) {
          w.uint32(16)
          w.bool(obj.moreWork)
        }

        if (obj.assignment != null) {
          w.uint32(26)
          SignedEnvelope.codec().encode(obj.assignment, w)
        }

        if ((obj.queueDepth != null && obj.queueDepth !== 0)) {
          w.uint32(32)
          w.uint32(obj.queueDepth)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.ACCEPTED,
          moreWork: false,
          queueDepth: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = ResultAck.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.moreWork = reader.bool()
              break
            }
            case 3: {
              obj.assignment = SignedEnvelope.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.assignment
              })
              break
            }
            case 4: {
              obj.queueDepth = reader.uint32()
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
                value: ResultAck.Status.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.moreWork`,
                value: reader.bool()
              }
              break
            }
            case 3: {
              yield * SignedEnvelope.codec().stream(reader, reader.uint32(), `${prefix}.assignment`, {
                limits: opts.limits?.assignment
              })

              break
            }
            case 4: {
              yield {
                field: `${prefix}.queueDepth`,
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

  export interface ResultAckStatusFieldEvent {
    field: '$.status'
    value: ResultAck.Status
  }

  export interface ResultAckMoreWorkFieldEvent {
    field: '$.moreWork'
    value: boolean
  }

  export interface ResultAckAssignmentPayloadFieldEvent {
    field: '$.assignment.payload'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ResultAckAssignmentSignatureFieldEvent {
    field: '$.assignment.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ResultAckQueueDepthFieldEvent {
    field: '$.queueDepth'
    value: number
  }

  export function encode (obj: Partial<ResultAck>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ResultAck.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ResultAck>): ResultAck {
    return decodeMessage(buf, ResultAck.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ResultAck>): Generator<ResultAckStatusFieldEvent | ResultAckMoreWorkFieldEvent | ResultAckAssignmentPayloadFieldEvent | ResultAckAssignmentSignatureFieldEvent | ResultAckQueueDepthFieldEvent> {
    return streamMessage(buf, ResultAck.codec(), opts)
  }
}

export interface JobQuery {
  op: JobQuery.Op
  jobId: string
}

export namespace JobQuery {
  export enum Op {
    STATUS = 'STATUS',
    RESULT = 'RESULT',
    CANCEL = 'CANCEL'
  }

  enum __OpValues {
    STATUS = 0,
    RESULT = 1,
    CANCEL = 2
  }

  export namespace Op {
    export const codec = (): Codec<Op> => {
      return enumeration<Op>(__OpValues)
    }
  }

  let _codec: Codec<JobQuery>

  export const codec = (): Codec<JobQuery> => {
    if (_codec == null) {
      _codec = message<JobQuery>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.op != null && __OpValues[obj.op] !== 0) {
          w.uint32(8)
          JobQuery.Op.codec().encode(obj.op, w)
        }

        if ((obj.jobId != null && obj.jobId !== '')) {
          w.uint32(18)
          w.string(obj.jobId)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          op: Op.STATUS,
          jobId: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.op = JobQuery.Op.codec().decode(reader)
              break
            }
            case 2: {
              obj.jobId = reader.string()
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
                value: JobQuery.Op.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.jobId`,
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

  export interface JobQueryOpFieldEvent {
    field: '$.op'
    value: JobQuery.Op
  }

  export interface JobQueryJobIdFieldEvent {
    field: '$.jobId'
    value: string
  }

  export function encode (obj: Partial<JobQuery>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, JobQuery.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<JobQuery>): JobQuery {
    return decodeMessage(buf, JobQuery.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<JobQuery>): Generator<JobQueryOpFieldEvent | JobQueryJobIdFieldEvent> {
    return streamMessage(buf, JobQuery.codec(), opts)
  }
}

export interface CancelNotice {
  jobId: string
  attempt: number
}

export namespace CancelNotice {
  let _codec: Codec<CancelNotice>

  export const codec = (): Codec<CancelNotice> => {
    if (_codec == null) {
      _codec = message<CancelNotice>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.jobId != null && obj.jobId !== '')) {
          w.uint32(10)
          w.string(obj.jobId)
        }

        if ((obj.attempt != null && obj.attempt !== 0)) {
          w.uint32(16)
          w.uint32(obj.attempt)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          jobId: '',
          attempt: 0
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
              obj.attempt = reader.uint32()
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
                field: `${prefix}.attempt`,
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

  export interface CancelNoticeJobIdFieldEvent {
    field: '$.jobId'
    value: string
  }

  export interface CancelNoticeAttemptFieldEvent {
    field: '$.attempt'
    value: number
  }

  export function encode (obj: Partial<CancelNotice>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, CancelNotice.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CancelNotice>): CancelNotice {
    return decodeMessage(buf, CancelNotice.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CancelNotice>): Generator<CancelNoticeJobIdFieldEvent | CancelNoticeAttemptFieldEvent> {
    return streamMessage(buf, CancelNotice.codec(), opts)
  }
}

export interface AttemptRecord {
  attempt: number
  worker: string
  assignedAtMs: bigint
  startedAtMs: bigint
  endedAtMs: bigint
  outcome: string
  reason: string
}

export namespace AttemptRecord {
  let _codec: Codec<AttemptRecord>

  export const codec = (): Codec<AttemptRecord> => {
    if (_codec == null) {
      _codec = message<AttemptRecord>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.attempt != null && obj.attempt !== 0)) {
          w.uint32(8)
          w.uint32(obj.attempt)
        }

        if ((obj.worker != null && obj.worker !== '')) {
          w.uint32(18)
          w.string(obj.worker)
        }

        if ((obj.assignedAtMs != null && obj.assignedAtMs !== 0n)) {
          w.uint32(24)
          w.uint64(obj.assignedAtMs)
        }

        if ((obj.startedAtMs != null && obj.startedAtMs !== 0n)) {
          w.uint32(32)
          w.uint64(obj.startedAtMs)
        }

        if ((obj.endedAtMs != null && obj.endedAtMs !== 0n)) {
          w.uint32(40)
          w.uint64(obj.endedAtMs)
        }

        if ((obj.outcome != null && obj.outcome !== '')) {
          w.uint32(50)
          w.string(obj.outcome)
        }

        if ((obj.reason != null && obj.reason !== '')) {
          w.uint32(58)
          w.string(obj.reason)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          attempt: 0,
          worker: '',
          assignedAtMs: 0n,
          startedAtMs: 0n,
          endedAtMs: 0n,
          outcome: '',
          reason: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.attempt = reader.uint32()
              break
            }
            case 2: {
              obj.worker = reader.string()
              break
            }
            case 3: {
              obj.assignedAtMs = reader.uint64()
              break
            }
            case 4: {
              obj.startedAtMs = reader.uint64()
              break
            }
            case 5: {
              obj.endedAtMs = reader.uint64()
              break
            }
            case 6: {
              obj.outcome = reader.string()
              break
            }
            case 7: {
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
                field: `${prefix}.attempt`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.worker`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.assignedAtMs`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.startedAtMs`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.endedAtMs`,
                value: reader.uint64()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.outcome`,
                value: reader.string()
              }
              break
            }
            case 7: {
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

  export interface AttemptRecordAttemptFieldEvent {
    field: '$.attempt'
    value: number
  }

  export interface AttemptRecordWorkerFieldEvent {
    field: '$.worker'
    value: string
  }

  export interface AttemptRecordAssignedAtMsFieldEvent {
    field: '$.assignedAtMs'
    value: bigint
  }

  export interface AttemptRecordStartedAtMsFieldEvent {
    field: '$.startedAtMs'
    value: bigint
  }

  export interface AttemptRecordEndedAtMsFieldEvent {
    field: '$.endedAtMs'
    value: bigint
  }

  export interface AttemptRecordOutcomeFieldEvent {
    field: '$.outcome'
    value: string
  }

  export interface AttemptRecordReasonFieldEvent {
    field: '$.reason'
    value: string
  }

  export function encode (obj: Partial<AttemptRecord>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, AttemptRecord.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AttemptRecord>): AttemptRecord {
    return decodeMessage(buf, AttemptRecord.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AttemptRecord>): Generator<AttemptRecordAttemptFieldEvent | AttemptRecordWorkerFieldEvent | AttemptRecordAssignedAtMsFieldEvent | AttemptRecordStartedAtMsFieldEvent | AttemptRecordEndedAtMsFieldEvent | AttemptRecordOutcomeFieldEvent | AttemptRecordReasonFieldEvent> {
    return streamMessage(buf, AttemptRecord.codec(), opts)
  }
}

export interface StateTimestamp {
  state: string
  atMs: bigint
}

export namespace StateTimestamp {
  let _codec: Codec<StateTimestamp>

  export const codec = (): Codec<StateTimestamp> => {
    if (_codec == null) {
      _codec = message<StateTimestamp>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.state != null && obj.state !== '')) {
          w.uint32(10)
          w.string(obj.state)
        }

        if ((obj.atMs != null && obj.atMs !== 0n)) {
          w.uint32(16)
          w.uint64(obj.atMs)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          state: '',
          atMs: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.state = reader.string()
              break
            }
            case 2: {
              obj.atMs = reader.uint64()
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
                field: `${prefix}.state`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.atMs`,
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

  export interface StateTimestampStateFieldEvent {
    field: '$.state'
    value: string
  }

  export interface StateTimestampAtMsFieldEvent {
    field: '$.atMs'
    value: bigint
  }

  export function encode (obj: Partial<StateTimestamp>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, StateTimestamp.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StateTimestamp>): StateTimestamp {
    return decodeMessage(buf, StateTimestamp.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StateTimestamp>): Generator<StateTimestampStateFieldEvent | StateTimestampAtMsFieldEvent> {
    return streamMessage(buf, StateTimestamp.codec(), opts)
  }
}

export interface JobStatus {
  jobId: string
  state: string
  executor: string
  owner: string
  coordinator: string
  attempt: number
  maxAttempts: number
  reason: string
  createdAtMs: bigint
  updatedAtMs: bigint
  timestamps: StateTimestamp[]
  attempts: AttemptRecord[]
  label: string
  result?: JobResult
  signedResult?: SignedEnvelope
}

export namespace JobStatus {
  let _codec: Codec<JobStatus>

  export const codec = (): Codec<JobStatus> => {
    if (_codec == null) {
      _codec = message<JobStatus>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.jobId != null && obj.jobId !== '')) {
          w.uint32(10)
          w.string(obj.jobId)
        }

        if ((obj.state != null && obj.state !== '')) {
          w.uint32(18)
          w.string(obj.state)
        }

        if ((obj.executor != null && obj.executor !== '')) {
          w.uint32(26)
          w.string(obj.executor)
        }

        if ((obj.owner != null && obj.owner !== '')) {
          w.uint32(34)
          w.string(obj.owner)
        }

        if ((obj.coordinator != null && obj.coordinator !== '')) {
          w.uint32(42)
          w.string(obj.coordinator)
        }

        if ((obj.attempt != null && obj.attempt !== 0)) {
          w.uint32(48)
          w.uint32(obj.attempt)
        }

        if ((obj.maxAttempts != null && obj.maxAttempts !== 0)) {
          w.uint32(56)
          w.uint32(obj.maxAttempts)
        }

        if ((obj.reason != null && obj.reason !== '')) {
          w.uint32(66)
          w.string(obj.reason)
        }

        if ((obj.createdAtMs != null && obj.createdAtMs !== 0n)) {
          w.uint32(72)
          w.uint64(obj.createdAtMs)
        }

        if ((obj.updatedAtMs != null && obj.updatedAtMs !== 0n)) {
          w.uint32(80)
          w.uint64(obj.updatedAtMs)
        }

        if (obj.timestamps != null && obj.timestamps.length > 0) {
          for (const value of obj.timestamps) {
            w.uint32(90)
            StateTimestamp.codec().encode(value, w)
          }
        }

        if (obj.attempts != null && obj.attempts.length > 0) {
          for (const value of obj.attempts) {
            w.uint32(98)
            AttemptRecord.codec().encode(value, w)
          }
        }

        if ((obj.label != null && obj.label !== '')) {
          w.uint32(106)
          w.string(obj.label)
        }

        if (obj.result != null) {
          w.uint32(114)
          JobResult.codec().encode(obj.result, w)
        }

        if (obj.signedResult != null) {
          w.uint32(122)
          SignedEnvelope.codec().encode(obj.signedResult, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          jobId: '',
          state: '',
          executor: '',
          owner: '',
          coordinator: '',
          attempt: 0,
          maxAttempts: 0,
          reason: '',
          createdAtMs: 0n,
          updatedAtMs: 0n,
          timestamps: [],
          attempts: [],
          label: ''
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
              obj.state = reader.string()
              break
            }
            case 3: {
              obj.executor = reader.string()
              break
            }
            case 4: {
              obj.owner = reader.string()
              break
            }
            case 5: {
              obj.coordinator = reader.string()
              break
            }
            case 6: {
              obj.attempt = reader.uint32()
              break
            }
            case 7: {
              obj.maxAttempts = reader.uint32()
              break
            }
            case 8: {
              obj.reason = reader.string()
              break
            }
            case 9: {
              obj.createdAtMs = reader.uint64()
              break
            }
            case 10: {
              obj.updatedAtMs = reader.uint64()
              break
            }
            case 11: {
              if (opts.limits?.timestamps != null && obj.timestamps.length === opts.limits.timestamps) {
                throw new MaxLengthError('Decode error - repeated field "timestamps" had too many elements')
              }

              obj.timestamps.push(StateTimestamp.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.timestamps$
              }))
              break
            }
            case 12: {
              if (opts.limits?.attempts != null && obj.attempts.length === opts.limits.attempts) {
                throw new MaxLengthError('Decode error - repeated field "attempts" had too many elements')
              }

              obj.attempts.push(AttemptRecord.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.attempts$
              }))
              break
            }
            case 13: {
              obj.label = reader.string()
              break
            }
            case 14: {
              obj.result = JobResult.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.result
              })
              break
            }
            case 15: {
              obj.signedResult = SignedEnvelope.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.signedResult
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
          timestamps: 0,
          attempts: 0
        }

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
                field: `${prefix}.state`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.executor`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.owner`,
                value: reader.string()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.coordinator`,
                value: reader.string()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.attempt`,
                value: reader.uint32()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.maxAttempts`,
                value: reader.uint32()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.reason`,
                value: reader.string()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.createdAtMs`,
                value: reader.uint64()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.updatedAtMs`,
                value: reader.uint64()
              }
              break
            }
            case 11: {
              if (opts.limits?.timestamps != null && obj.timestamps === opts.limits.timestamps) {
                throw new MaxLengthError('Streaming decode error - repeated field "timestamps" had too many elements')
              }

              for (const evt of StateTimestamp.codec().stream(reader, reader.uint32(), `${prefix}.timestamps[]`, {
                limits: opts.limits?.timestamps$
              })) {
                yield {
                  ...evt,
                  index: obj.timestamps
                }
              }

              obj.timestamps++

              break
            }
            case 12: {
              if (opts.limits?.attempts != null && obj.attempts === opts.limits.attempts) {
                throw new MaxLengthError('Streaming decode error - repeated field "attempts" had too many elements')
              }

              for (const evt of AttemptRecord.codec().stream(reader, reader.uint32(), `${prefix}.attempts[]`, {
                limits: opts.limits?.attempts$
              })) {
                yield {
                  ...evt,
                  index: obj.attempts
                }
              }

              obj.attempts++

              break
            }
            case 13: {
              yield {
                field: `${prefix}.label`,
                value: reader.string()
              }
              break
            }
            case 14: {
              yield * JobResult.codec().stream(reader, reader.uint32(), `${prefix}.result`, {
                limits: opts.limits?.result
              })

              break
            }
            case 15: {
              yield * SignedEnvelope.codec().stream(reader, reader.uint32(), `${prefix}.signedResult`, {
                limits: opts.limits?.signedResult
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

  export interface JobStatusJobIdFieldEvent {
    field: '$.jobId'
    value: string
  }

  export interface JobStatusStateFieldEvent {
    field: '$.state'
    value: string
  }

  export interface JobStatusExecutorFieldEvent {
    field: '$.executor'
    value: string
  }

  export interface JobStatusOwnerFieldEvent {
    field: '$.owner'
    value: string
  }

  export interface JobStatusCoordinatorFieldEvent {
    field: '$.coordinator'
    value: string
  }

  export interface JobStatusAttemptFieldEvent {
    field: '$.attempt'
    value: number
  }

  export interface JobStatusMaxAttemptsFieldEvent {
    field: '$.maxAttempts'
    value: number
  }

  export interface JobStatusReasonFieldEvent {
    field: '$.reason'
    value: string
  }

  export interface JobStatusCreatedAtMsFieldEvent {
    field: '$.createdAtMs'
    value: bigint
  }

  export interface JobStatusUpdatedAtMsFieldEvent {
    field: '$.updatedAtMs'
    value: bigint
  }

  export interface JobStatusTimestampsStateFieldEvent {
    field: '$.timestamps[].state'
    value: string
    index: number
  }

  export interface JobStatusTimestampsAtMsFieldEvent {
    field: '$.timestamps[].atMs'
    value: bigint
    index: number
  }

  export interface JobStatusAttemptsAttemptFieldEvent {
    field: '$.attempts[].attempt'
    value: number
    index: number
  }

  export interface JobStatusAttemptsWorkerFieldEvent {
    field: '$.attempts[].worker'
    value: string
    index: number
  }

  export interface JobStatusAttemptsAssignedAtMsFieldEvent {
    field: '$.attempts[].assignedAtMs'
    value: bigint
    index: number
  }

  export interface JobStatusAttemptsStartedAtMsFieldEvent {
    field: '$.attempts[].startedAtMs'
    value: bigint
    index: number
  }

  export interface JobStatusAttemptsEndedAtMsFieldEvent {
    field: '$.attempts[].endedAtMs'
    value: bigint
    index: number
  }

  export interface JobStatusAttemptsOutcomeFieldEvent {
    field: '$.attempts[].outcome'
    value: string
    index: number
  }

  export interface JobStatusAttemptsReasonFieldEvent {
    field: '$.attempts[].reason'
    value: string
    index: number
  }

  export interface JobStatusLabelFieldEvent {
    field: '$.label'
    value: string
  }

  export interface JobStatusResultJobIdFieldEvent {
    field: '$.result.jobId'
    value: string
  }

  export interface JobStatusResultAttemptFieldEvent {
    field: '$.result.attempt'
    value: number
  }

  export interface JobStatusResultAssignmentDigestFieldEvent {
    field: '$.result.assignmentDigest'
    value: Uint8Array<ArrayBuffer>
  }

  export interface JobStatusResultOutputFieldEvent {
    field: '$.result.output'
    value: Uint8Array<ArrayBuffer>
  }

  export interface JobStatusResultExitCodeFieldEvent {
    field: '$.result.exitCode'
    value: number
  }

  export interface JobStatusResultOutputDigestFieldEvent {
    field: '$.result.outputDigest'
    value: Uint8Array<ArrayBuffer>
  }

  export interface JobStatusResultResourcesWallMsFieldEvent {
    field: '$.result.resources.wallMs'
    value: bigint
  }

  export interface JobStatusResultResourcesCpuMsFieldEvent {
    field: '$.result.resources.cpuMs'
    value: bigint
  }

  export interface JobStatusResultResourcesMaxRssKbFieldEvent {
    field: '$.result.resources.maxRssKb'
    value: bigint
  }

  export interface JobStatusResultErrorFieldEvent {
    field: '$.result.error'
    value: string
  }

  export interface JobStatusResultErrorMessageFieldEvent {
    field: '$.result.errorMessage'
    value: string
  }

  export interface JobStatusResultStderrFieldEvent {
    field: '$.result.stderr'
    value: Uint8Array<ArrayBuffer>
  }

  export interface JobStatusResultNextClaimJobIdFieldEvent {
    field: '$.result.nextClaim.jobId'
    value: string
  }

  export interface JobStatusResultNextClaimExecutorsFieldEvent {
    field: '$.result.nextClaim.executors[]'
    index: number
    value: string
  }

  export interface JobStatusResultNextClaimFreeSlotsFieldEvent {
    field: '$.result.nextClaim.freeSlots'
    value: number
  }

  export interface JobStatusResultNextClaimCapacityCpuMillisFieldEvent {
    field: '$.result.nextClaim.capacity.cpuMillis'
    value: number
  }

  export interface JobStatusResultNextClaimCapacityMemoryMbFieldEvent {
    field: '$.result.nextClaim.capacity.memoryMb'
    value: number
  }

  export interface JobStatusResultNextClaimClaimNonceFieldEvent {
    field: '$.result.nextClaim.claimNonce'
    value: Uint8Array<ArrayBuffer>
  }

  export interface JobStatusResultNextClaimWaitMsFieldEvent {
    field: '$.result.nextClaim.waitMs'
    value: number
  }

  export interface JobStatusSignedResultPayloadFieldEvent {
    field: '$.signedResult.payload'
    value: Uint8Array<ArrayBuffer>
  }

  export interface JobStatusSignedResultSignatureFieldEvent {
    field: '$.signedResult.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<JobStatus>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, JobStatus.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<JobStatus>): JobStatus {
    return decodeMessage(buf, JobStatus.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<JobStatus>): Generator<JobStatusJobIdFieldEvent | JobStatusStateFieldEvent | JobStatusExecutorFieldEvent | JobStatusOwnerFieldEvent | JobStatusCoordinatorFieldEvent | JobStatusAttemptFieldEvent | JobStatusMaxAttemptsFieldEvent | JobStatusReasonFieldEvent | JobStatusCreatedAtMsFieldEvent | JobStatusUpdatedAtMsFieldEvent | JobStatusTimestampsStateFieldEvent | JobStatusTimestampsAtMsFieldEvent | JobStatusAttemptsAttemptFieldEvent | JobStatusAttemptsWorkerFieldEvent | JobStatusAttemptsAssignedAtMsFieldEvent | JobStatusAttemptsStartedAtMsFieldEvent | JobStatusAttemptsEndedAtMsFieldEvent | JobStatusAttemptsOutcomeFieldEvent | JobStatusAttemptsReasonFieldEvent | JobStatusLabelFieldEvent | JobStatusResultJobIdFieldEvent | JobStatusResultAttemptFieldEvent | JobStatusResultAssignmentDigestFieldEvent | JobStatusResultOutputFieldEvent | JobStatusResultExitCodeFieldEvent | JobStatusResultOutputDigestFieldEvent | JobStatusResultResourcesWallMsFieldEvent | JobStatusResultResourcesCpuMsFieldEvent | JobStatusResultResourcesMaxRssKbFieldEvent | JobStatusResultErrorFieldEvent | JobStatusResultErrorMessageFieldEvent | JobStatusResultStderrFieldEvent | JobStatusResultNextClaimJobIdFieldEvent | JobStatusResultNextClaimExecutorsFieldEvent | JobStatusResultNextClaimFreeSlotsFieldEvent | JobStatusResultNextClaimCapacityCpuMillisFieldEvent | JobStatusResultNextClaimCapacityMemoryMbFieldEvent | JobStatusResultNextClaimClaimNonceFieldEvent | JobStatusResultNextClaimWaitMsFieldEvent | JobStatusSignedResultPayloadFieldEvent | JobStatusSignedResultSignatureFieldEvent> {
    return streamMessage(buf, JobStatus.codec(), opts)
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
