// Admission and authority failures, one class each (registered, so they cross the RPC boundary).
import { defineError } from '../errors/index.js'

/** the peer is not an active node of this coordinator (not enrolled, pending, rejected, blacklisted) */
export const NotAdmittedError = defineError('NotAdmittedError')
/** a registration token that is unknown, expired, revoked or used up */
export const InvalidTokenError = defineError('InvalidTokenError')
/** an admin action signed by a key this node does not hold as an admin key */
export const UnauthorizedAdminError = defineError('UnauthorizedAdminError')
/** an admin action already applied (same signed payload) */
export const DuplicateActionError = defineError('DuplicateActionError')
/** the audit log's hash chain or a signature in it does not verify */
export const AuditChainError = defineError('AuditChainError')
/** the peer holds no current coordinator grant from the mesh's admin keys (never granted, removed or expired) */
export const NotGrantedCoordinatorError = defineError('NotGrantedCoordinatorError')
