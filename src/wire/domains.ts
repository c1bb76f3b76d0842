// Protocol ids (`/prefix/method/version`, as Lodestar's req/resp) and signature domains.
// A domain names both the protocol and the message kind, so a signature made for one is refused by
// every other. Changing a message incompatibly means a new version here and in protocols/*.proto.
// Every string here is on the wire: test/protocol-table.spec.ts pins each one byte for byte.

export const PROTOCOL_PREFIX = '/edgecoder'

/** `/edgecoder/<name>/1.0.0`: the shape of every stream protocol id and signature domain */
function versioned<N extends string> (name: N): `${typeof PROTOCOL_PREFIX}/${N}/1.0.0` {
  return `${PROTOCOL_PREFIX}/${name}/1.0.0`
}

export const Protocols = {
  /** many claim, lease and result exchanges on one stream (rpc.proto SessionFrame) */
  session: versioned('session'),
  claim: versioned('claim'),
  lease: versioned('lease'),
  result: versioned('result'),
  submit: versioned('submit'),
  job: versioned('job'),
  cancel: versioned('cancel'),
  ledger: versioned('ledger'),
  ledgerSync: versioned('ledger-sync'),
  enroll: versioned('enroll'),
  adminSync: versioned('admin-sync'),
  /** operator notices between a coordinator and a worker (ops.proto) */
  ops: versioned('ops')
} as const

export const Domains = {
  jobSpec: versioned('job-spec'),
  announce: versioned('announce'),
  claim: versioned('claim'),
  assignment: versioned('assignment'),
  lease: versioned('lease'),
  result: versioned('result'),
  jobQuery: versioned('job-query'),
  cancelNotice: versioned('cancel-notice'),
  ledgerRequest: versioned('ledger-request'),
  ledgerSync: versioned('ledger-sync'),
  enroll: versioned('enroll'),
  adminAction: versioned('admin-action'),
  adminSync: versioned('admin-sync'),
  /** coordinator grants and admin keys (admission.proto AuthorityAction) */
  authority: versioned('mesh-authority'),
  /** DRAIN, UNDRAIN, DRAINED (ops.proto OpsNotice) */
  opsNotice: versioned('ops-notice')
} as const

/** a mesh's own name space: `/edgecoder/<mesh>/<name>/1.0.0` (gossip topics, the DHT) */
function meshScoped (meshId: string, name: string): string {
  return `${PROTOCOL_PREFIX}/${meshId}/${name}/1.0.0`
}

export function jobsTopic (meshId: string): string {
  return meshScoped(meshId, 'jobs')
}

export function checkpointsTopic (meshId: string): string {
  return meshScoped(meshId, 'checkpoints')
}

/** signed admin actions, so every coordinator applies the same state */
export function policyTopic (meshId: string): string {
  return meshScoped(meshId, 'policy')
}

/** signed authority actions (coordinator grants, admin keys): a topic of its own, see admission.proto */
export function authorityTopic (meshId: string): string {
  return meshScoped(meshId, 'authority')
}

export function dhtProtocol (meshId: string): string {
  return meshScoped(meshId, 'kad')
}

/** the DHT key under which coordinators of a mesh provide themselves */
export function coordinatorsKey (meshId: string): string {
  return `edgecoder:${meshId}:coordinators:v1`
}
