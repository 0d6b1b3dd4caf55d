/**
 * The emoji of a reaction as the REST path carries it: a Unicode emoji, or a
 * custom one as `name:id` (discord.js also accepts `a:name:id` and `<:name:id>`).
 */

export type ReactionEmoji =
  | { readonly kind: "unicode"; readonly name: string }
  | { readonly kind: "custom"; readonly id: string; readonly name: string; readonly animated: boolean };

export function parseReactionEmoji(raw: string): ReactionEmoji | undefined {
  const custom = /^<?(a)?:?([\w~-]{1,32}):(\d{1,20})>?$/.exec(raw);
  if (custom) {
    return { kind: "custom", id: custom[3] ?? "", name: custom[2] ?? "", animated: custom[1] === "a" };
  }
  if (raw.length > 0 && raw.length <= 32 && /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u.test(raw)) {
    if (!/[A-Za-z0-9:<>]/.test(raw.replace(/[0-9#*]\ufe0f?\u20e3/gu, ""))) return { kind: "unicode", name: raw };
  }
  return undefined;
}

/** The key reactions are grouped by, and what `reactionsOn` reports: the character, or `name:id`. */
export function reactionKey(e: ReactionEmoji): string {
  return e.kind === "unicode" ? e.name : `${e.name}:${e.id}`;
}
