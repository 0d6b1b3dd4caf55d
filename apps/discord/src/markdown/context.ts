/**
 * What the converters ask of the Discord connector: names for the ids in
 * mentions and URLs for custom emoji when reading, the Discord spelling of
 * a mention when writing. The connector answers from its caches; a missing
 * or failing answer never stops a message, it only shows less.
 */
import type { MentionTarget } from "@parley/bridge";

export interface DiscordReadContext {
  /** Display name for `<@id>` / `<@!id>`; undefined when unknown (the id is shown). */
  resolveUser(id: string): string | undefined;
  /** Name of the role in `<@&id>`. */
  resolveRole(id: string): string | undefined;
  /** Name of the channel in `<#id>`. */
  resolveChannel(id: string): string | undefined;
  /** CDN URL of the custom emoji `<:name:id>` (`animated` for `<a:name:id>`). */
  emojiUrl(id: string, animated: boolean): string;
}

export interface DiscordWriteContext {
  /**
   * The Discord markup for a mention (`<@123>`, `<@&456>`, `<#789>`,
   * `@everyone`), or undefined to write `@name` as plain text. It is
   * written as given, unescaped.
   */
  mentionOf?(target: MentionTarget): string | undefined;
}

/** A read context whose answers are always usable: unknown names fall back to the id. */
export interface Resolver {
  user(id: string): string;
  role(id: string): string;
  channel(id: string): string;
  emojiUrl(id: string, animated: boolean): string | undefined;
}

function nameOr(id: string, lookup: () => unknown): string {
  try {
    const name = lookup();
    return typeof name === "string" && name.trim() !== "" ? name : id;
  } catch {
    return id; // the caller's look-up must not break reading: the id stands for the name
  }
}

export function resolverOf(ctx: DiscordReadContext | undefined): Resolver {
  return {
    user: (id) => nameOr(id, () => ctx?.resolveUser(id)),
    role: (id) => nameOr(id, () => ctx?.resolveRole(id)),
    channel: (id) => nameOr(id, () => ctx?.resolveChannel(id)),
    emojiUrl: (id, animated) => {
      try {
        const url = ctx?.emojiUrl(id, animated);
        return typeof url === "string" && url !== "" ? url : undefined;
      } catch {
        return undefined; // the caller's look-up must not break reading: the emoji goes as its name
      }
    },
  };
}

/** The connector's spelling of a mention, or undefined when it has none (or fails). */
export function mentionMarkup(ctx: DiscordWriteContext | undefined, target: MentionTarget): string | undefined {
  try {
    const s = ctx?.mentionOf?.(target);
    return typeof s === "string" && s.trim() !== "" ? s : undefined;
  } catch {
    return undefined; // the caller's look-up must not break writing: the mention goes as plain text
  }
}
