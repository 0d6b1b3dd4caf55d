/**
 * What reached each side of the linked room, as one list per side in the
 * order that side has it: posts, edits, replies, reactions and deletions,
 * each with the ids it is known by and the id of the message it acts on.
 * Each side is read only for what the bridges did there (on XMPP: what
 * occupants other than alice said), so a side's own users are not counted.
 */
import { type Element, type Message, parseStanza, stanzaIdBy } from "@parley/stanza";
import type { MatrixEvent } from "./matrix-user.ts";
import type { RelayWorld } from "./world.ts";

export type Kind = "post" | "edit" | "reply" | "react" | "delete";

export interface Entry {
  readonly kind: Kind;
  /** The ids this item is known by on that side (several on XMPP: id, origin-id, stanza-id). */
  readonly ids: readonly string[];
  readonly text?: string;
  /** The message an edit, reply, reaction or deletion acts on, when the side says. */
  readonly target?: string;
  readonly emoji?: string;
  /** What the side had, for failure messages. */
  readonly raw: string;
}

export type Side = "xmpp" | "discord" | "slack" | "matrix";
export type Reader = () => Promise<Entry[]>;

const text = (v: unknown): { text?: string } => (typeof v === "string" ? { text: v } : {});

/** The XMPP side, recorded live: every groupchat message of the room that alice receives from someone else. */
export function xmppReader(w: RelayWorld): Reader {
  const entries: Entry[] = [];
  const inbox = w.alice.inbox;
  const push = inbox.push.bind(inbox);
  const prefix = `${w.room.toLowerCase()}/`;
  inbox.push = (el: Element) => {
    push(el);
    const from = el.attrs.from?.toLowerCase() ?? "";
    if (el.name !== "message" || el.attrs.type !== "groupchat" || !from.startsWith(prefix)) return;
    if (from === `${prefix}alice`) return;
    const r = parseStanza(el);
    if (r.ok && r.value.kind === "message") entries.push(xmppEntry(r.value, w.room, el.toString()));
  };
  return async () => [...entries];
}

function xmppEntry(m: Message, room: string, raw: string): Entry {
  const ids = [m.id, m.originId, stanzaIdBy(m, room)].filter((x): x is string => x !== undefined);
  if (m.retract) return { kind: "delete", ids, target: m.retract.id, raw };
  if (m.reactions) return { kind: "react", ids, target: m.reactions.id, emoji: m.reactions.emojis.join(""), raw };
  if (m.replace) return { kind: "edit", ids, target: m.replace.id, ...text(m.body), raw };
  // A reply names its parent (XEP-0461); a thread alone is not one (the Matrix bridge gives every message its thread).
  if (m.reply) return { kind: "reply", ids, target: m.reply.id, ...text(m.body), raw };
  return { kind: "post", ids, ...text(m.body), raw };
}

interface DiscordMessage {
  readonly id: string;
  readonly channel_id?: string;
  readonly content?: string;
  readonly webhook_id?: string;
  readonly author?: { readonly id: string };
  readonly message_reference?: { readonly message_id?: string };
}

/** The Discord side, recorded live from the fake's gateway: what the bridge's webhook and bot did in the channel. */
export function discordReader(w: RelayWorld): Reader {
  const entries: Entry[] = [];
  const bridged = new Set<string>();
  const bot = w.discord.bot.id;
  w.discord.on("dispatch", ({ t, d }) => {
    const m = d as DiscordMessage & { message_id?: string; user_id?: string; emoji?: { name?: string } };
    if (m.channel_id !== w.discordChannel) return;
    const raw = `${t} ${JSON.stringify(d).slice(0, 400)}`;
    if (t === "MESSAGE_CREATE" && (m.webhook_id !== undefined || m.author?.id === bot)) {
      bridged.add(m.id);
      const target = m.message_reference?.message_id ?? quotedParent(m.content);
      entries.push({
        kind: target ? "reply" : "post",
        ids: [m.id],
        ...text(m.content),
        ...(target && { target }),
        raw,
      });
    } else if (t === "MESSAGE_UPDATE" && bridged.has(m.id) && m.content !== undefined) {
      entries.push({ kind: "edit", ids: [m.id], target: m.id, ...text(m.content), raw });
    } else if (t === "MESSAGE_DELETE" && bridged.has(m.id)) {
      entries.push({ kind: "delete", ids: [m.id], target: m.id, raw });
    } else if (t === "MESSAGE_REACTION_ADD" && m.user_id === bot && m.message_id !== undefined) {
      entries.push({
        kind: "react",
        ids: [],
        target: m.message_id,
        ...(m.emoji?.name && { emoji: m.emoji.name }),
        raw,
      });
    }
  });
  return async () => [...entries];
}

/**
 * A webhook cannot reply on Discord, so the bridge posts a reply as a quote
 * of its parent with the parent's jump link; the link names the parent.
 */
function quotedParent(content: string | undefined): string | undefined {
  if (!content?.startsWith("> ")) return undefined;
  return /^> https:\/\/discord\.com\/channels\/\d+\/\d+\/(\d+)$/m.exec(content)?.[1];
}

/** The Slack side: the bot's actions in the channel, in the order the fake took them. */
export function slackReader(w: RelayWorld): Reader {
  return async () =>
    w.slack.botActions(w.slackChannel).map((a): Entry => {
      const raw = JSON.stringify(a).slice(0, 400);
      switch (a.kind) {
        case "post":
          return a.thread_ts !== undefined
            ? { kind: "reply", ids: [a.ts], target: a.thread_ts, ...text(a.text), raw }
            : { kind: "post", ids: [a.ts], ...text(a.text), raw };
        case "update":
          return { kind: "edit", ids: [a.ts], target: a.ts, ...text(a.text), raw };
        case "delete":
          return { kind: "delete", ids: [a.ts], target: a.ts, raw };
        default:
          // "react" and "unreact": the test only adds.
          return { kind: "react", ids: [], target: a.ts, ...(a.name !== undefined && { emoji: a.name }), raw };
      }
    });
}

/** The Matrix side: the room's events from anyone but Bob and the bridge's bot's own room setup, in timeline order. */
export function matrixReader(w: RelayWorld): Reader {
  // A redacted event keeps its place with its content gone: each is kept as first read.
  const seen = new Map<string, Entry | undefined>();
  return async () => {
    const out: Entry[] = [];
    for (const e of await w.bob.events(w.matrixRoom)) {
      if (e.sender === w.bob.userId) continue;
      if (!seen.has(e.event_id)) seen.set(e.event_id, matrixEntry(e));
      const entry = seen.get(e.event_id);
      if (entry) out.push(entry);
    }
    return out;
  };
}

function matrixEntry(e: MatrixEvent): Entry | undefined {
  const raw = JSON.stringify(e).slice(0, 400);
  const rel = e.content["m.relates_to"] as
    | { rel_type?: string; event_id?: string; key?: string; "m.in_reply_to"?: { event_id?: string } }
    | undefined;
  if (e.type === "m.room.redaction")
    return { kind: "delete", ids: [e.event_id], ...(e.redacts && { target: e.redacts }), raw };
  if (e.type === "m.reaction") {
    return {
      kind: "react",
      ids: [e.event_id],
      ...(rel?.event_id && { target: rel.event_id }),
      ...(rel?.key && { emoji: rel.key }),
      raw,
    };
  }
  if (e.type !== "m.room.message") return undefined;
  if (rel?.rel_type === "m.replace") {
    const fresh = e.content["m.new_content"] as { body?: unknown } | undefined;
    return {
      kind: "edit",
      ids: [e.event_id],
      ...(rel.event_id && { target: rel.event_id }),
      ...text(fresh?.body),
      raw,
    };
  }
  const replyTo = rel?.["m.in_reply_to"]?.event_id;
  if (replyTo) return { kind: "reply", ids: [e.event_id], target: replyTo, ...text(e.content.body), raw };
  return { kind: "post", ids: [e.event_id], ...text(e.content.body), raw };
}
