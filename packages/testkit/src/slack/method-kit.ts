/**
 * What the method handlers share: channel lookups that fail as Slack does
 * (a private channel the bot is not in does not exist for it), the scope a
 * call on a channel needs by the channel's type, and cursor pagination.
 */

import { SlackApiError } from "./slack-errors.ts";
import type { Args, SlackWorld } from "./web-api.ts";
import type { SlackChannel } from "./workspace.ts";

/** A channel the bot may see: any public one, a private one or DM only as a member. */
export function visibleChannel(w: SlackWorld, id: unknown): SlackChannel {
  const c = typeof id === "string" ? w.ws.channel(id) : undefined;
  if (!c) throw new SlackApiError("channel_not_found");
  if (c.is_private && !w.ws.botIsMember(c.id)) throw new SlackApiError("channel_not_found");
  return c;
}

/** A visible channel the bot is in (history, posting, reactions). */
export function memberChannel(w: SlackWorld, id: unknown): SlackChannel {
  const c = visibleChannel(w, id);
  if (!w.ws.botIsMember(c.id)) throw new SlackApiError("not_in_channel");
  return c;
}

const PREFIX = { channel: "channels", group: "groups", im: "im", mpim: "mpim" } as const;

/** `<kind>:read` / `<kind>:history` / `<kind>:write` for the channel's type; all four kinds for an unknown channel. */
export function channelScopes(suffix: "read" | "history" | "write") {
  return (w: SlackWorld, args: Args): string[] => {
    const c = typeof args.channel === "string" ? w.ws.channel(args.channel) : undefined;
    if (!c) return Object.values(PREFIX).map((p) => `${p}:${suffix}`);
    return [`${PREFIX[w.ws.channelType(c.id)]}:${suffix}`];
  };
}

export const scopes =
  (...list: string[]) =>
  (): string[] =>
    list;

export function str(args: Args, name: string): string | undefined {
  const v = args[name];
  return typeof v === "string" ? v : undefined;
}

export function requiredStr(args: Args, name: string, error: string): string {
  const v = str(args, name);
  if (v === undefined || v === "") throw new SlackApiError(error);
  return v;
}

/** Slack's cursor pagination: `limit` items from the cursor, and `response_metadata.next_cursor` ("" at the end). */
export function paginate<T>(
  items: readonly T[],
  args: Args,
  o: { defaultLimit: number; maxLimit?: number },
): { page: T[]; next_cursor: string } {
  const limitArg = typeof args.limit === "number" && args.limit > 0 ? args.limit : o.defaultLimit;
  const limit = Math.min(limitArg, o.maxLimit ?? 1000);
  let offset = 0;
  const cursor = str(args, "cursor");
  if (cursor) {
    const m = /^offset:(\d+)$/.exec(Buffer.from(cursor, "base64").toString("utf8"));
    if (!m) throw new SlackApiError("invalid_cursor");
    offset = Number(m[1]);
  }
  const page = items.slice(offset, offset + limit);
  const next = offset + limit < items.length ? Buffer.from(`offset:${offset + limit}`).toString("base64") : "";
  return { page, next_cursor: next };
}
