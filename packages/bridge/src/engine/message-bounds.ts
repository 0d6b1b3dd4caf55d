/**
 * Bounds on what arrives from outside (an XMPP room, a remote network) before
 * it reaches the store or the other network: ids that key the message map
 * and the delivery ledger, reaction text, names, and the length of a body.
 * An id over its bound drops the event (it could not be recorded, so a later
 * correction would be lost); text over its bound is cut, with a word saying so.
 */
import type { Message } from "@parley/stanza";

/** Bytes of one id (a stanza id, a remote message, channel or user id). */
export const MAX_ID_BYTES = 255;
/** Code points of one reaction (a long emoji sequence is far shorter). */
export const MAX_REACTION_CODE_POINTS = 64;
/** Reactions in one XEP-0444 set of one user on one message. */
export const MAX_REACTIONS_PER_SET = 32;
/** Code points of a name shown on the other side (an XMPP nick, a remote display name). */
export const MAX_NAME_CODE_POINTS = 64;
/** Characters of one post on a network that does not say (Discord's limit, the smallest of the bridged ones). */
export const POST_CHARS = 2000;
/**
 * Characters of one body relayed into an XMPP room: Slack's own limit on a message. The
 * stanza must stay well under what the server takes from a component (Prosody refuses
 * one over 512 KB by closing the link, which a resend would do again and again).
 */
export const XMPP_BODY_CHARS = 40_000;
/** XEP-0372 references (mentions) in one message relayed into an XMPP room. */
export const MAX_REFERENCES = 100;
/** Files relayed from one remote message (Discord and Slack take 10 in one post); the rest are named in a notice. */
export const MAX_ATTACHMENTS = 20;

/** Whether `id` fits the bound (an absent id does). */
export function idFits(id: string | undefined): boolean {
  return id === undefined || Buffer.byteLength(id, "utf8") <= MAX_ID_BYTES;
}

/** The name of the first id field of an XMPP message over MAX_ID_BYTES, or undefined when all fit. */
export function oversizedIdOf(m: Message): string | undefined {
  const fields: Array<[string, string | undefined]> = [
    ["id", m.id],
    ["origin-id", m.originId],
    ["replace", m.replace?.id],
    ["retract", m.retract?.id],
    ["reactions", m.reactions?.id],
    ["reply", m.reply?.id],
    ["marker", m.marker?.id],
    ["thread", m.thread?.id],
    ...(m.stanzaIds ?? []).map((s): [string, string] => ["stanza-id", s.id]),
  ];
  return fields.find(([, id]) => !idFits(id))?.[0];
}

/** A reaction set with what is over the bounds left out: too long a reaction, and past MAX_REACTIONS_PER_SET. */
export function boundedReactions(emojis: readonly string[]): { kept: string[]; dropped: number } {
  const kept = emojis
    .filter((e) => e !== "" && codePoints(e) <= MAX_REACTION_CODE_POINTS)
    .slice(0, MAX_REACTIONS_PER_SET);
  return { kept, dropped: emojis.length - kept.length };
}

/** Whether one reaction fits. */
export function reactionFits(emoji: string): boolean {
  return emoji !== "" && codePoints(emoji) <= MAX_REACTION_CODE_POINTS;
}

/** A name cut to MAX_NAME_CODE_POINTS (an ellipsis says it was cut). */
export function boundedName(name: string): string {
  const chars = Array.from(name);
  return chars.length <= MAX_NAME_CODE_POINTS ? name : `${chars.slice(0, MAX_NAME_CODE_POINTS - 1).join("")}…`;
}

/**
 * A body cut to at most `maxPosts` posts of `postChars` characters, the cut
 * said at its end, so one message never becomes more posts than that.
 */
export function boundedBody(body: string, maxPosts: number, postChars = POST_CHARS): string {
  const notice = (left: number) => `\n[… ${left} more characters of this message were too long to relay]`;
  const max = maxPosts * postChars - notice(body.length).length - 64; // room for the network's own markup
  if (body.length <= max) return body;
  const cut = Array.from(body.slice(0, max))
    .join("")
    .replace(/[\uD800-\uDBFF]$/, "");
  return `${cut}${notice(body.length - cut.length)}`;
}

/**
 * A body for an XMPP room cut to XMPP_BODY_CHARS (the cut said at its end), with the
 * references that still fall inside it, at most MAX_REFERENCES of them.
 */
export function boundedForXmpp<R extends { readonly end?: number }>({
  body,
  references,
}: {
  readonly body: string;
  readonly references: readonly R[];
}): { body: string; references: R[] } {
  const cut = boundedBody(body, 1, XMPP_BODY_CHARS);
  if (cut === body && references.length <= MAX_REFERENCES) return { body, references: [...references] };
  const length = codePoints(cut);
  return { body: cut, references: references.filter((r) => (r.end ?? 0) <= length).slice(0, MAX_REFERENCES) };
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
