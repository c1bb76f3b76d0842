// Admission and mesh authority: enrollment, tokens, admin actions, grants, the audit log.
import { EdgecoderError } from './base.js'

/** the peer is not an active node of this coordinator (not enrolled, pending, rejected, blacklisted) */
export class NotAdmittedError extends EdgecoderError { override name = 'NotAdmittedError' }
/** a registration token that is unknown, expired, revoked or used up */
export class InvalidTokenError extends EdgecoderError { override name = 'InvalidTokenError' }
/** an admin action signed by a key this node does not hold as an admin key */
export class UnauthorizedAdminError extends EdgecoderError { override name = 'UnauthorizedAdminError' }
/** an admin action already applied (same signed payload) */
export class DuplicateActionError extends EdgecoderError { override name = 'DuplicateActionError' }
/** the audit log's hash chain or a signature in it does not verify */
export class AuditChainError extends EdgecoderError { override name = 'AuditChainError' }
/** the peer holds no current coordinator grant from the mesh's admin keys (never granted, removed or expired) */
export class NotGrantedCoordinatorError extends EdgecoderError { override name = 'NotGrantedCoordinatorError' }
/** `audit verify`: the audit log does not verify */
export class AuditVerificationError extends EdgecoderError { override name = 'AuditVerificationError' }
