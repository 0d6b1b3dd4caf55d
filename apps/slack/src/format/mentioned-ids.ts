/**
 * The users, channels and user groups a message mentions, so that the
 * connector can look up their names before the (synchronous) readers ask.
 */

export interface MentionedIds {
  readonly users: Set<string>;
  readonly channels: Set<string>;
  readonly usergroups: Set<string>;
}

/** Ids mentioned in `text` (mrkdwn) and in `blocks` (rich_text), at most `limit` of each kind. */
export function mentionedIds(text: unknown, blocks: unknown, limit = 50): MentionedIds {
  const ids: MentionedIds = { users: new Set(), channels: new Set(), usergroups: new Set() };
  const add = (set: Set<string>, id: unknown) => {
    if (typeof id === "string" && set.size < limit) set.add(id);
  };
  // Every mention in mrkdwn starts with "<": most messages have none, and skip the three scans.
  if (typeof text === "string" && text.includes("<")) {
    for (const m of text.matchAll(/<@([UW][A-Z0-9]{1,40})[|>]/g)) add(ids.users, m[1]);
    for (const m of text.matchAll(/<#([CG][A-Z0-9]{1,40})[|>]/g)) add(ids.channels, m[1]);
    for (const m of text.matchAll(/<!subteam\^([A-Z0-9]{1,40})[|>]/g)) add(ids.usergroups, m[1]);
  }
  // rich_text elements nest two or three levels (block > section/list > item > element): an explicit stack.
  const stack: unknown[] = Array.isArray(blocks) ? [...blocks] : [];
  let seen = 0;
  while (stack.length > 0 && seen++ < 10_000) {
    const el = stack.pop();
    if (el === null || typeof el !== "object") continue;
    const r = el as Record<string, unknown>;
    if (r.type === "user") add(ids.users, r.user_id);
    else if (r.type === "channel") add(ids.channels, r.channel_id);
    else if (r.type === "usergroup") add(ids.usergroups, r.usergroup_id);
    if (Array.isArray(r.elements)) for (const child of r.elements) stack.push(child);
  }
  return ids;
}
