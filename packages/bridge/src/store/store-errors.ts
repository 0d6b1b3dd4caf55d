/** The typed errors the store throws; each message says what to change. */

/** The store URL cannot be used; the message names the problem and the accepted forms, never a password. */
export class StoreConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreConfigError";
  }
}

/** A call on a store after `close()`: a shutdown-ordering bug in the caller. */
export class StoreClosedError extends Error {
  constructor(kind: string) {
    super(`the ${kind} store is closed; it cannot be used after close()`);
    this.name = "StoreClosedError";
  }
}

/** A value the store refuses to keep, because a backend could not give it back unchanged. */
export class StoreValueError extends Error {
  readonly field: string;
  constructor(field: string, problem: string) {
    super(`store: ${field} ${problem}`);
    this.name = "StoreValueError";
    this.field = field;
  }
}

/** The database's schema is newer than this bridge knows: a newer bridge migrated it. */
export class StoreSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreSchemaError";
  }
}

/** The database server could not be reached or refused us at open; the message names it, without a password. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreUnavailableError";
  }
}
