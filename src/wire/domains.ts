// Protocol ids (`/prefix/method/version`, as Lodestar's req/resp) and signature domains.
// A domain names both the protocol and the message kind, so a signature made for one is refused by
// every other. Changing a message incompatibly means a new version here and in protocols/*.proto.

export const PROTOCOL_PREFIX = '/edgecoder'

export const Protocols = {
  /** many claim, lease and result exchanges on one stream (rpc.proto SessionFrame) */
  session: '/edgecoder/session/1.0.0',
  claim: '/edgecoder/claim/1.0.0',
  lease: '/edgecoder/lease/1.0.0',
  result: '/edgecoder/result/1.0.0',
  submit: '/edgecoder/submit/1.0.0',
  job: '/edgecoder/job/1.0.0',
  cancel: '/edgecoder/cancel/1.0.0',
  ledger: '/edgecoder/ledger/1.0.0',
  ledgerSync: '/edgecoder/ledger-sync/1.0.0',
  enroll: '/edgecoder/enroll/1.0.0',
  adminSync: '/edgecoder/admin-sync/1.0.0'
} as const

export const Domains = {
  jobSpec: '/edgecoder/job-spec/1.0.0',
  announce: '/edgecoder/announce/1.0.0',
  claim: '/edgecoder/claim/1.0.0',
  assignment: '/edgecoder/assignment/1.0.0',
  lease: '/edgecoder/lease/1.0.0',
  result: '/edgecoder/result/1.0.0',
  jobQuery: '/edgecoder/job-query/1.0.0',
  cancelNotice: '/edgecoder/cancel-notice/1.0.0',
  ledgerRequest: '/edgecoder/ledger-request/1.0.0',
  ledgerSync: '/edgecoder/ledger-sync/1.0.0',
  enroll: '/edgecoder/enroll/1.0.0',
  adminAction: '/edgecoder/admin-action/1.0.0',
  adminSync: '/edgecoder/admin-sync/1.0.0',
  /** coordinator grants and admin keys (admission.proto AuthorityAction) */
  authority: '/edgecoder/mesh-authority/1.0.0'
} as const

export function jobsTopic (meshId: string): string {
  return `/edgecoder/${meshId}/jobs/1.0.0`
}

export function checkpointsTopic (meshId: string): string {
  return `/edgecoder/${meshId}/checkpoints/1.0.0`
}

/** signed admin actions, so every coordinator applies the same state */
export function policyTopic (meshId: string): string {
  return `/edgecoder/${meshId}/policy/1.0.0`
}

/** signed authority actions (coordinator grants, admin keys): a topic of its own, see admission.proto */
export function authorityTopic (meshId: string): string {
  return `/edgecoder/${meshId}/authority/1.0.0`
}

export function dhtProtocol (meshId: string): string {
  return `/edgecoder/${meshId}/kad/1.0.0`
}

/** the DHT key under which coordinators of a mesh provide themselves */
export function coordinatorsKey (meshId: string): string {
  return `edgecoder:${meshId}:coordinators:v1`
}
