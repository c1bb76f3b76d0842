// Typed errors of the HTTP layer itself (matched by name, like every error in src/errors).
import { defineError } from '../errors/index.js'

/** a control API request without the bearer credential of api.json */
export const UnauthorizedError = defineError('UnauthorizedError')
/** no route for this method and path */
export const NotFoundError = defineError('NotFoundError')
