/** Typed events a node emits about jobs (the embedding API's `node.events`). */
export interface JobEvents extends Record<string, unknown> {
  'job:queued': { jobId: string, coordinator: string, executor: string }
  'job:announced': { jobId: string, coordinator: string, round: number }
  'job:assigned': { jobId: string, worker: string, attempt: number }
  'job:started': { jobId: string, worker: string, attempt: number }
  'job:completed': { jobId: string, coordinator: string, exitCode: number }
  'job:failed': { jobId: string, coordinator: string, reason: string }
  'job:cancelled': { jobId: string, coordinator: string }
  'job:requeued': { jobId: string, coordinator: string, attempt: number, reason: string }
  'lease:expired': { jobId: string, attempt: number }
  /** a replica found a coordinator's log lying: stored as evidence */
  'ledger:alert': { log: string, kind: string, detail: string, evidenceId: string }
  'ledger:checkpoint': { log: string, size: number }
  /** a restored coordinator's ledger: appends held, caught up, resumed (src/ledger/restore-guard.ts) */
  'ledger:restore': { level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> }
  /** worker side */
  'work:heard': { jobId: string, coordinator: string }
  'work:assigned': { jobId: string, coordinator: string, attempt: number, executor: string }
  'work:finished': { jobId: string, coordinator: string, attempt: number, exitCode: number, error?: string, wallMs: number }
  /**
   * the coordinator accepted our signed result; when `payable` (the program ran and exited, whatever
   * its status) it is a receipt to find settled in its log — an executor error is accepted but unpaid
   */
  'work:acked': { jobId: string, coordinator: string, attempt: number, resultDigest: string, assignmentDigest: string, payable: boolean }
  'work:rejected': { coordinator: string, reason: string, error: string }
  /** the coordinator refused our result (a stale attempt after a lease expired, ...): it is not paid */
  'work:refused': { jobId: string, coordinator: string, attempt: number, error: string, reason: string }
  'work:aborted': { jobId: string, attempt: number, reason: string }
  /** admission: our enrollment status at a coordinator changed (workers) */
  'admission:status': { coordinator: string, status: 'active' | 'pending' | 'rejected', reason: string }
  /** an admin action was applied here (its effect, not a superseded one) */
  'admin:applied': { kind: string, target: string }
  /** the mesh's grants or admin keys changed, or a grant lapsed: the coordinators this node now accepts */
  'authority:changed': { coordinators: string[], adminKeys: string[] }
}
