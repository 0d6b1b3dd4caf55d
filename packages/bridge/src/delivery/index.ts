/** The delivery queue: ordered per lane, retried, idempotent, dead-lettered, bounded. */
export * from "./backoff.ts";
export * from "./delivery-errors.ts";
export * from "./delivery-ledger.ts";
export * from "./delivery-queue.ts";
