// Samples for test/wire-compat.spec.ts, keyed by the message's full proto name ('Outer.Inner' for a
// nested message). Each builds a fully populated instance with the CURRENT codec's types: every
// field set to a non-default value (repeated and map fields non-empty, enums not their 0 value),
// nested messages too; the spec checks that against the .proto and fails naming any field left out.
// The spec encodes each sample with src/wire/pb and decodes it with every released fixture codec.
//
// When you change a message (a new field: the only change allowed), the spec fails with
// "add a sample for <Message>": add an entry here that sets the new field as well as the old ones.
// Values are wire coverage, not a realistic message (LedgerEntry carries every optional part at once).
import type { EnrollRequest } from '../../src/wire/pb/admission.js'
import type { SignedEnvelope } from '../../src/wire/pb/envelope.js'
import type { JobAnnouncement, ResourceNeeds } from '../../src/wire/pb/jobs.js'
import { LedgerEntry, LedgerRequest, type LedgerResponse, type Mint, type PolicyValues, type Posting, type Settlement } from '../../src/wire/pb/ledger.js'

const bytes = (n: number, seed: number): Uint8Array<ArrayBuffer> => Uint8Array.from({ length: n }, (_, i) => (seed + i * 7) & 0xff)
// above 2^53 and near the top of the range, so a codec that narrowed to number would show it
const BIG_U64 = 2n ** 64n - 3n

const resources = (): ResourceNeeds => ({ cpuMillis: 1500, memoryMb: 2048 })
const envelope = (seed: number): SignedEnvelope => ({ payload: bytes(40, seed), signature: bytes(64, seed + 1) })

const posting = (account: string, delta: bigint): Posting => ({ account, delta })
const settlement = (): Settlement => ({
  jobId: 'a'.repeat(64),
  owner: '12D3KooWOwner',
  worker: '12D3KooWWorker',
  attempt: 2,
  outcome: 'succeeded',
  price: 120n,
  fee: 3n,
  assignmentDigest: bytes(32, 9),
  resultDigest: bytes(32, 10),
  executor: 'wasm'
})
const mint = (): Mint => ({ reason: 'welcome-grant', windowStartMs: 1_700_000_000_000n, windowEndMs: 1_700_000_600_000n, approval: bytes(32, 11) })
const policy = (): PolicyValues => ({
  prices: ['noop=1', 'wasm=10'],
  feeBps: 250,
  demandStepBps: 50,
  demandCapBps: 5000,
  issuanceWindowMs: 600_000n,
  issuancePerWindow: 1000n,
  welcomeGrant: 100n,
  // the fee rounding rule (new since 0.1.0): 1 = carry
  feeRounding: 1
})

export const SAMPLES: Readonly<Record<string, () => object>> = {
  JobAnnouncement: (): JobAnnouncement => ({
    jobId: 'f'.repeat(64),
    executor: 'noop',
    resources: resources(),
    offeredPrice: BIG_U64,
    attempt: 3,
    round: 1,
    bidderFractionPpm: 250_000,
    queueDepth: 17
  }),
  EnrollRequest: (): EnrollRequest => ({
    token: 'ect_0123456789abcdef',
    label: 'lab-host-7 (ünïcode ✓)',
    executors: ['noop', 'wasm', 'process'],
    role: 'client'
  }),
  // a welcome grant names the approval it rests on (Mint.approval, new since 0.1.0)
  Mint: mint,
  PolicyValues: policy,
  // a user's wallet at the coordinator (LedgerRequest.wallet, LedgerResponse.wallet: new since 0.1.0)
  LedgerRequest: (): LedgerRequest => ({ op: LedgerRequest.Op.INCLUSION, log: '12D3KooWCoordinator', index: 7n, treeSize: BIG_U64, fromSize: 3n, jobId: 'b'.repeat(64), wallet: true }),
  LedgerResponse: (): LedgerResponse => ({
    note: 'edgecoder/m/12D3KooWCoordinator\n12\nroot\n\n— sig\n',
    hashes: [bytes(32, 12), bytes(32, 13)],
    treeSize: 12n,
    assignment: envelope(5),
    result: envelope(6),
    wallet: { account: '12D3KooWOwner', balance: -(2n ** 62n), held: BIG_U64, heldJobs: 4, size: 12n }
  }),
  LedgerEntry: (): LedgerEntry => ({
    kind: LedgerEntry.Kind.POLICY,
    timeMs: 1_700_000_123_456n,
    // not -2^63: protons-runtime 7.1.2 mis-encodes that value (see NEGATIVE_64_ENCODER_BUG in arbitrary.ts)
    postings: [posting('mint', -(2n ** 63n - 1n)), posting('12D3KooWWorker', 2n ** 63n - 1n)],
    settlement: settlement(),
    mint: mint(),
    adminAction: envelope(3),
    policy: policy(),
    memo: 'wire-compat sample'
  })
}
