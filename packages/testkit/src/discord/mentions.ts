/**
 * Mentions in message content (`<@id>`, `<@!id>`, `<@&id>`, `<#id>`,
 * `@everyone`, `@here`) and Discord's allowed_mentions rules: the mentions a
 * message carries are the ones that notify someone, so an allowed_mentions that
 * forbids user pings leaves `mentions` empty even when the content names users.
 */

export interface AllowedMentions {
  readonly parse?: readonly string[] | null;
  readonly users?: readonly string[] | null;
  readonly roles?: readonly string[] | null;
  readonly replied_user?: boolean | null;
}

export interface MentionedIds {
  readonly users: string[];
  readonly roles: string[];
  readonly channels: string[];
  readonly everyone: boolean;
}

function unique(ids: Iterable<string>): string[] {
  return [...new Set(ids)];
}

/** Every id the content names, in order of first appearance. */
export function parseMentions(content: string): MentionedIds {
  return {
    users: unique([...content.matchAll(/<@!?(\d{1,20})>/g)].map((m) => m[1] ?? "")),
    roles: unique([...content.matchAll(/<@&(\d{1,20})>/g)].map((m) => m[1] ?? "")),
    channels: unique([...content.matchAll(/<#(\d{1,20})>/g)].map((m) => m[1] ?? "")),
    everyone: /@(everyone|here)\b/.test(content),
  };
}

/**
 * Narrows what the content names to what `allowed` lets ping. Without
 * allowed_mentions everything pings, and so does the author of the message
 * replied to; with it, only what it lists does.
 */
export function allowedMentions(
  named: MentionedIds,
  allowed: AllowedMentions | null | undefined,
  repliedAuthor: string | undefined,
): MentionedIds {
  if (!allowed) {
    return { ...named, users: unique([...named.users, ...(repliedAuthor ? [repliedAuthor] : [])]) };
  }
  const parse = new Set(allowed.parse ?? []);
  const users = parse.has("users") ? named.users : named.users.filter((u) => allowed.users?.includes(u));
  const roles = parse.has("roles") ? named.roles : named.roles.filter((r) => allowed.roles?.includes(r));
  if (repliedAuthor && allowed.replied_user) users.push(repliedAuthor);
  return { users: unique(users), roles, channels: named.channels, everyone: named.everyone && parse.has("everyone") };
}
