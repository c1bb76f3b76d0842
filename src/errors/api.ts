// The control API's own: a request it does not authenticate or route.
import { EdgecoderError } from './base.js'

/** a control API request without the bearer credential of api.json */
export class UnauthorizedError extends EdgecoderError { override name = 'UnauthorizedError' }
/** no route for this method and path */
export class NotFoundError extends EdgecoderError { override name = 'NotFoundError' }
