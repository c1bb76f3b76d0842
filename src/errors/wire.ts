// Wire and signatures: a message that does not decode, is too large, or is not signed as its domain requires.
import { EdgecoderError } from './base.js'

export class MalformedMessageError extends EdgecoderError { override name = 'MalformedMessageError' }
export class MessageTooLargeError extends EdgecoderError { override name = 'MessageTooLargeError' }
export class InvalidSignatureError extends EdgecoderError { override name = 'InvalidSignatureError' }
export class WrongDomainError extends EdgecoderError { override name = 'WrongDomainError' }
export class WrongMeshError extends EdgecoderError { override name = 'WrongMeshError' }
export class MessageExpiredError extends EdgecoderError { override name = 'MessageExpiredError' }
export class ReplayedMessageError extends EdgecoderError { override name = 'ReplayedMessageError' }
export class UnexpectedSignerError extends EdgecoderError { override name = 'UnexpectedSignerError' }
