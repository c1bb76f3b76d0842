// The one table of every stream protocol a node speaks and every gossip topic it joins: the id, the
// signature domain of the request, the codecs of both directions, the server's limits beyond the
// node defaults, and the time a caller waits. RpcServer.register takes a protocol's limits from here
// and rpcCall / RpcClient its timeout, so a value changes in one place; docs/protocols.md lists the
// same rows, and test/protocol-table.spec.ts holds the two (and what real nodes serve) together.
import { Domains, Protocols, authorityTopic, checkpointsTopic, jobsTopic, policyTopic } from '../wire/domains.js'
import { EmptyBody, JobIdBody, type BodyCodec } from '../wire/bodies.js'
import { SignedEnvelope } from '../wire/pb/envelope.js'
import { SessionFrame } from '../wire/pb/rpc.js'
import { CancelNotice, ClaimRequest, ClaimResponse, JobAnnouncement, JobQuery, JobResult, JobSpec, JobStatus, LeaseRenewal, LeaseResponse, ResultAck } from '../wire/pb/jobs.js'
import { CheckpointAnnouncement, LedgerRequest, LedgerResponse, SyncFrame, SyncRequest } from '../wire/pb/ledger.js'
import { AdminAction, AdminActionAnnouncement, AdminSyncRequest, AdminSyncResponse, AuthorityAction, AuthorityAnnouncement, EnrollRequest, EnrollResponse } from '../wire/pb/admission.js'
import { OpsNotice, OpsNoticeAck } from '../wire/pb/ops.js'
import type { RpcLimits } from './limits.js'

export type { BodyCodec } from '../wire/bodies.js'

/** the roles whose nodes serve a protocol (what `libp2p.getProtocols()` of each lists) */
export type ServingRole = 'coordinator' | 'worker' | 'client'

interface ProtocolBase {
  /** the stream protocol id: what multistream-select negotiates */
  readonly id: string
  /** who serves it */
  readonly servedBy: readonly ServingRole[]
  /** the server's limits beyond the node defaults (limits.ts), before the node's configured ones */
  readonly limits: Readonly<Partial<RpcLimits>>
}

interface SignedRequest<Req> {
  /** the signature domain of the request envelope */
  readonly domain: string
  /** the body inside the request envelope */
  readonly request: BodyCodec<Req>
  /** how long a request signed for this protocol stays valid */
  readonly signTtlMs: number
  /** how long a caller waits for the answer unless it says otherwise */
  readonly timeoutMs: number
}

/** one signed request, one response, on a fresh stream (or a session frame, for `session` ones) */
export interface RequestProtocol<Req = unknown, Res = unknown> extends ProtocolBase, SignedRequest<Req> {
  readonly kind: 'request'
  readonly response: BodyCodec<Res>
  /** also served on session streams: methods a peer calls often */
  readonly session: boolean
}

/** one signed request answered by a stream of frames, each its own RpcResponse */
export interface StreamProtocol<Req = unknown, Frame = unknown> extends ProtocolBase, SignedRequest<Req> {
  readonly kind: 'stream'
  readonly response: BodyCodec<Frame>
}

/** the session protocol: frames that each carry a request of a `session` method (session.ts) */
export interface SessionProtocol extends ProtocolBase {
  readonly kind: 'session'
  readonly frame: BodyCodec<SessionFrame>
  /** requests one session may have open at once at the serving side */
  readonly maxOpenRequests: number
  /** a session with nothing open this long is closed by its caller (the server allows twice as long) */
  readonly idleMs: number
  /** a caller whose peer refused sessions calls it on fresh streams for this long */
  readonly fallbackMs: number
}

export type ProtocolEntry = RequestProtocol | StreamProtocol | SessionProtocol

function requestProtocol<Req, Res> (p: Omit<RequestProtocol<Req, Res>, 'kind'>): RequestProtocol<Req, Res> {
  return { kind: 'request', ...p }
}

function streamProtocol<Req, Frame> (p: Omit<StreamProtocol<Req, Frame>, 'kind'>): StreamProtocol<Req, Frame> {
  return { kind: 'stream', ...p }
}

const ALL: readonly ServingRole[] = ['coordinator', 'worker', 'client']
const COORDINATORS: readonly ServingRole[] = ['coordinator']
const KiB = 1024
const MiB = 1024 * KiB

/** admin actions per admin-sync page: the server's page size and the caller's decode limit */
export const ADMIN_SYNC_PAGE = 200

export const ProtocolTable = {
  session: {
    kind: 'session',
    id: Protocols.session,
    servedBy: COORDINATORS,
    // a worker holds one per coordinator it works for, and each carries many requests
    limits: { maxInboundStreams: 4 },
    frame: SessionFrame,
    maxOpenRequests: 256,
    idleMs: 60_000,
    fallbackMs: 5 * 60_000
  } satisfies SessionProtocol,
  claim: requestProtocol({
    id: Protocols.claim,
    domain: Domains.claim,
    servedBy: COORDINATORS,
    request: ClaimRequest,
    response: ClaimResponse,
    limits: {},
    session: true,
    signTtlMs: 30_000,
    // a waiting claim (wait_ms) is given that much longer by the worker
    timeoutMs: 10_000
  }),
  lease: requestProtocol({
    id: Protocols.lease,
    domain: Domains.lease,
    servedBy: COORDINATORS,
    request: LeaseRenewal,
    response: LeaseResponse,
    limits: {},
    session: true,
    signTtlMs: 30_000,
    // a running job's renewals wait half its lease (at least 1 s) instead: the next one is due by then
    timeoutMs: 10_000
  }),
  result: requestProtocol({
    id: Protocols.result,
    domain: Domains.result,
    servedBy: COORDINATORS,
    request: JobResult,
    response: ResultAck,
    // a result carries the job's output (capped by the executor) and stderr
    limits: { maxRequestBytes: 4 * MiB },
    session: true,
    // the worker retries one signed result through a coordinator restart
    signTtlMs: 10 * 60_000,
    timeoutMs: 10_000
  }),
  submit: requestProtocol({
    id: Protocols.submit,
    domain: Domains.jobSpec,
    servedBy: COORDINATORS,
    request: JobSpec,
    response: JobIdBody,
    // a spec carries the job's input and module; submitting is an account's business, not abuse
    limits: { maxRequestBytes: 6 * MiB, ratePoints: 1000 },
    session: false,
    // a job spec is its owner's signed record and names the job: valid as long as any signature may be
    signTtlMs: 7 * 24 * 3600_000 - 60_000,
    timeoutMs: 15_000
  }),
  job: requestProtocol({
    id: Protocols.job,
    domain: Domains.jobQuery,
    servedBy: COORDINATORS,
    request: JobQuery,
    response: JobStatus,
    limits: {},
    session: false,
    signTtlMs: 30_000,
    timeoutMs: 15_000
  }),
  cancel: requestProtocol({
    id: Protocols.cancel,
    domain: Domains.cancelNotice,
    servedBy: ['worker'],
    request: CancelNotice,
    response: EmptyBody,
    limits: {},
    session: false,
    signTtlMs: 30_000,
    // best effort: the worker also learns on its next lease renewal
    timeoutMs: 5_000
  }),
  ledger: requestProtocol({
    id: Protocols.ledger,
    domain: Domains.ledgerRequest,
    servedBy: ALL,
    request: LedgerRequest,
    response: LedgerResponse,
    limits: {},
    session: false,
    signTtlMs: 60_000,
    // proofs over a large log take a while to compute on a busy coordinator
    timeoutMs: 30_000
  }),
  ledgerSync: streamProtocol({
    id: Protocols.ledgerSync,
    domain: Domains.ledgerSync,
    servedBy: ALL,
    request: SyncRequest,
    response: SyncFrame,
    // each request streams a long run of entries: a replica catching up needs few of them
    limits: { ratePoints: 50 },
    signTtlMs: 60_000,
    // the whole range, frame by frame
    timeoutMs: 120_000
  }),
  enroll: requestProtocol({
    id: Protocols.enroll,
    domain: Domains.enroll,
    servedBy: COORDINATORS,
    request: EnrollRequest,
    response: EnrollResponse,
    // cheap to ask for and it spends tokens: a tight per-peer rate, and a small request
    limits: { ratePoints: 10, maxRequestBytes: 8 * KiB },
    session: false,
    signTtlMs: 30_000,
    timeoutMs: 10_000
  }),
  adminSync: requestProtocol({
    id: Protocols.adminSync,
    domain: Domains.adminSync,
    servedBy: ALL,
    request: AdminSyncRequest,
    // a page holds at most ADMIN_SYNC_PAGE actions: a longer one is refused before it is held
    response: { encode: AdminSyncResponse.encode, decode: bytes => AdminSyncResponse.decode(bytes, { limits: { actions: ADMIN_SYNC_PAGE } }) },
    // each answer reads up to a page of the audit log
    limits: { ratePoints: 50, maxRequestBytes: 4 * KiB },
    session: false,
    signTtlMs: 30_000,
    timeoutMs: 10_000
  }),
  ops: requestProtocol({
    id: Protocols.ops,
    domain: Domains.opsNotice,
    servedBy: ALL,
    request: OpsNotice,
    response: OpsNoticeAck,
    // an operator's notices are rare: more is a bug or abuse
    limits: { ratePoints: 20 },
    session: false,
    signTtlMs: 60_000,
    timeoutMs: 5_000
  })
} as const

export type ProtocolName = keyof typeof ProtocolTable

const byId = new Map<string, ProtocolEntry>(Object.values(ProtocolTable).map(p => [p.id, p]))

/** The table's entry for a protocol id, if it has one. */
export function protocolEntry (id: string): ProtocolEntry | undefined {
  return byId.get(id)
}

/** How long a caller waits on protocol `id` unless it says otherwise (undefined: not in the table). */
export function callerTimeoutMs (id: string): number | undefined {
  const entry = byId.get(id)
  return entry != null && entry.kind !== 'session' ? entry.timeoutMs : undefined
}

/** Every entry of the table. */
export function protocolEntries (): ProtocolEntry[] {
  return [...byId.values()]
}

/** A gossip topic: its name in a mesh, the message on it, and the envelope inside when it carries one. */
export interface GossipTopicEntry<Msg = unknown, Body = unknown> {
  readonly topic: (meshId: string) => string
  readonly message: BodyCodec<Msg>
  /** the signed envelope's domain and body, for topics whose message carries one */
  readonly signed?: { readonly domain: string, readonly body: BodyCodec<Body> }
}

function gossipTopicEntry<Msg, Body> (t: GossipTopicEntry<Msg, Body>): GossipTopicEntry<Msg, Body> {
  return t
}

export const GossipTopics = {
  /** a coordinator announces queued jobs (gossipsub StrictSign signs the message too) */
  jobs: gossipTopicEntry({ topic: jobsTopic, message: SignedEnvelope, signed: { domain: Domains.announce, body: JobAnnouncement } }),
  /** a coordinator's checkpoints: a signed note, no envelope */
  checkpoints: gossipTopicEntry({ topic: checkpointsTopic, message: CheckpointAnnouncement }),
  policy: gossipTopicEntry({ topic: policyTopic, message: AdminActionAnnouncement, signed: { domain: Domains.adminAction, body: AdminAction } }),
  authority: gossipTopicEntry({ topic: authorityTopic, message: AuthorityAnnouncement, signed: { domain: Domains.authority, body: AuthorityAction } })
} as const
