/**
 * Block layout for writers that produce lines (Markdown, Discord markdown,
 * plain text): blocks one after another, with an empty line only where two
 * would otherwise read as one, and list items under their markers with
 * their other lines indented to the marker's width, the way chat users
 * write lists and every reader here takes them.
 */
import { type Block, needsBlankLine } from "./ast.ts";

export type ListBlock = Extract<Block, { type: "list" }>;

/** How item `index` of `list` is marked: `-`, or its number and a dot. */
export function listItemMarker(list: ListBlock, index: number): string {
  return list.ordered ? `${(list.start ?? 1) + index}.` : "-";
}

/**
 * The lines of consecutive blocks, each block's from `lines`, with an
 * empty line between two blocks where `gap` asks for one (by default
 * where `needsBlankLine` does).
 */
export function blockLines(
  blocks: readonly Block[],
  lines: (b: Block) => readonly string[],
  gap: (prev: Block, next: Block) => boolean = needsBlankLine,
): string[] {
  const out: string[] = [];
  blocks.forEach((b, k) => {
    const prev = blocks[k - 1];
    if (prev !== undefined && gap(prev, b)) out.push("");
    for (const line of lines(b)) out.push(line);
  });
  return out;
}

/**
 * The lines of a list: each item's first line after its marker and a
 * space, its other lines indented by that width (empty lines stay empty).
 * An item with no lines is written as `emptyItem` says, given its marker.
 */
export function listLines(
  list: ListBlock,
  itemLines: (item: readonly Block[]) => readonly string[],
  emptyItem: (marker: string) => string,
): string[] {
  const out: string[] = [];
  list.items.forEach((item, i) => {
    const marker = listItemMarker(list, i);
    const pad = " ".repeat(marker.length + 1);
    const inner = itemLines(item);
    if (inner.length === 0) out.push(emptyItem(marker));
    inner.forEach((l, k) => {
      out.push(k === 0 ? `${marker} ${l}` : l === "" ? "" : pad + l);
    });
  });
  return out;
}
