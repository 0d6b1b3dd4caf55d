/**
 * Members' Do Not Disturb, read with dnd.teamInfo (scope dnd:read, up to 50
 * users a call, Tier 2): a member is dnd while a snooze is on or now is
 * inside their DND window. The bot cannot follow dnd_updated_user (Slack
 * sends it to user tokens only), so the state is read when a member is
 * seated and on every presence poll round; `nextFlip` tells when a known
 * snooze or window ends (or a window starts), for a timer.
 *
 * Without the scope (missing_scope, not_allowed_token_type), one debug line
 * and no more calls: presence is shown as before, without dnd.
 */
import type { Logger } from "@parley/bridge";
import type { webApi } from "@slack/bolt";

/** Users per dnd.teamInfo call (Slack's maximum). */
const BATCH = 50;

/** One member's DND in ms since the epoch: `until` the snooze's end, `from`..`to` the window. */
export interface DndState {
  readonly snoozeUntil?: number;
  readonly window?: { readonly from: number; readonly to: number };
}

interface TeamInfoEntry {
  readonly dnd_enabled?: boolean;
  readonly next_dnd_start_ts?: number;
  readonly next_dnd_end_ts?: number;
  readonly snooze_enabled?: boolean;
  readonly snooze_endtime?: number;
}

export function dndStateOf(e: TeamInfoEntry): DndState {
  const snooze = e.snooze_enabled === true && typeof e.snooze_endtime === "number";
  const window =
    e.dnd_enabled === true && typeof e.next_dnd_start_ts === "number" && typeof e.next_dnd_end_ts === "number";
  return {
    ...(snooze && { snoozeUntil: (e.snooze_endtime ?? 0) * 1000 }),
    ...(window && { window: { from: (e.next_dnd_start_ts ?? 0) * 1000, to: (e.next_dnd_end_ts ?? 0) * 1000 } }),
  };
}

/** Whether the member is in Do Not Disturb at `now`. */
export function inDnd(s: DndState | undefined, now: number): boolean {
  if (s === undefined) return false;
  if (s.snoozeUntil !== undefined && now < s.snoozeUntil) return true;
  return s.window !== undefined && s.window.from <= now && now < s.window.to;
}

/** The next time after `now` at which `inDnd` may change; undefined when none is known. */
export function nextFlip(s: DndState | undefined, now: number): number | undefined {
  if (s === undefined) return undefined;
  const times = [s.snoozeUntil, s.window?.from, s.window?.to].filter((t): t is number => t !== undefined && t > now);
  return times.length > 0 ? Math.min(...times) : undefined;
}

export class MemberDnd {
  private readonly client: webApi.WebClient;
  private readonly logger: Logger;
  private off = false;

  constructor(client: webApi.WebClient, logger: Logger) {
    this.client = client;
    this.logger = logger;
  }

  /** The DND state of `ids` (those Slack answered for); empty without the scope or when Slack fails. */
  async read(ids: readonly string[]): Promise<Map<string, DndState>> {
    const out = new Map<string, DndState>();
    for (let i = 0; i < ids.length && !this.off; i += BATCH) {
      try {
        const r = (await this.client.dnd.teamInfo({ users: ids.slice(i, i + BATCH).join(",") })) as {
          users?: Record<string, TeamInfoEntry>;
        };
        for (const [id, e] of Object.entries(r.users ?? {})) out.set(id, dndStateOf(e));
      } catch (e) {
        const code = (e as { data?: { error?: string } }).data?.error;
        if (code === "missing_scope" || code === "not_allowed_token_type") {
          this.off = true;
          this.logger.debug("members' Do Not Disturb is not shown: the Slack app lacks dnd:read", { error: code });
        } else this.logger.debug("members' Do Not Disturb could not be read", { error: String(e) });
      }
    }
    return out;
  }
}
