// The package's one error class. Every rejection and throw of polyjob is a `PolyjobError`
// (built by error.rs through `makeError`), so `err instanceof PolyjobError` works; the package
// entries export this very class (scripts/build.sh re-exports it from the bundled glue, so there
// is one class per package instance, not one per entry).

/** An error from polyjob: `.code` says what kind, the message what to fix. */
export class PolyjobError extends Error {
  /**
   * `fields`: `{ code, status, provider, retryable, attempts, retryAfterMs?, job?, cause? }`; the
   * defaults are those of an error made before anything was sent (`CONFIG`).
   */
  constructor(message, fields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.code = fields.code ?? "CONFIG";
    this.status = fields.status ?? null;
    this.provider = fields.provider ?? null;
    this.retryable = fields.retryable ?? false;
    this.attempts = fields.attempts ?? 0;
    if (fields.retryAfterMs !== undefined) this.retryAfterMs = fields.retryAfterMs;
    if (fields.job !== undefined) this.job = fields.job;
  }
}
Object.defineProperty(PolyjobError.prototype, "name", { value: "PolyjobError", writable: true, configurable: true });

/** A PolyjobError from its fields, in one call from wasm (error.rs); `undefined` for an absent one. */
export function makeError(message, code, status, provider, retryable, attempts, retryAfterMs, job, cause) {
  return new PolyjobError(message, { code, status, provider, retryable, attempts, retryAfterMs, job, cause });
}
