/**
 * A rich-text tree as Discord markdown: the inverse of `fromDiscordMarkdown`
 * for everything Discord can show (see discord-view.ts for what it cannot).
 *
 * Headings are `#` to `###`, quotes `> ` on every line, code blocks fenced
 * with ``` (backtick runs inside broken up, see code-text.ts), list items
 * `- ` or `1. ` with their other lines indented under the marker. A list
 * is followed by an empty line when anything comes after it, because
 * Discord would otherwise carry on the last item with the next line.
 */
import { type Block, blockLines, listLines, needsBlankLine, type RichText } from "@parley/bridge";
import { encodeBackticks } from "./code-text.ts";
import type { DiscordWriteContext } from "./context.ts";
import { discordView } from "./discord-view.ts";
import { writeInline } from "./inline-write.ts";

export interface WrittenMarkdown {
  readonly text: string;
  /**
   * False when some inline content had no spelling that reads back exactly
   * and lost its italic (rare: italic around bold inside a word).
   */
  readonly exact: boolean;
}

export function toDiscordMarkdown(doc: RichText, ctx?: DiscordWriteContext): string {
  return writeDiscordMarkdown(doc, ctx).text;
}

/** `toDiscordMarkdown`, also telling whether every inline part reads back exactly. */
export function writeDiscordMarkdown(doc: RichText, ctx?: DiscordWriteContext): WrittenMarkdown {
  const w = new BlockWriter();
  const text = w.blocks(discordView(doc, ctx).blocks).join("\n");
  return { text, exact: w.exact };
}

class BlockWriter {
  exact = true;

  blocks(blocks: readonly Block[]): string[] {
    return blockLines(
      blocks,
      (b) => this.block(b),
      (prev, next) => needsBlankLine(prev, next) || prev.type === "list",
    );
  }

  private inline(children: Parameters<typeof writeInline>[0], lineStart: boolean): string {
    const w = writeInline(children, lineStart);
    if (!w.exact) this.exact = false;
    return w.text;
  }

  private block(b: Block): string[] {
    switch (b.type) {
      case "paragraph":
        return this.inline(b.children, true).split("\n");
      case "heading":
        return [`${"#".repeat(Math.min(b.level, 3))} ${this.inline(b.children, false)}`];
      case "code_block":
        return [`\`\`\`${b.lang ?? ""}`, ...encodeBackticks(b.text).split("\n"), "```"];
      case "quote":
        return this.blocks(b.children).map((l) => `> ${l}`);
      case "list":
        return listLines(
          b,
          (item) => this.blocks(item),
          (marker) => `${marker} `,
        );
    }
  }
}
