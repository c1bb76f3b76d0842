// Jobs: specs, states, assignees, waiting for an outcome.
import { EdgecoderError } from './base.js'

export class JobNotFoundError extends EdgecoderError { override name = 'JobNotFoundError' }
export class InvalidJobSpecError extends EdgecoderError { override name = 'InvalidJobSpecError' }
export class InvalidStateError extends EdgecoderError { override name = 'InvalidStateError' }
export class NotAssigneeError extends EdgecoderError { override name = 'NotAssigneeError' }
export class StaleAttemptError extends EdgecoderError { override name = 'StaleAttemptError' }
export class NotSubmitterError extends EdgecoderError { override name = 'NotSubmitterError' }
export class AssignmentRejectedError extends EdgecoderError { override name = 'AssignmentRejectedError' }
/** `wait` gave up before the job ended; the job goes on (or was cancelled, if asked) */
export class WaitTimeoutError extends EdgecoderError { override name = 'WaitTimeoutError' }
