// Shared test fixtures: real libp2p nodes on loopback, real LevelDB in temp dirs.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from 'node:net'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { createNode, type CreateNodeOptions, type EdgecoderNode } from '../src/node/create-node.js'
import type { Executor } from '../src/executors/types.js'
import { signAuthorityAction } from '../src/admission/admin-actions.js'
import { DEFAULT_POLICY } from '../src/ledger/policy.js'

export const MESH = 'edgecoder-test'

export class Fixture {
  readonly nodes: EdgecoderNode[] = []
  private readonly dirs: string[] = []

  async dir (prefix = 'edgecoder-test-'): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), prefix))
    this.dirs.push(d)
    return d
  }

  /** Coordinators here admit any peer unless a test asks for tokens (test/admission.spec.ts does). */
  async node (opts: Partial<CreateNodeOptions> & { role: CreateNodeOptions['role'] }): Promise<EdgecoderNode> {
    const n = await createNode({ meshId: MESH, listen: ['/ip4/127.0.0.1/tcp/0'], dataDir: opts.dataDir ?? await this.dir(), admission: { mode: 'open' }, ...opts })
    this.nodes.push(n)
    return n
  }

  /** the admin key of each mesh a coordinator created here (its own identity key) */
  private readonly keys = new Map<string, PrivateKey>()

  /**
   * The policy is given explicitly (open admission would otherwise grant nothing): tests submit from
   * the coordinator's own account, which is admitted and approved by its own key.
   */
  async coordinator (opts: Partial<CreateNodeOptions> = {}): Promise<EdgecoderNode> {
    const privateKey = opts.privateKey ?? await generateKeyPair('Ed25519')
    const n = await this.node({ role: 'coordinator', leaseMs: 2_000, retryBackoffMs: 50, policy: DEFAULT_POLICY, ...opts, privateKey })
    this.keys.set(n.peerId.toString(), privateKey)
    return n
  }

  /** `admin` (a coordinator that created its mesh here) grants `peer` as a coordinator, as `admin coordinator add` does. */
  async grant (admin: EdgecoderNode, peer: EdgecoderNode | string): Promise<void> {
    const key = this.keys.get(admin.peerId.toString())
    if (key == null) throw new Error('grant: not a coordinator made by this fixture')
    const target = typeof peer === 'string' ? peer : peer.peerId.toString()
    await admin.admission.submitAction(await signAuthorityAction(key, MESH, { kind: 'coordinator-grant', target }))
    if (typeof peer !== 'string') await waitFor(() => peer.admission.state.authority.isGranted(target), 10_000, 'the grant to reach the coordinator')
  }

  /**
   * A client enrolled at `coordinator` with a fresh token (auto-approved unless `approve: false`),
   * returned once the coordinator holds it active on a signed approval: an application user is an
   * admitted account, and only such accounts submit (token mode) or are granted credits (any mode).
   */
  async client (coordinator: EdgecoderNode, opts: Partial<CreateNodeOptions> & { uses?: number } = {}): Promise<EdgecoderNode> {
    const { uses, ...rest } = opts
    const token = rest.token ?? (await coordinator.admission.state.tokens.create({ label: 'test client', autoApprove: true, maxUses: uses ?? 1 })).token
    const c = await this.node({ role: 'client', bootstrap: coordinator.bootstrapConfig(), token, ...rest })
    await waitFor(() => coordinator.admission.state.node(c.peerId.toString())?.decidedBy != null, 10_000, 'the client to be enrolled and approved')
    return c
  }

  async workers (n: number, coordinator: EdgecoderNode, opts: Partial<CreateNodeOptions> = {}): Promise<EdgecoderNode[]> {
    const out: EdgecoderNode[] = []
    for (let i = 0; i < n; i++) {
      out.push(await this.node({ role: 'worker', bootstrap: coordinator.bootstrapConfig(), ...opts }))
    }
    await waitFor(() => out.every(w => w.worker?.coordinators.has(coordinator.peerId.toString()) === true), 10_000, 'workers to find the coordinator')
    return out
  }

  async cleanup (): Promise<void> {
    await Promise.allSettled(this.nodes.splice(0).map(async n => { await n.stop() }))
    await Promise.allSettled(this.dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
  }
}

export async function waitFor (cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      const port = typeof a === 'object' && a != null ? a.port : 0
      s.close(() => resolve(port))
    })
  })
}

/**
 * For tests of one node against a hand-made peer: an admin key the node trusts and a grant of
 * `peer` applied to the node directly (the same checks as one arriving by gossip).
 */
export async function trustedAdmin (): Promise<{ key: PrivateKey, peerId: string, grantAt: (node: EdgecoderNode, peer: string) => Promise<void> }> {
  const key = await generateKeyPair('Ed25519')
  return {
    key,
    peerId: peerIdFromPrivateKey(key).toString(),
    grantAt: async (node, peer) => { await node.admission.state.applyAction(await signAuthorityAction(key, MESH, { kind: 'coordinator-grant', target: peer })) }
  }
}


/**
 * An executor under a name no other worker offers, echoing its input: a worker offering only this
 * one takes only jobs of its kind, the positive control of tests where another worker must take nothing.
 */
export function echoExecutor (name: string): Executor {
  return {
    name,
    async execute (req) { return { exitCode: 0, output: new Uint8Array(req.input), stderr: new Uint8Array(0), wallMs: 1, cpuMs: 0, maxRssKb: 0 } }
  }
}
