// The base of every error the runtime throws. Callers match on `name` (or `code`, the same string),
// never on message text; `name` is set by each class, so it survives bundling and crosses the RPC
// boundary, where the caller rebuilds the same class from it (errorFromName).
export abstract class EdgecoderError extends Error {
  constructor (message?: string, options?: ErrorOptions) {
    super(message ?? new.target.name, options)
  }

  /** a stable machine-readable code, equal to the class name */
  get code (): string { return this.name }
}
