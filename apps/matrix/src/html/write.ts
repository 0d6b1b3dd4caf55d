/**
 * The rich-text tree to the content of an `m.room.message`: a `body` and,
 * when the body cannot carry everything, `org.matrix.custom.html`.
 *
 * First the tree is reduced to what Matrix carries (see `matrixDocument`):
 * mentions of Matrix users become pills, custom emoji with an mxc:// image
 * stay emoji, links keep only http(s) and mailto targets; everything else
 * becomes the text a reader would see. That reduced tree is what both the
 * body and the HTML are written from, so `fromMatrixHtml` reads the HTML
 * back as exactly that tree.
 *
 * The body is the plain text when `fromMatrixPlain` reads it back as the
 * same tree, bare URLs aside; then no HTML is sent at all, as Element does
 * for unformatted messages. Otherwise the body is the generic Markdown: the
 * source Element itself puts there, which keeps quotes, lists and code
 * recognisable in notifications and old clients, and reads back as the
 * same text and structure.
 * Only tags of the Matrix subset are written, text and attributes are
 * escaped, and the HTML lays blocks out one per line like Element's.
 */
import { isDeepStrictEqual } from "node:util";
import {
  type Block,
  type Inline,
  type MentionTarget,
  mapInlineContent,
  mentionLabel,
  normalizeRichText,
  type RichText,
  toMarkdown,
  toPlainText,
} from "@parley/bridge";
import type { MatrixWriteContext } from "./context.ts";
import { escapeAttribute, escapeText } from "./entities.ts";
import { isUserId, isWritableHref, matrixEntityOf, matrixToLink, pillName } from "./matrix-links.ts";
import { readMatrixPlain } from "./plain.ts";

export interface MatrixContent {
  body: string;
  format?: "org.matrix.custom.html";
  formatted_body?: string;
  "m.mentions"?: { user_ids?: string[] };
}

export function writeMatrixContent(doc: RichText, ctx: MatrixWriteContext): MatrixContent {
  const { doc: carried, userIds } = matrixDocument(doc, ctx);
  const mentions = userIds.length > 0 ? { user_ids: userIds } : {};
  const plain = toPlainText(carried);
  if (isDeepStrictEqual(urlsAsText(readMatrixPlain(plain)), urlsAsText(carried))) {
    return { body: plain, "m.mentions": mentions };
  }
  return {
    body: toMarkdown(carried),
    format: "org.matrix.custom.html",
    formatted_body: documentHtml(carried),
    "m.mentions": mentions,
  };
}

/**
 * The document with bare links as the text of their URL: every Matrix
 * client links URLs in a body, so whether a reader made a link of one
 * or kept it as text is no reason to send HTML.
 */
function urlsAsText(doc: RichText): RichText {
  const inline = (n: Inline): Inline => {
    if (n.type === "link") return n.children.length === 0 ? { type: "text", text: n.url } : n;
    return "children" in n ? { type: n.type, children: n.children.map(inline) } : n;
  };
  return normalizeRichText({ blocks: mapInlineContent(doc.blocks, (children) => children.map(inline)) });
}

// --- what Matrix carries ---------------------------------------------------------

const MXC = /^mxc:\/\/[^\s/]+\/[^\s]+$/i;

/**
 * The document as Matrix can show it, normalized, with the users it
 * mentions (each once, in order). Pills carry the name the reader will take
 * from them, so the HTML reads back as this very tree.
 */
export function matrixDocument(doc: RichText, ctx: MatrixWriteContext): { doc: RichText; userIds: string[] } {
  const userIds: string[] = [];
  const seen = new Set<string>();
  const inlines = (nodes: readonly Inline[], inLink: boolean): Inline[] => nodes.flatMap((n) => inline(n, inLink));
  const inline = (n: Inline, inLink: boolean): Inline[] => {
    switch (n.type) {
      case "mention": {
        const pill = inLink ? undefined : pillTarget(n.target, n.name, ctx);
        if (pill === undefined) return [{ type: "text", text: mentionLabel(n.name, n.target) }];
        const sigil = pill.kind === "channel" ? "#" : "@";
        const id = pill.remoteId as string;
        if (pill.kind === "user" && !seen.has(id)) {
          seen.add(id);
          userIds.push(id);
        }
        return [{ type: "mention", name: pillName(n.name, sigil) || id.slice(1), target: pill }];
      }
      case "emoji":
        return n.url !== undefined && MXC.test(n.url) && n.name !== ""
          ? [{ type: "emoji", name: n.name, url: n.url }]
          : [{ type: "text", text: `:${n.name}:` }];
      case "link": {
        // Any other scheme (javascript:, data:, xmpp:...) is not followed: its text stays.
        const children = inlines(n.children, true);
        if (isWritableHref(n.url)) return [{ type: "link", url: n.url, children }];
        return children.length > 0 ? children : [{ type: "text", text: n.url }];
      }
      case "bold":
      case "italic":
      case "underline":
      case "strike":
      case "spoiler":
        return [{ type: n.type, children: inlines(n.children, inLink) }];
      default:
        return [n];
    }
  };
  const blocks = mapInlineContent(normalizeRichText(doc).blocks, (children) => inlines(children, false));
  return { doc: normalizeRichText({ blocks }), userIds };
}

/** The Matrix user or room a mention becomes a pill for, or undefined for text. */
function pillTarget(target: MentionTarget, name: string, ctx: MatrixWriteContext): MentionTarget | undefined {
  if (target.kind === "channel") {
    if (target.network !== "matrix" || target.remoteId === undefined) return undefined;
    const entity = matrixEntityOf(matrixToLink(target.remoteId));
    return entity?.kind === "room" ? { kind: "channel", network: "matrix", remoteId: entity.id } : undefined;
  }
  if (target.kind === "everyone" || target.kind === "role") return undefined;
  let userId: unknown;
  try {
    userId = ctx.mentionOf?.(target, name)?.userId;
  } catch {
    userId = undefined; // the caller's look-up must not break writing: the mention goes as plain text
  }
  if (userId === undefined && target.network === "matrix") userId = target.remoteId;
  return typeof userId === "string" && isUserId(userId)
    ? { kind: "user", network: "matrix", remoteId: userId }
    : undefined;
}

// --- HTML --------------------------------------------------------------------------

function documentHtml(doc: RichText): string {
  const only = doc.blocks[0];
  if (doc.blocks.length === 1 && only?.type === "paragraph") return inlineHtml(only.children);
  return doc.blocks.map(blockHtml).join("\n");
}

function blockHtml(b: Block): string {
  switch (b.type) {
    case "paragraph":
      return `<p>${inlineHtml(b.children)}</p>`;
    case "heading":
      return `<h${b.level}>${inlineHtml(b.children)}</h${b.level}>`;
    case "code_block": {
      const cls = b.lang === undefined ? "" : ` class="language-${escapeAttribute(b.lang)}"`;
      // The line feed before `</code>` is what Element writes; the reader drops one.
      return `<pre><code${cls}>${escapeText(b.text)}\n</code></pre>`;
    }
    case "quote":
      return `<blockquote>\n${b.children.map(blockHtml).join("\n")}\n</blockquote>`;
    case "list": {
      const tag = b.ordered ? "ol" : "ul";
      const start = b.ordered && b.start !== undefined ? ` start="${b.start}"` : "";
      const items = b.items.map((item) => `<li>${itemHtml(item)}</li>`).join("\n");
      return `<${tag}${start}>\n${items}\n</${tag}>`;
    }
  }
}

/** An item of one paragraph is written inline (a tight list item); others block by block. */
function itemHtml(item: readonly Block[]): string {
  const only = item[0];
  if (item.length === 1 && only?.type === "paragraph") return inlineHtml(only.children);
  if (item.length === 0) return "";
  return `\n${item.map(blockHtml).join("\n")}\n`;
}

const STYLE_TAG = { bold: "strong", italic: "em", underline: "u", strike: "del" } as const;

function inlineHtml(nodes: readonly Inline[]): string {
  let s = "";
  for (const n of nodes) {
    switch (n.type) {
      case "text":
        s += escapeText(n.text);
        break;
      case "linebreak":
        s += "<br>";
        break;
      case "code":
        s += `<code>${escapeText(n.text)}</code>`;
        break;
      case "link":
        // matrixDocument kept only writable links; a last check keeps any other scheme out of an href.
        s += isWritableHref(n.url)
          ? `<a href="${escapeAttribute(n.url)}">${n.children.length === 0 ? escapeText(n.url) : inlineHtml(n.children)}</a>`
          : escapeText(n.url);
        break;
      case "mention": {
        const id = n.target.remoteId ?? "";
        s += `<a href="${escapeAttribute(matrixToLink(id))}">${escapeText(mentionText(n))}</a>`;
        break;
      }
      case "emoji": {
        const alt = escapeAttribute(`:${n.name}:`);
        s += `<img data-mx-emoticon src="${escapeAttribute(n.url ?? "")}" alt="${alt}" title="${alt}" height="32">`;
        break;
      }
      case "spoiler":
        s += `<span data-mx-spoiler>${inlineHtml(n.children)}</span>`;
        break;
      default: {
        const tag = STYLE_TAG[n.type];
        s += `<${tag}>${inlineHtml(n.children)}</${tag}>`;
      }
    }
  }
  return s;
}

/** What a pill shows: a user's name as is (Element's pills), a room with its `#`. */
function mentionText(n: Extract<Inline, { type: "mention" }>): string {
  return n.target.kind === "channel" ? mentionLabel(n.name, n.target) : n.name;
}
