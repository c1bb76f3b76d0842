// The ledger on the wire: checkpoints on gossip, and the /edgecoder/ledger (proofs, checkpoints,
// evidence) and /edgecoder/ledger-sync (streamed, resumable entry ranges) protocols. A coordinator
// serves its own log; every other node serves the entries it has verified, so a replica can catch up
// from any peer that holds them.
import type { MeshServiceComponents } from '../mesh/service-components.js'
import { setTimeout as sleep } from 'node:timers/promises'
import { peerIdFromString } from '@libp2p/peer-id'
import { serviceCapabilities, serviceDependencies, type PeerId, type Startable, type Logger } from '@libp2p/interface'
import { gossipTopic, type GossipTopic } from '../mesh/gossip-topic.js'
import { TopicValidatorResult, type Message as GossipMessage } from '@libp2p/gossipsub'
import { RpcServer } from '../rpc/reqresp.js'
import { RpcClient } from '../rpc/client.js'
import { ProtocolTable } from '../rpc/protocol-table.js'
import { Domains, Protocols, checkpointsTopic } from '../wire/domains.js'
import { ReplayGuard, verifyEnvelope, ownBytes, type Signer } from '../wire/signed.js'
import { CheckpointAnnouncement, LedgerRequest, LedgerResponse, SyncFrame, SyncRequest, type Wallet } from '../wire/pb/ledger.js'
import type { SignedEnvelope } from '../wire/pb/envelope.js'
import { openNote, parseCheckpoint, noteVerifierKey } from './merkle/checkpoint.js'
import { logOrigin, type CoordinatorLedger } from './coordinator-ledger.js'
import type { LedgerFetcher, LedgerReplica } from './replica.js'
import { UnknownLogError } from '../errors/index.js'
import { InvalidArgumentError, MalformedMessageError } from '../errors/index.js'
import type { JobStore } from '../jobs/job-store.js'
import { loadEnvelope } from '../jobs/envelopes.js'
import { NotGrantedCoordinatorError } from '../errors/index.js'
import type { PeerGuard } from '../rpc/peer-guard.js'

export interface LedgerServiceInit {
  meshId: string
  signer: Signer
  /** this node's own log (coordinators) */
  own?: CoordinatorLedger
  /** where signed assignments and results live (coordinators), for EVIDENCE requests */
  jobs?: JobStore
  /** this node's replicas (every role) */
  replica?: LedgerReplica
  onAlert?: (msg: string) => void
  /** blacklisted publishers: their checkpoints are rejected */
  isDenied?: (peer: string) => boolean
  /** the mesh's coordinator grants: only granted coordinators' logs are followed; absent: any */
  isGranted?: (peer: string) => boolean
  /** whether an ungranted direct publisher of a checkpoint may be charged now (default: yes) */
  mayCharge?: (peer: string) => boolean
  /**
   * a replica waits a random time up to this before fetching a checkpoint heard on gossip, so the
   * coordinator is not asked by every replica in the same instant (default 300 ms)
   */
  checkpointJitterMs?: number
}

export type LedgerServiceComponents = MeshServiceComponents

/** entries asked for in one sync request (one stream): the server's exchange timeout bounds it */
const SYNC_REQUEST_ENTRIES = 32_768
const FRAME_BYTES = 256 * 1024
const FRAME_ENTRIES = 4096

/** A checkpoint checked as it came from outside gossip (the CLI's `ledger verify --checkpoint`). */
export interface OutsideCheckpointResult { log: string, size: number, verified: boolean, evidence: Array<{ kind: string, detail: string }> }

/** The ledger protocols of a node: checkpoint gossip, proofs, streamed entries, and the logs it follows. */
export interface LedgerService extends LedgerFetcher {
  /** logs this node follows (it worked or submitted there) */
  readonly tracked: ReadonlySet<string>
  /** Publishes a checkpoint of this coordinator's own log. */
  publish: (note: string) => Promise<void>
  /** Follows a granted coordinator's log (a stranger's is refused). */
  track: (log: string) => void
  checkOutsideCheckpoint: (note: string, signal: AbortSignal) => Promise<OutsideCheckpointResult>
  /** this node's account as the coordinator `log` has it, unverified */
  walletAt: (log: string, signal: AbortSignal) => Promise<Wallet | undefined>
  /** the newest checkpoint of `log` that `peer` holds */
  checkpointFrom: (peer: PeerId, log: string, signal: AbortSignal) => Promise<string>
  /** entries [from, to) of `log` as `peer` holds them */
  entriesFrom: (peer: PeerId, log: string, from: number, to: number, signal: AbortSignal) => AsyncIterable<{ index: number, entries: Uint8Array[] }>
}

class DefaultLedgerService implements Startable, LedgerService {
  readonly [Symbol.toStringTag] = 'edgecoder/ledger'
  readonly [serviceCapabilities] = ['@edgecoder/ledger']
  readonly [serviceDependencies] = ['@libp2p/identify']

  private readonly log: Logger
  private readonly rpc: RpcServer
  private readonly calls: RpcClient
  private readonly replay = new ReplayGuard()
  /** logs this node follows (it worked or submitted there) */
  readonly tracked = new Set<string>()
  private readonly checkpoints: GossipTopic
  /** aborted by stop: a checkpoint still waiting out its jitter is dropped, its timer cleared */
  private abort = new AbortController()

  constructor (private readonly components: LedgerServiceComponents, private readonly init: LedgerServiceInit) {
    this.log = components.logger.forComponent('edgecoder:ledger')
    this.rpc = new RpcServer(components, 'ledger')
    this.calls = new RpcClient(components.connectionManager, { signer: init.signer })
    this.checkpoints = gossipTopic(components.pubsub, {
      topic: checkpointsTopic(init.meshId),
      validate: checkpointValidator(init.meshId, init.isDenied, init.isGranted, () => this.rpc.guard, init.mayCharge),
      onMessage: msg => { void this.handleCheckpointMessage(msg) }
    })
  }

  async start (): Promise<void> {
    this.abort = new AbortController()
    await this.rpc.register({ protocol: Protocols.ledger, handle: async (req, ctx) => await this.handleRequest(req, ctx.remotePeer) })
    await this.rpc.register({ protocol: Protocols.ledgerSync, stream: (req, ctx) => this.serveSync(req, ctx.remotePeer, ctx.signal) })
  }

  afterStart (): void {
    this.checkpoints.join()
  }

  async stop (): Promise<void> {
    this.abort.abort()
    this.checkpoints.leave()
    await this.rpc.unregisterAll()
  }

  /** Publishes a checkpoint of our own log. */
  async publish (note: string): Promise<void> {
    try {
      await this.checkpoints.publish(CheckpointAnnouncement.encode({ note }))
    } catch (err) {
      this.log('publishing checkpoint failed: %s', (err as Error).message)
    }
  }

  private granted (log: string): boolean { return this.init.isGranted?.(log) ?? true }

  track (log: string): void {
    if (log === this.components.peerId.toString() || this.tracked.has(log)) return
    // a stranger's self-made log is not the mesh's ledger: it is neither followed nor stored
    if (!this.granted(log)) { this.log('not following the log of %s: not a granted coordinator', log); return }
    this.tracked.add(log)
  }

  /**
   * Checks a checkpoint that reached the user some other way: the log is named by its origin. A
   * replica processes it exactly as one from gossip (signature, consistency, fork evidence); the
   * coordinator checks it against its own log. A bad signature throws (it proves nothing).
   */
  async checkOutsideCheckpoint (note: string, signal: AbortSignal): Promise<OutsideCheckpointResult> {
    const origin = note.slice(0, note.indexOf('\n'))
    const prefix = logOrigin(this.init.meshId, '')
    if (!origin.startsWith(prefix)) throw new UnknownLogError(`checkpoint origin "${origin.slice(0, 120)}" is not a log of mesh ${this.init.meshId}`)
    const log = origin.slice(prefix.length)
    let pk
    try { pk = peerIdFromString(log).publicKey } catch {}
    if (pk == null) throw new UnknownLogError(`checkpoint origin "${origin.slice(0, 120)}" does not name a coordinator peer id`)
    const own = this.init.own
    if (own != null && log === this.components.peerId.toString()) {
      const cp = parseCheckpoint(openNote(note, [noteVerifierKey(origin, pk.raw)]).text)
      if (cp.size > own.size) return { log, size: cp.size, verified: false, evidence: [{ kind: 'unknown-size', detail: `signed with our key for size ${cp.size}, but our log has ${own.size} entries: the key may be compromised` }] }
      const ours = await own.root(cp.size)
      const same = Buffer.compare(Buffer.from(ours), Buffer.from(cp.rootHash)) === 0
      return { log, size: cp.size, verified: same, evidence: same ? [] : [{ kind: 'fork', detail: `signed with our key, but our root at size ${cp.size} differs: the key may be compromised` }] }
    }
    const replica = this.init.replica
    if (replica == null) throw new UnknownLogError(`this node keeps no replica of log ${log}`)
    if (!this.granted(log)) throw new NotGrantedCoordinatorError(`log ${log} is not a granted coordinator's: its checkpoints are not the mesh's ledger`)
    this.track(log)
    const out = await replica.onCheckpoint(log, note, signal)
    for (const e of out.evidence) this.init.onAlert?.(`${e.kind} in log ${e.log}: ${e.detail}`)
    return { log, size: out.size, verified: out.verified, evidence: out.evidence.map(e => ({ kind: e.kind, detail: e.detail })) }
  }

  private async handleCheckpointMessage (msg: GossipMessage): Promise<void> {
    if (msg.type !== 'signed') return
    const log = msg.from.toString()
    const replica = this.init.replica
    if (replica == null || !(this.tracked.has(log) || replica.has(log)) || !this.granted(log)) return
    try {
      const note = CheckpointAnnouncement.decode(msg.data).note
      const jitter = Math.floor(Math.random() * (this.init.checkpointJitterMs ?? 300))
      if (jitter > 0) await sleep(jitter, undefined, { signal: this.abort.signal, ref: false })
      const out = await replica.onCheckpoint(log, note)
      for (const e of out.evidence) this.init.onAlert?.(`${e.kind} in log ${e.log}: ${e.detail}`)
    } catch (err) {
      this.log('checkpoint of %s not applied: %s', log, (err as Error).message)
    }
  }

  private async handleRequest (req: SignedEnvelope, remote: PeerId): Promise<Uint8Array> {
    const v = await verifyEnvelope(req, { domain: Domains.ledgerRequest, meshId: this.init.meshId, expectedSigner: remote, replay: this.replay })
    let q: LedgerRequest
    try { q = LedgerRequest.decode(v.payload.body) } catch (err) { throw new MalformedMessageError(`ledger request: ${(err as Error).message}`) }
    const own = this.init.own != null && q.log === this.components.peerId.toString() ? this.init.own : undefined
    const replica = own == null && this.init.replica?.has(q.log) === true ? this.init.replica.state(q.log) : undefined
    if (own == null && replica == null) throw new UnknownLogError(`this node holds no log ${q.log}`)
    if (own != null) await own.latestCheckpoint()
    // answer only about what a signed checkpoint covers
    const verifiedSize = own != null ? own.checkpointSize : (replica as { verifiedSize: number }).verifiedSize
    const merkle = own ?? replica?.merkle
    if (merkle == null) throw new UnknownLogError(`this node holds no log ${q.log}`)
    const size = (n: bigint, what: string): number => {
      const x = Number(n)
      if (!Number.isSafeInteger(x) || x < 0 || x > verifiedSize) throw new InvalidArgumentError(`${what} ${n.toString()} is beyond the ${verifiedSize} entries held`)
      return x
    }
    switch (q.op) {
      case LedgerRequest.Op.CHECKPOINT: {
        const note = own != null ? await own.latestCheckpoint() : (replica as { note: string }).note
        // the signer's own account only: holds say what someone is running
        const account = remote.toString()
        const held = q.wallet && own != null ? own.holds(account) : undefined
        const wallet = held != null && own != null ? { account, balance: own.book.balance(account), held: held.credits, heldJobs: held.jobs, size: BigInt(own.size) } : undefined
        return LedgerResponse.encode({ note, hashes: [], treeSize: BigInt(verifiedSize), wallet })
      }
      case LedgerRequest.Op.INCLUSION: {
        const treeSize = size(q.treeSize, 'tree size')
        const index = size(q.index, 'index')
        if (index >= treeSize) throw new InvalidArgumentError(`index ${index} is not below tree size ${treeSize}`)
        return LedgerResponse.encode({ note: '', hashes: (await merkle.inclusionProof(index, treeSize)).map(ownBytes), treeSize: BigInt(treeSize) })
      }
      case LedgerRequest.Op.CONSISTENCY: {
        const to = size(q.treeSize, 'tree size')
        const from = size(q.fromSize, 'from size')
        if (from > to) throw new InvalidArgumentError(`from ${from} is above ${to}`)
        return LedgerResponse.encode({ note: '', hashes: (await merkle.consistencyProof(from, to)).map(ownBytes), treeSize: BigInt(to) })
      }
      case LedgerRequest.Op.EVIDENCE: {
        const rec = own != null ? await this.init.jobs?.get(q.jobId) : undefined
        if (rec?.result == null) throw new UnknownLogError(`no settled job ${q.jobId} here`)
        const assignment = rec.result.assignment != null ? loadEnvelope(rec.result.assignment) : undefined
        return LedgerResponse.encode({ note: '', hashes: [], treeSize: 0n, result: loadEnvelope(rec.result.envelope), assignment })
      }
      default:
        throw new InvalidArgumentError('unknown ledger request')
    }
  }

  private async * serveSync (req: SignedEnvelope, remote: PeerId, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    const v = await verifyEnvelope(req, { domain: Domains.ledgerSync, meshId: this.init.meshId, expectedSigner: remote, replay: this.replay })
    let q: SyncRequest
    try { q = SyncRequest.decode(v.payload.body) } catch (err) { throw new MalformedMessageError(`sync request: ${(err as Error).message}`) }
    const own = this.init.own != null && q.log === this.components.peerId.toString() ? this.init.own : undefined
    const replica = own == null && this.init.replica?.has(q.log) === true ? this.init.replica.state(q.log) : undefined
    if (own == null && replica == null) throw new UnknownLogError(`this node holds no log ${q.log}`)
    // serve only what a signed checkpoint covers, so the reader can verify the range
    const note = own != null ? await own.latestCheckpoint() : (replica as { note: string }).note
    const limit = own != null ? own.checkpointSize : (replica as { verifiedSize: number }).verifiedSize
    const from = Number(q.from)
    const to = q.to === 0n ? limit : Math.min(Number(q.to), limit)
    if (!Number.isSafeInteger(from) || from < 0) throw new InvalidArgumentError('bad from')
    const held = own ?? replica?.merkle
    if (held == null) throw new UnknownLogError(`this node holds no log ${q.log}`)
    // entries go out in frames of up to FRAME_BYTES: per-frame costs dominate otherwise. They are
    // read in runs (one LevelDB read each), so there is no await per entry on this side either.
    let frame: Uint8Array<ArrayBuffer>[] = []
    let first = from
    let bytes = 0
    for await (const run of held.entryBatches(from, Math.max(from, to), { signal })) {
      for (let i = 0; i < run.entries.length; i++) {
        const entry = run.entries[i]
        if (frame.length === 0) first = run.index + i
        frame.push(ownBytes(entry))
        bytes += entry.byteLength
        if (bytes >= FRAME_BYTES || frame.length >= FRAME_ENTRIES) {
          yield SyncFrame.encode({ index: BigInt(first), entries: frame, done: false, note: '' })
          frame = []
          bytes = 0
        }
      }
    }
    if (frame.length > 0) yield SyncFrame.encode({ index: BigInt(first), entries: frame, done: false, note: '' })
    yield SyncFrame.encode({ index: BigInt(to), entries: [], done: true, note })
  }

  private async request (peer: PeerId, q: Partial<LedgerRequest>, signal: AbortSignal): Promise<LedgerResponse> {
    const request: LedgerRequest = { op: LedgerRequest.Op.CHECKPOINT, log: '', index: 0n, treeSize: 0n, fromSize: 0n, jobId: '', wallet: false, ...q }
    return await this.calls.call(ProtocolTable.ledger, peer, request, { signal })
  }

  /**
   * This node's account as coordinator `log` has it (unverified figures; undefined from a
   * coordinator that predates wallets).
   */
  async walletAt (log: string, signal: AbortSignal): Promise<Wallet | undefined> {
    return (await this.request(peerIdFromString(log), { op: LedgerRequest.Op.CHECKPOINT, log, wallet: true }, signal)).wallet
  }

  /** The newest checkpoint of `log` that `peer` holds (its own, or its replica's verified one). */
  async checkpointFrom (peer: PeerId, log: string, signal: AbortSignal): Promise<string> {
    return (await this.request(peer, { op: LedgerRequest.Op.CHECKPOINT, log }, signal)).note
  }

  /** Entries [from, to) of `log` from one peer (a restored coordinator catching up on its own log). */
  entriesFrom (peer: PeerId, log: string, from: number, to: number, signal: AbortSignal): AsyncIterable<{ index: number, entries: Uint8Array[] }> {
    return this.syncFrom(peer, log, from, to, signal)
  }

  // ---- LedgerFetcher: the replica's view of the network ----

  async latestCheckpoint (log: string, signal: AbortSignal): Promise<string> {
    return (await this.request(peerIdFromString(log), { op: LedgerRequest.Op.CHECKPOINT, log }, signal)).note
  }

  /**
   * Entries [from, to) of a log, in runs of consecutive entries (one sync frame each): from its
   * coordinator, or, when it does not answer, from any connected peer that serves the sync
   * protocol. Resumes where the last source stopped. A run that does not start where the previous
   * one ended, or reaches past `to`, is refused (MalformedMessageError) and the next source tried.
   */
  async * sync (log: string, from: number, to: number, signal: AbortSignal): AsyncGenerator<{ index: number, entries: Uint8Array[], from: string }> {
    let next = from
    const sources = [peerIdFromString(log), ...this.components.connectionManager.getConnections().map(c => c.remotePeer).filter(p => p.toString() !== log)]
    let lastErr: Error | undefined
    for (const peer of sources) {
      if (next >= to) return
      try {
        for await (const run of this.syncFrom(peer, log, next, to, signal)) {
          if (run.index !== next) throw new MalformedMessageError(`peer sent entry ${run.index}, expected ${next}`)
          if (run.entries.length > to - next) throw new MalformedMessageError(`peer sent entries ${next}..${next + run.entries.length}, past the ${to} asked for`)
          next += run.entries.length
          yield { ...run, from: peer.toString() }
        }
        if (next >= to) return
      } catch (err) {
        lastErr = err as Error
        if (signal.aborted) throw err
      }
    }
    if (next < to) throw lastErr ?? new UnknownLogError(`no peer could serve entries ${next}..${to} of ${log}`)
  }

  private async * syncFrom (peer: PeerId, log: string, from: number, to: number, signal: AbortSignal): AsyncGenerator<{ index: number, entries: Uint8Array[] }> {
    let next = from
    while (next < to) {
      const end = Math.min(to, next + SYNC_REQUEST_ENTRIES)
      let got = 0
      let done = false
      for await (const f of this.calls.stream(ProtocolTable.ledgerSync, peer, { log, from: BigInt(next), to: BigInt(end) }, { signal })) {
        if (done) throw new MalformedMessageError('sync frame after the last one')
        // after the last frame, read on to the end of the stream so that it closes cleanly
        if (f.done) { done = true; continue }
        if (f.entries.length === 0) continue
        yield { index: Number(f.index), entries: f.entries }
        next = Number(f.index) + f.entries.length
        got += f.entries.length
      }
      if (got === 0) break
    }
  }
}

/** The ledger service of a node (js-libp2p service factory). */
export function ledgerService (init: LedgerServiceInit): (components: LedgerServiceComponents) => LedgerService {
  return (components) => new DefaultLedgerService(components, init)
}

/** Gossip validator: a well-formed checkpoint note for this mesh, signed by the publishing coordinator. */
export function checkpointValidator (meshId: string, isDenied?: (peer: string) => boolean, isGranted?: (peer: string) => boolean, guard?: () => PeerGuard, mayCharge?: (peer: string) => boolean) {
  return (peer: PeerId, msg: GossipMessage): TopicValidatorResult => {
    if (msg.type !== 'signed') return TopicValidatorResult.Reject
    if (isDenied?.(msg.from.toString()) === true) return TopicValidatorResult.Ignore
    // a checkpoint of an ungranted log is noise, not evidence: Ignore (relays may not know of the
    // grant yet), and charge an ungranted author that handed it to us itself
    if (isGranted != null && !isGranted(msg.from.toString())) {
      if (peer.equals(msg.from) && (mayCharge?.(peer.toString()) ?? true)) guard?.().reject(peer, msg.topic, 'NotGrantedCoordinatorError')
      return TopicValidatorResult.Ignore
    }
    try {
      const note = CheckpointAnnouncement.decode(msg.data).note
      const pk = msg.from.publicKey
      if (pk == null) return TopicValidatorResult.Reject
      const origin = logOrigin(meshId, msg.from.toString())
      const cp = parseCheckpoint(openNote(note, [noteVerifierKey(origin, pk.raw)]).text)
      return cp.origin === origin ? TopicValidatorResult.Accept : TopicValidatorResult.Reject
    } catch {
      return TopicValidatorResult.Reject
    }
  }
}
