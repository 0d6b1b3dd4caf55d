/**
 * A Discord message payload as the engine's plain data: the content through
 * the Discord-markdown reader (mentions resolved to names, custom emoji with
 * their image), stickers as image links, embeds summarized as a quote under
 * the text, attachments as CDN files, and the answered message for replies.
 * Pure apart from cache look-ups: the gateway handler decides who wrote it
 * and where it goes.
 */
import {
  type Block,
  type Inline,
  isRecord,
  normalizeRichText,
  plainRichText,
  type RemoteAttachment,
  type RichText,
  toPlainText,
} from "@parley/bridge";
import type { CDN } from "discord.js";
import type { GuildDirectory } from "./guild-directory.ts";
import { fromDiscordMarkdown } from "./markdown/index.ts";
import { displayNameOf, personFromPayload } from "./members.ts";

/** Message types that carry something people wrote; the rest are system notices (joins, pins, boosts...). */
const CONVERSATION_TYPES = new Set([0, 19, 20, 23]);
const REPLY_TYPE = 19;
const FORWARD_REFERENCE = 1;

/** Embeds Discord makes for links in the text: the link is already there, a summary would repeat it. */
const LINK_PREVIEW_TYPES = new Set(["link", "image", "video", "gifv", "article"]);

/** Longest reply quote handed to the engine (it is a fallback for clients without XEP-0461). */
const QUOTE_CHARS = 200;

export interface IncomingContext {
  readonly cdn: CDN;
  readonly directory: GuildDirectory;
  /** Discord CDN links are signed and expire: the engine re-hosts them when true. */
  readonly rehostAttachments: boolean;
}

export interface IncomingContent {
  readonly text: RichText;
  readonly attachments: RemoteAttachment[];
  readonly replyTo?: string;
  readonly replyQuote?: { readonly authorName: string; readonly text: string };
}

/** Whether a message type is conversation (relayed) rather than a system notice. */
export function isConversation(type: unknown): boolean {
  return typeof type !== "number" || CONVERSATION_TYPES.has(type);
}

/** The text of a content string, with names resolved from the message's own mention lists, then the caches. */
export function textOfContent(
  content: string,
  payload: Record<string, unknown>,
  guildId: string | undefined,
  ctx: IncomingContext,
): RichText {
  if (content === "") return { blocks: [] };
  const mentioned = new Map<string, string>();
  if (Array.isArray(payload.mentions)) {
    for (const u of payload.mentions) {
      const p = isRecord(u) ? personFromPayload(u, u.member, guildId) : undefined;
      if (p) mentioned.set(p.id, displayNameOf(p));
    }
  }
  const channels = new Map<string, string>();
  if (Array.isArray(payload.mention_channels)) {
    for (const c of payload.mention_channels) {
      if (isRecord(c) && typeof c.id === "string" && typeof c.name === "string") channels.set(c.id, c.name);
    }
  }
  return fromDiscordMarkdown(content, {
    resolveUser: (id) => {
      const known = mentioned.get(id);
      if (known !== undefined) return known;
      const p = ctx.directory.person(id, guildId);
      return p ? displayNameOf(p) : undefined;
    },
    resolveRole: (id) => ctx.directory.roleName(guildId, id),
    resolveChannel: (id) => channels.get(id) ?? ctx.directory.channelName(id),
    emojiUrl: (id, animated) => ctx.cdn.emoji(id, { extension: animated ? "gif" : "png" }),
  });
}

/** Everything of a message the engine relays; undefined when there is nothing to relay (an empty system message). */
export function contentOf(
  payload: Record<string, unknown>,
  guildId: string | undefined,
  ctx: IncomingContext,
): IncomingContent | undefined {
  const content = typeof payload.content === "string" ? payload.content : "";
  const read = textOfContent(content, payload, guildId, ctx);
  const extra: Block[] = [
    ...forwardedBlocks(payload, guildId, ctx),
    ...stickerBlocks(payload.sticker_items, ctx.cdn),
    ...embedBlocks(payload.embeds, content, guildId, ctx),
  ];
  const attachments = attachmentsOf(payload.attachments, ctx.rehostAttachments);
  if (read.blocks.length === 0 && extra.length === 0 && attachments.length === 0) return undefined;
  // The reader's document is normalized already; only added blocks or linked emoji make it worth doing again.
  const linked = read.blocks.map(linkEmojiIn);
  const changed = extra.length > 0 || linked.some((b, i) => b !== read.blocks[i]);
  const text = changed ? normalizeRichText({ blocks: [...linked, ...extra] }) : read;
  const reply = replyOf(payload, guildId, ctx);
  return { text, attachments, ...reply };
}

function replyOf(
  payload: Record<string, unknown>,
  guildId: string | undefined,
  ctx: IncomingContext,
): { replyTo?: string; replyQuote?: { authorName: string; text: string } } {
  const ref = payload.message_reference;
  if (payload.type !== REPLY_TYPE || !isRecord(ref) || typeof ref.message_id !== "string") return {};
  const replied = payload.referenced_message;
  if (!isRecord(replied)) return { replyTo: ref.message_id };
  const author = personFromPayload(replied.author, undefined, guildId);
  const known = author ? (ctx.directory.person(author.id, guildId) ?? author) : undefined;
  // Without its own reference, so a hostile chain of nested replies cannot recurse.
  const repliedContent = contentOf({ ...replied, type: 0, message_reference: undefined }, guildId, ctx);
  let text = repliedContent ? toPlainText(repliedContent.text) : "";
  if (text === "" && repliedContent && repliedContent.attachments.length > 0) {
    text = repliedContent.attachments.map((a) => a.filename ?? "attachment").join(", ");
  }
  return {
    replyTo: ref.message_id,
    ...(known && { replyQuote: { authorName: displayNameOf(known), text: excerpt(text, QUOTE_CHARS) } }),
  };
}

/** A forwarded message carries its content in a snapshot: shown as a quote. */
function forwardedBlocks(payload: Record<string, unknown>, guildId: string | undefined, ctx: IncomingContext): Block[] {
  const ref = payload.message_reference;
  if (!isRecord(ref) || ref.type !== FORWARD_REFERENCE || !Array.isArray(payload.message_snapshots)) return [];
  const out: Block[] = [];
  for (const s of payload.message_snapshots) {
    const m = isRecord(s) && isRecord(s.message) ? s.message : undefined;
    if (!m) continue;
    const inner = contentOf({ ...m, type: 0, message_reference: undefined }, guildId, ctx);
    const files = inner?.attachments.map((a) => a.url) ?? [];
    const children: Block[] = [
      { type: "paragraph", children: [{ type: "italic", children: [{ type: "text", text: "Forwarded" }] }] },
      ...(inner?.text.blocks ?? []),
      ...files.map((url): Block => ({ type: "paragraph", children: [{ type: "link", url, children: [] }] })),
    ];
    out.push({ type: "quote", children });
  }
  return out;
}

function stickerBlocks(items: unknown, cdn: CDN): Block[] {
  if (!Array.isArray(items)) return [];
  const out: Block[] = [];
  for (const s of items) {
    if (!isRecord(s) || typeof s.id !== "string") continue;
    const name = typeof s.name === "string" && s.name !== "" ? s.name : "sticker";
    // Format types: 1 PNG, 2 APNG, 3 Lottie (JSON), 4 GIF.
    const url = cdn.sticker(s.id, s.format_type === 4 ? "gif" : s.format_type === 3 ? "json" : "png");
    out.push({
      type: "paragraph",
      children: [
        { type: "text", text: "Sticker: " },
        { type: "link", url, children: [{ type: "text", text: name }] },
      ],
    });
  }
  return out;
}

/** Each rich embed as a quote: linked title, description (Discord markdown), fields, footer. */
function embedBlocks(embeds: unknown, content: string, guildId: string | undefined, ctx: IncomingContext): Block[] {
  if (!Array.isArray(embeds)) return [];
  const out: Block[] = [];
  for (const e of embeds.slice(0, 10)) {
    if (!isRecord(e)) continue;
    const url = typeof e.url === "string" && /^https?:\/\//i.test(e.url) ? e.url : undefined;
    if (typeof e.type === "string" && LINK_PREVIEW_TYPES.has(e.type) && url !== undefined && content.includes(url)) {
      continue;
    }
    const children: Block[] = [];
    const author = isRecord(e.author) && typeof e.author.name === "string" ? e.author.name : undefined;
    if (author) children.push({ type: "paragraph", children: [{ type: "text", text: author }] });
    const title = typeof e.title === "string" && e.title.trim() !== "" ? e.title.trim() : undefined;
    if (title !== undefined) {
      const t: Inline = { type: "text", text: title };
      children.push({
        type: "paragraph",
        children: [{ type: "bold", children: [url !== undefined ? { type: "link", url, children: [t] } : t] }],
      });
    } else if (url !== undefined) {
      children.push({ type: "paragraph", children: [{ type: "link", url, children: [] }] });
    }
    if (typeof e.description === "string" && e.description.trim() !== "") {
      children.push(...textOfContent(e.description, {}, guildId, ctx).blocks);
    }
    if (Array.isArray(e.fields)) {
      for (const f of e.fields.slice(0, 25)) {
        if (!isRecord(f) || typeof f.name !== "string" || typeof f.value !== "string") continue;
        const value = textOfContent(f.value, {}, guildId, ctx);
        children.push({
          type: "paragraph",
          children: [
            { type: "bold", children: [{ type: "text", text: f.name }] },
            { type: "text", text: ": " },
            ...inlineOf(value),
          ],
        });
      }
    }
    const image = isRecord(e.image) && typeof e.image.url === "string" ? e.image.url : undefined;
    if (image !== undefined && /^https?:\/\//i.test(image)) {
      children.push({ type: "paragraph", children: [{ type: "link", url: image, children: [] }] });
    }
    if (isRecord(e.footer) && typeof e.footer.text === "string" && e.footer.text.trim() !== "") {
      children.push(...plainRichText(e.footer.text).blocks);
    }
    if (children.length > 0) out.push({ type: "quote", children });
  }
  return out;
}

/**
 * Custom emoji have no Unicode form: XMPP users get `:name:` linked to the
 * emoji's image (the engine's styling writer leaves an emoji's URL out).
 */
function linkEmojiIn(b: Block): Block {
  switch (b.type) {
    case "paragraph":
    case "heading": {
      const children = mapSame(b.children, linkEmoji);
      return children === b.children ? b : { ...b, children };
    }
    case "quote": {
      const children = mapSame(b.children, linkEmojiIn);
      return children === b.children ? b : { ...b, children };
    }
    case "list": {
      const items = mapSame(b.items, (item) => mapSame(item, linkEmojiIn));
      return items === b.items ? b : { ...b, items };
    }
    default:
      return b;
  }
}

function linkEmoji(n: Inline): Inline {
  switch (n.type) {
    case "emoji":
      return n.url !== undefined ? { type: "link", url: n.url, children: [{ type: "text", text: `:${n.name}:` }] } : n;
    case "bold":
    case "italic":
    case "underline":
    case "strike":
    case "spoiler": {
      const children = mapSame(n.children, linkEmoji);
      return children === n.children ? n : { ...n, children };
    }
    default:
      return n;
  }
}

/** Maps an array, returning the very same array when no element changed (so unchanged trees are not copied). */
function mapSame<T>(xs: T[], f: (x: T) => T): T[] {
  let out: T[] | undefined;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i] as T;
    const y = f(x);
    if (y !== x && !out) out = xs.slice(0, i);
    if (out) out.push(y);
  }
  return out ?? xs;
}

/** The inline content of a small document, its paragraphs joined by line breaks (other blocks as plain text). */
function inlineOf(doc: RichText): Inline[] {
  const out: Inline[] = [];
  for (const b of doc.blocks) {
    if (out.length > 0) out.push({ type: "linebreak" });
    if (b.type === "paragraph" || b.type === "heading") out.push(...b.children);
    else out.push({ type: "text", text: toPlainText({ blocks: [b] }) });
  }
  return out;
}

function attachmentsOf(list: unknown, ephemeral: boolean): RemoteAttachment[] {
  if (!Array.isArray(list)) return [];
  const out: RemoteAttachment[] = [];
  for (const a of list) {
    if (!isRecord(a) || typeof a.url !== "string" || !/^https?:\/\//i.test(a.url)) continue;
    out.push({
      url: a.url,
      ...(typeof a.filename === "string" && { filename: a.filename }),
      ...(typeof a.content_type === "string" && { contentType: a.content_type }),
      ...(typeof a.size === "number" && Number.isFinite(a.size) && a.size >= 0 && { size: a.size }),
      ...(ephemeral && { ephemeral: true }),
    });
  }
  return out;
}

/** The first `max` characters of a one-line version of `text`, with an ellipsis when cut. */
export function excerpt(text: string, max: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  const chars = Array.from(line);
  return chars.length <= max ? line : `${chars.slice(0, max - 1).join("")}…`;
}
