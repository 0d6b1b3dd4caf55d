/**
 * One page of a channel's messages after a snowflake, oldest first: what a
 * look for a post whose answer was lost reads (webhook posts in rooms, bot
 * DMs).
 */

import { isRecord } from "@parley/bridge";
import type { REST } from "discord.js";
import { Routes } from "discord-api-types/v10";
import type { ApiFailures } from "./permissions.ts";
import { compareSnowflakes, isSnowflake } from "./snowflake.ts";

/** Messages per page (Discord's most). */
export const PAGE = 100;

export type ListedMessage = Record<string, unknown> & { id: string };

export async function messagesAfter(
  o: { readonly rest: REST; readonly failures: ApiFailures },
  where: string,
  after: string,
  action: string,
): Promise<ListedMessage[]> {
  const answer: unknown = await o.failures.run({ action, channel: where, permission: "Read Message History" }, () =>
    o.rest.get(Routes.channelMessages(where), { query: new URLSearchParams({ after, limit: String(PAGE) }) }),
  );
  return (Array.isArray(answer) ? answer : [])
    .filter((m): m is ListedMessage => isRecord(m) && isSnowflake(m.id))
    .sort((a, b) => compareSnowflakes(a.id, b.id));
}
