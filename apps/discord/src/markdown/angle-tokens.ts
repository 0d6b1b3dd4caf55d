/**
 * Discord's `<...>` tokens: user, role and channel mentions, custom emoji,
 * timestamps, slash-command mentions and `<url>` links (a link whose embed
 * is suppressed). Anything else in angle brackets is text.
 */
import { angleTokenClose, type RunLeaf as Leaf } from "@parley/bridge";
import type { Resolver } from "./context.ts";
import { timestampText } from "./timestamp.ts";
import { isLinkable } from "./urls.ts";

/** Longest token looked for: a URL is the only long one. */
const MAX_TOKEN = 4096;

const USER = /^@!?(\d{1,20})$/;
const ROLE = /^@&(\d{1,20})$/;
const CHANNEL = /^#(\d{1,20})$/;
const EMOJI = /^(a?):([A-Za-z0-9_]{1,32}):(\d{1,20})$/;
const TIMESTAMP = /^t:(-?\d{1,17})(?::([tTdDfFR]))?$/;
const COMMAND = /^\/([^\s:<>/][^:<>]{0,100}):(\d{1,20})$/;

export interface AngleToken {
  readonly leaf: Leaf;
  /** Index just after the closing `>`. */
  readonly end: number;
}

/** The token starting with the `<` at `i`, or undefined when that `<` is text. */
export function angleToken(src: string, i: number, ctx: Resolver): AngleToken | undefined {
  const k = angleTokenClose(src, i, MAX_TOKEN);
  if (k === undefined) return undefined;
  const leaf = tokenLeaf(src.slice(i + 1, k), ctx);
  return leaf === undefined ? undefined : { leaf, end: k + 1 };
}

function tokenLeaf(inner: string, ctx: Resolver): Leaf | undefined {
  let m = USER.exec(inner);
  if (m) return mention(ctx.user(m[1] as string), m[1] as string, "user");
  m = ROLE.exec(inner);
  if (m) return mention(ctx.role(m[1] as string), m[1] as string, "role");
  m = CHANNEL.exec(inner);
  if (m) return mention(ctx.channel(m[1] as string), m[1] as string, "channel");
  m = EMOJI.exec(inner);
  if (m) {
    const url = ctx.emojiUrl(m[3] as string, m[1] === "a");
    return url === undefined ? { type: "emoji", name: m[2] as string } : { type: "emoji", name: m[2] as string, url };
  }
  m = TIMESTAMP.exec(inner);
  if (m) {
    const text = timestampText(Number(m[1]), m[2]);
    return text === undefined ? undefined : { type: "text", text };
  }
  m = COMMAND.exec(inner);
  if (m) return { type: "text", text: `/${(m[1] as string).trim()}` };
  if (isLinkable(inner)) return { type: "autolink", url: inner };
  return undefined;
}

function mention(name: string, id: string, kind: "user" | "role" | "channel"): Leaf {
  return { type: "mention", name, target: { network: "discord", remoteId: id, kind } };
}

/**
 * `@everyone` or `@here` at `i`: a mention of kind "everyone" whose
 * remoteId says which of the two it was.
 */
export function everyoneAt(src: string, i: number): { leaf: Leaf; end: number } | undefined {
  for (const word of ["everyone", "here"]) {
    if (src.startsWith(word, i + 1)) {
      return {
        leaf: { type: "mention", name: word, target: { network: "discord", remoteId: word, kind: "everyone" } },
        end: i + 1 + word.length,
      };
    }
  }
  return undefined;
}
