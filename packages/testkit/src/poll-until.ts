/**
 * Polling for state nothing announces (a store's rows, a fake's lists):
 * `check` is called every `intervalMs` until it returns something other
 * than undefined or false, which is returned.
 */
import assert from "node:assert/strict";

/** Polls `check` until it returns something; after `timeoutMs` fails with "timed out waiting for `what`". */
export async function pollUntil<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  o: { timeoutMs: number; intervalMs: number },
): Promise<T> {
  const end = Date.now() + o.timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, o.intervalMs));
  }
}
