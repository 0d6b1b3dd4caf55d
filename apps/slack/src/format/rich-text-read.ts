/**
 * A Slack message's `rich_text` blocks (what Slack's own clients send) as a
 * rich-text tree: sections, bullet and ordered lists nested by `indent`,
 * quotes and preformatted text; bold, italic, strike and code styles,
 * links, user, channel, user-group and broadcast mentions, emoji by name.
 *
 * The blocks come from the network and are read defensively: an element
 * of an unknown type or shape is skipped (its `text`, when it has one, is
 * kept), and nothing here throws.
 */
import {
  type Block,
  isRecord,
  MAX_BLOCK_DEPTH,
  newLink,
  normalizeRichText,
  type RichText,
  RUN_STYLE_BIT,
  type InlineRun as Run,
  runsToInlines,
} from "@parley/bridge";
import {
  broadcastTarget,
  channelTarget,
  type Names,
  namesOf,
  type SlackReadContext,
  usergroupTarget,
  userTarget,
} from "./context.ts";
import { emojiOfName } from "./emoji.ts";

/** The tree of every `rich_text` block in `blocks`, or undefined when there is none. */
export function fromRichTextBlocks(blocks: unknown, ctx?: SlackReadContext): RichText | undefined {
  if (!Array.isArray(blocks)) return undefined;
  const names = namesOf(ctx);
  const out: Block[] = [];
  let found = false;
  for (const block of blocks) {
    if (!isRecord(block) || block.type !== "rich_text" || !Array.isArray(block.elements)) continue;
    found = true;
    for (const b of readElements(block.elements, names)) out.push(b);
  }
  return found ? normalizeRichText({ blocks: out }) : undefined;
}

interface OpenList {
  readonly indent: number;
  readonly ordered: boolean;
  readonly start: number;
  readonly items: Block[][];
}

function readElements(elements: readonly unknown[], names: Names): Block[] {
  const out: Block[] = [];
  // Consecutive list elements make one nested list: each deeper `indent` goes into the last item above it.
  let lists: OpenList[] = [];
  const closeLists = (downTo: number) => {
    while (lists.length > downTo) {
      const l = lists.pop() as OpenList;
      const block: Block = l.ordered
        ? { type: "list", ordered: true, start: l.start, items: l.items }
        : { type: "list", ordered: false, items: l.items };
      const parent = lists[lists.length - 1];
      const lastItem = parent?.items[parent.items.length - 1];
      if (lastItem) lastItem.push(block);
      else out.push(block);
    }
  };
  for (const el of elements) {
    if (!isRecord(el)) continue;
    if (el.type === "rich_text_list" && Array.isArray(el.elements)) {
      const indent = clampInt(el.indent, 0, MAX_BLOCK_DEPTH);
      const ordered = el.style === "ordered";
      while (lists.length > 0) {
        const top = lists[lists.length - 1] as OpenList;
        if (top.indent > indent || (top.indent === indent && top.ordered !== ordered)) closeLists(lists.length - 1);
        else break;
      }
      let top = lists[lists.length - 1];
      if (!top || top.indent < indent) {
        top = { indent, ordered, start: clampInt(el.offset, 0, 1e9) + 1, items: [] };
        lists.push(top);
      }
      for (const item of el.elements) {
        top.items.push([{ type: "paragraph", children: runsToInlines(inlineRuns(item, names)) }]);
      }
      continue;
    }
    closeLists(0);
    lists = [];
    switch (el.type) {
      case "rich_text_section":
        out.push({ type: "paragraph", children: runsToInlines(inlineRuns(el, names)) });
        break;
      case "rich_text_quote":
        out.push({ type: "quote", children: [{ type: "paragraph", children: runsToInlines(inlineRuns(el, names)) }] });
        break;
      case "rich_text_preformatted":
        out.push({ type: "code_block", text: plainOf(el).replace(/\n+$/, "") });
        break;
      default:
        if (typeof el.text === "string") out.push({ type: "paragraph", children: [{ type: "text", text: el.text }] });
    }
  }
  closeLists(0);
  return out;
}

/** The runs of a section, quote or list item. */
function inlineRuns(container: unknown, names: Names): Run[] {
  const out: Run[] = [];
  if (!isRecord(container) || !Array.isArray(container.elements)) return out;
  for (const el of container.elements) {
    if (!isRecord(el)) continue;
    const style = isRecord(el.style) ? el.style : {};
    let styles = 0;
    if (style.bold === true) styles |= RUN_STYLE_BIT.bold;
    if (style.italic === true) styles |= RUN_STYLE_BIT.italic;
    if (style.strike === true) styles |= RUN_STYLE_BIT.strike;
    const code = style.code === true;
    const text = (s: string) => {
      if (s === "") return;
      if (code) {
        out.push({ styles, link: undefined, leaf: { type: "code", text: s.replace(/\n/g, " ") } });
        return;
      }
      // Newlines in a section are line breaks.
      s.split("\n").forEach((part, k) => {
        if (k > 0) out.push({ styles: 0, link: undefined, leaf: { type: "linebreak" } });
        if (part !== "") out.push({ styles, link: undefined, leaf: { type: "text", text: part } });
      });
    };
    switch (el.type) {
      case "text":
        if (typeof el.text === "string") text(el.text);
        break;
      case "link": {
        if (typeof el.url !== "string" || el.url === "") break;
        const label = typeof el.text === "string" && el.text.trim() !== "" ? el.text : undefined;
        if (label === undefined || label === el.url)
          out.push({ styles, link: undefined, leaf: { type: "autolink", url: el.url } });
        else out.push({ styles, link: newLink(el.url), leaf: { type: "text", text: label.replace(/\n/g, " ") } });
        break;
      }
      case "user":
        if (typeof el.user_id === "string")
          out.push({
            styles,
            link: undefined,
            leaf: { type: "mention", name: names.user(el.user_id), target: userTarget(el.user_id) },
          });
        break;
      case "channel":
        if (typeof el.channel_id === "string")
          out.push({
            styles,
            link: undefined,
            leaf: { type: "mention", name: names.channel(el.channel_id), target: channelTarget(el.channel_id) },
          });
        break;
      case "usergroup":
        if (typeof el.usergroup_id === "string")
          out.push({
            styles,
            link: undefined,
            leaf: { type: "mention", name: names.usergroup(el.usergroup_id), target: usergroupTarget(el.usergroup_id) },
          });
        break;
      case "broadcast":
        if (typeof el.range === "string")
          out.push({
            styles,
            link: undefined,
            leaf: { type: "mention", name: el.range, target: broadcastTarget(el.range) },
          });
        break;
      case "emoji": {
        if (typeof el.name !== "string") break;
        const tone = typeof el.skin_tone === "number" ? `::skin-tone-${el.skin_tone}` : "";
        const emoji = emojiOfName(el.name + tone) ?? unicodeOf(el.unicode);
        if (emoji !== undefined) out.push({ styles, link: undefined, leaf: { type: "text", text: emoji } });
        else out.push({ styles, link: undefined, leaf: { type: "emoji", name: el.name } });
        break;
      }
      case "date":
        if (typeof el.fallback === "string") text(el.fallback);
        else if (typeof el.timestamp === "number") text(new Date(el.timestamp * 1000).toISOString());
        break;
      default:
        if (typeof el.text === "string") text(el.text);
    }
  }
  return out;
}

/** Slack's `unicode` field of an emoji: code points in hex joined by `-` (`1f44d`, `1f469-200d-1f4bb`). */
function unicodeOf(raw: unknown): string | undefined {
  if (typeof raw !== "string" || !/^[0-9a-f]{1,6}(?:-[0-9a-f]{1,6}){0,15}$/i.test(raw)) return undefined;
  try {
    return String.fromCodePoint(...raw.split("-").map((h) => Number.parseInt(h, 16)));
  } catch {
    return undefined; // past the last code point: the emoji goes by its name
  }
}

/** The text of a preformatted element: its texts and links' texts, as written. */
function plainOf(el: Record<string, unknown>): string {
  if (!Array.isArray(el.elements)) return "";
  let s = "";
  for (const e of el.elements) {
    if (!isRecord(e)) continue;
    if (typeof e.text === "string") s += e.text;
    else if (typeof e.url === "string") s += e.url;
  }
  return s;
}

function clampInt(v: unknown, min: number, max: number): number {
  return typeof v === "number" && Number.isFinite(v) ? Math.min(max, Math.max(min, Math.trunc(v))) : min;
}
