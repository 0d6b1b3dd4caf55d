/**
 * What the converters ask of the Slack connector: names for the ids in
 * mentions when reading, Slack's spelling of a mention when writing. The
 * connector answers from its caches (filled before a message is read, see
 * `mentionedIds`); a missing or failing answer never stops a message, it
 * only shows the id instead of the name.
 */
import type { MentionTarget } from "@parley/bridge";

export interface SlackReadContext {
  /** Display name of user `U…`/`W…`; undefined when unknown. */
  user?(id: string): string | undefined;
  /** Name of channel `C…`. */
  channel?(id: string): string | undefined;
  /** Handle of user group `S…`. */
  usergroup?(id: string): string | undefined;
}

export interface SlackWriteContext {
  /**
   * Slack's markup for a mention (`<@U123>`, `<#C123>`, `<!here>`), or
   * undefined to write `@name` as text. Written as given, unescaped.
   */
  mentionOf?(target: MentionTarget): string | undefined;
}

/** A read context whose answers are always usable: unknown names fall back to what the message says, then the id. */
export interface Names {
  user(id: string, label?: string): string;
  channel(id: string, label?: string): string;
  usergroup(id: string, label?: string): string;
}

function nameOr(id: string, label: string | undefined, lookup: () => unknown): string {
  try {
    const name = lookup();
    if (typeof name === "string" && name.trim() !== "") return name;
  } catch {
    // A failing resolver shows the label or id: the message still goes.
  }
  return label !== undefined && label.trim() !== "" ? label : id;
}

export function namesOf(ctx: SlackReadContext | undefined): Names {
  return {
    user: (id, label) => nameOr(id, label, () => ctx?.user?.(id)),
    channel: (id, label) => nameOr(id, label, () => ctx?.channel?.(id)),
    usergroup: (id, label) => nameOr(id, label?.replace(/^@/, ""), () => ctx?.usergroup?.(id)),
  };
}

/** The connector's spelling of a mention, or undefined when it has none (or fails). */
export function mentionMarkup(ctx: SlackWriteContext | undefined, target: MentionTarget): string | undefined {
  try {
    const s = ctx?.mentionOf?.(target);
    return typeof s === "string" && s.trim() !== "" ? s : undefined;
  } catch {
    return undefined; // the caller's look-up must not break writing: the mention goes as plain text
  }
}

/** Mention targets as the Slack readers make them. */
export function userTarget(id: string): MentionTarget {
  return { network: "slack", remoteId: id, kind: "user" };
}
export function channelTarget(id: string): MentionTarget {
  return { network: "slack", remoteId: id, kind: "channel" };
}
export function usergroupTarget(id: string): MentionTarget {
  return { network: "slack", remoteId: id, kind: "role" };
}
/** `@here`, `@channel`, `@everyone`: remoteId says which. */
export function broadcastTarget(range: string): MentionTarget {
  return { network: "slack", remoteId: range, kind: "everyone" };
}
