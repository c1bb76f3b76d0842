// What an admin action does to its target (node status, blacklist entry, policy key), last writer wins.
import { AdminAction } from '../wire/pb/admission.js'
import type { BlacklistEntry, NodeRecord, NodeStatus, PolicyEntry } from './admission-records.js'

/** the current state of every target, as the admission state holds it */
export interface ActionTargets {
  nodes: ReadonlyMap<string, NodeRecord>
  blacklist: ReadonlyMap<string, BlacklistEntry>
  policy: ReadonlyMap<string, PolicyEntry>
}

/** a target's new state and the table it is stored in ('none': only audited) */
export interface NextState { table: 'nodes' | 'blacklist' | 'policy' | 'none', key: string, value: NodeRecord | BlacklistEntry | PolicyEntry }

/** Last-writer-wins order: later issue time first, then the larger action id, so ties resolve the same everywhere. */
function supersedes (issuedAt: number, id: string, prevIssuedAt: number, prevId: string | undefined): boolean {
  return issuedAt > prevIssuedAt || (issuedAt === prevIssuedAt && id > (prevId ?? ''))
}

/** The target's new state, or undefined when a later action on it was already applied. */
export function nextState (current: ActionTargets, a: AdminAction, issuedAt: number, id: string, signer: string, now: number): NextState | undefined {
  switch (a.kind) {
    case AdminAction.Kind.APPROVE:
    case AdminAction.Kind.REJECT: {
      const n = current.nodes.get(a.target)
      if (n != null && !supersedes(issuedAt, id, n.decidedAt, n.decidedBy)) return undefined
      const status: NodeStatus = a.kind === AdminAction.Kind.APPROVE ? 'active' : 'rejected'
      // an approval may come before the node enrolled here (it enrolled at another coordinator)
      const base = n ?? { peerId: a.target, label: '', executors: [], tokenId: '', enrolledAt: now }
      return { table: 'nodes', key: a.target, value: { ...base, status, reason: a.reason !== '' ? a.reason : `${status === 'active' ? 'approved' : 'rejected'} by ${signer}`, updatedAt: now, decidedAt: issuedAt, decidedBy: id } }
    }
    case AdminAction.Kind.BLACKLIST_ADD:
    case AdminAction.Kind.BLACKLIST_REMOVE: {
      const b = current.blacklist.get(a.target)
      if (b != null && !supersedes(issuedAt, id, b.issuedAt, b.actionId)) return undefined
      return { table: 'blacklist', key: a.target, value: { peerId: a.target, listed: a.kind === AdminAction.Kind.BLACKLIST_ADD, reason: a.reason, until: Number(a.untilMs), by: signer, issuedAt, actionId: id } }
    }
    case AdminAction.Kind.OPERATOR:
      // operator state is kept by src/ops (in order of arrival); here it is only audited
      return { table: 'none', key: a.target, value: { value: a.value, issuedAt, id } }
    case AdminAction.Kind.POLICY_SET: {
      const p = current.policy.get(a.target)
      if (p != null && !supersedes(issuedAt, id, p.issuedAt, p.id)) return undefined
      return { table: 'policy', key: a.target, value: { value: JSON.parse(a.value) as unknown, issuedAt, id } }
    }
  }
  return undefined
}
