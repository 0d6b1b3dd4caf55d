/**
 * A Matrix `body` to the rich-text tree. Matrix clients put the Markdown
 * their user typed in `body` (Element sends it next to the HTML it made of
 * it), so it is read as generic Markdown. Two things are Matrix-specific:
 *
 * - a reply fallback (`> <@alice:example.org> quoted text` lines and an
 *   empty line, which clients added before Matrix 1.13) is dropped: the
 *   reply relation says what the message answers;
 * - Markdown's `<@123>` mention syntax means nothing on Matrix, where pills
 *   are HTML, so such text stays text.
 */
import {
  fromMarkdown,
  type Inline,
  mapInlineContent,
  mentionLabel,
  normalizeRichText,
  type RichText,
} from "@parley/bridge";

/** `> <@user:server> ...` (or `> * <@user:server> ...` for an emote); the localpart has no `:`, so no backtracking. */
const FALLBACK_FIRST_LINE = /^> (?:\* )?<@[^\s<>:]+:[^\s<>]+>/;

/** `body` without the reply fallback at its start, if it has one. */
export function stripReplyFallback(body: string): string {
  if (!FALLBACK_FIRST_LINE.test(body)) return body;
  const lines = body.split("\n");
  let k = 0;
  while (k < lines.length && (lines[k] as string).startsWith(">")) k++;
  if (k >= lines.length || lines[k] !== "") return body;
  return lines.slice(k + 1).join("\n");
}

export function readMatrixPlain(body: string): RichText {
  const doc = fromMarkdown(stripReplyFallback(body.replace(/\r\n?/g, "\n")));
  return normalizeRichText({ blocks: mapInlineContent(doc.blocks, (children) => children.map(mentionAsText)) });
}

/** Markdown `<@id>`, `<@&id>` and `<#id>` mentions back to the text they were written as. */
function mentionAsText(n: Inline): Inline {
  if (n.type === "mention") {
    const id = n.target.remoteId ?? n.name;
    const sigil = n.target.kind === "role" ? "@&" : n.target.kind === "channel" ? "#" : "@";
    return { type: "text", text: id === "" ? mentionLabel(n.name, n.target) : `<${sigil}${id}>` };
  }
  if (n.type === "link") return { ...n, children: n.children.map(mentionAsText) };
  if ("children" in n) return { type: n.type, children: n.children.map(mentionAsText) };
  return n;
}
