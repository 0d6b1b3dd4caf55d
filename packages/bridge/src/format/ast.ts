/**
 * The one rich-text tree every network's markup converts to and from. XMPP
 * styling (XEP-0393), Discord markdown, Slack mrkdwn and Matrix HTML each get
 * a reader and a writer for it; nothing converts markup to markup directly,
 * so N networks need 2N converters, not N².
 *
 * Readers return documents in the normal form of `normalizeRichText`, so two
 * readings of the same content compare equal with `deepStrictEqual`.
 */

export interface MentionTarget {
  readonly jid?: string;
  readonly network?: string;
  readonly remoteId?: string;
  readonly kind?: "user" | "role" | "channel" | "everyone";
}

export type InlineStyle = "bold" | "italic" | "underline" | "strike" | "spoiler";

export type Inline =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: InlineStyle; readonly children: Inline[] }
  | { readonly type: "code"; readonly text: string }
  /** `children` empty (or equal to the URL) is a bare link. */
  | { readonly type: "link"; readonly url: string; readonly children: Inline[] }
  /** `name` is what is shown, without a leading @. */
  | { readonly type: "mention"; readonly name: string; readonly target: MentionTarget }
  /** A custom emoji, `:name:`, with the URL of its image when there is one. */
  | { readonly type: "emoji"; readonly name: string; readonly url?: string }
  | { readonly type: "linebreak" };

export type Block =
  | { readonly type: "paragraph"; readonly children: Inline[] }
  | { readonly type: "code_block"; readonly lang?: string; readonly text: string }
  | { readonly type: "quote"; readonly children: Block[] }
  | { readonly type: "heading"; readonly level: 1 | 2 | 3 | 4 | 5 | 6; readonly children: Inline[] }
  | { readonly type: "list"; readonly ordered: boolean; readonly start?: number; readonly items: Block[][] };

export interface RichText {
  readonly blocks: Block[];
}

/**
 * Quotes and lists nest at most this deep. Readers take deeper markers as
 * text and `normalizeRichText` flattens deeper containers, so hostile input
 * can never make a later recursive walk overflow the stack.
 */
export const MAX_BLOCK_DEPTH = 32;

/**
 * Whether two consecutive blocks need an empty line between them when
 * written as lines: two paragraphs, two quotes or two lists would otherwise
 * read back as one. Everywhere else a new block starts on the next line, as
 * chat users write (`Shopping:` then `- milk`), and no gap is added.
 */
export function needsBlankLine(prev: Block, next: Block): boolean {
  return prev.type === next.type && (prev.type === "paragraph" || prev.type === "quote" || prev.type === "list");
}

/** How a mention reads as text: `@name`, or `#name` for a channel (never doubled). */
export function mentionLabel(name: string, target: MentionTarget): string {
  const sigil = target.kind === "channel" ? "#" : "@";
  return name.startsWith(sigil) ? name : sigil + name;
}

/**
 * `blocks` with the inline content of every paragraph and heading, at any
 * depth, replaced by `f` of it; code blocks stay as they are. For a
 * connector that reduces a document to what its network shows. It recurses
 * once per container level, so give it documents nested no deeper than
 * MAX_BLOCK_DEPTH, as `normalizeRichText` and every reader return them.
 */
export function mapInlineContent(blocks: readonly Block[], f: (children: Inline[]) => Inline[]): Block[] {
  return blocks.map((b): Block => {
    switch (b.type) {
      case "paragraph":
      case "heading":
        return { ...b, children: f(b.children) };
      case "quote":
        return { type: "quote", children: mapInlineContent(b.children, f) };
      case "list":
        return { ...b, items: b.items.map((item) => mapInlineContent(item, f)) };
      default:
        return b;
    }
  });
}
