// The one map from a typed error to the HTTP status the API answers it with, and the body every
// error response carries: {"error": {"name", "message"}}. Handlers throw; only the server's error
// responder (src/api/control-server.ts) uses these. Domain errors know nothing of HTTP: their
// status is decided here, by name.

const STATUS_BY_NAME: ReadonlyMap<string, number> = new Map(Object.entries({
  // the request is malformed or asks for something this node cannot do
  InvalidArgumentError: 400,
  InvalidJobSpecError: 400,
  InvalidStateError: 400,
  NotSubmitterError: 400,
  InsufficientCreditsError: 400,
  PriceTooLowError: 400,
  UnknownLogError: 400,
  InvalidTokenError: 400,
  DuplicateActionError: 400,
  MessageExpiredError: 400,
  InvalidSignatureError: 400,
  WrongMeshError: 400,
  WrongDomainError: 400,
  NotCoordinatorError: 400,
  UnauthorizedError: 401,
  // the caller is known but not allowed: a signer without admin authority, a node not admitted,
  // a coordinator without a grant
  UnauthorizedAdminError: 403,
  NotAdmittedError: 403,
  NotGrantedCoordinatorError: 403,
  NotFoundError: 404,
  JobNotFoundError: 404,
  UnknownNodeError: 404,
  // the mesh, not the request: another attempt may succeed
  NoCoordinatorError: 503,
  RpcTimeoutError: 503
}))

/** The HTTP status for an error thrown while serving a request; 500 for any error not named here. */
export function statusOf (err: Error): number {
  return STATUS_BY_NAME.get(err.name) ?? 500
}

export interface ErrorBody {
  error: { name: string, message: string }
}

export function errorBody (err: Error): ErrorBody {
  return { error: { name: err.name, message: err.message } }
}
