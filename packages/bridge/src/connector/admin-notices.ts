/**
 * Telling the bridge's admins about something only they can fix (a missing
 * permission, a revoked token, a channel that is gone) once per cause: the
 * same refusal comes back with every message, and a notice each time would
 * bury the admins. The log still gets every occurrence's first line, so how
 * often it happens stays visible.
 */

import { describeFailure } from "../delivery/delivery-errors.ts";
import type { LogFields, Logger } from "../ops/logger-types.ts";
import { addBounded } from "./bounded-map.ts";

export interface AdminNoticesOptions {
  /** Sends a notice (a connector passes its host's `notifyAdmins`). */
  readonly notify: (text: string) => Promise<void>;
  readonly logger: Logger;
  /**
   * Causes remembered at most (default 1,000): past it the oldest is
   * forgotten, and its notice may come once more. Causes are a few per
   * linked channel, so this bounds memory without losing any in practice.
   */
  readonly maxCauses?: number;
}

export const DEFAULT_MAX_NOTICE_CAUSES = 1000;

export class AdminNotices {
  private readonly o: AdminNoticesOptions;
  private readonly max: number;
  /** Causes told, oldest first (a Set keeps insertion order): at most `max`, the oldest forgotten (told again if it comes back). */
  private readonly told = new Set<string>();

  constructor(o: AdminNoticesOptions) {
    this.o = o;
    this.max = Math.max(1, o.maxCauses ?? DEFAULT_MAX_NOTICE_CAUSES);
  }

  /** Causes remembered now (for /metrics and tests). */
  get size(): number {
    return this.told.size;
  }

  /**
   * Logs the first line of `text` (with `fields`, for the log only), and
   * tells the admins `text` if `cause` was not told yet. Never rejects: a
   * notice that cannot be sent is logged.
   */
  async notice(cause: string, text: string, fields: LogFields = {}): Promise<void> {
    const first = !this.told.has(cause);
    this.o.logger.warn(text.split("\n", 1)[0] ?? text, { ...fields, cause, ...(!first && { toldBefore: true }) });
    if (!first) return;
    addBounded(this.told, cause, this.max);
    try {
      await this.o.notify(text);
    } catch (e) {
      this.o.logger.warn("an admin notice could not be sent", { cause, error: describeFailure(e) });
    }
  }
}
