/**
 * Matrix `org.matrix.custom.html` and `body` to and from the rich-text tree
 * of @parley/bridge. Readers return normalized documents and never throw;
 * `fromMatrixHtml(toMatrixContent(doc).formatted_body)` gives back the
 * document as Matrix carries it (see write.ts).
 */
import { plainRichText, type RichText } from "@parley/bridge";
import type { MatrixReadContext, MatrixWriteContext } from "./context.ts";
import { readMatrixPlain } from "./plain.ts";
import { readMatrixHtml } from "./read.ts";
import { type MatrixContent, writeMatrixContent } from "./write.ts";

export type { MatrixReadContext, MatrixWriteContext } from "./context.ts";
export type { MatrixContent } from "./write.ts";

export function fromMatrixHtml(html: string, ctx: MatrixReadContext = {}): RichText {
  const src = typeof html === "string" ? html : "";
  try {
    return readMatrixHtml(src, ctx ?? {});
  } catch {
    // Not expected (the reader is total), but a message must never be lost to a reader bug.
    return plainRichText(src);
  }
}

/** `body` (plain text with markdown-ish marks, as Matrix clients send for the fallback) -> RichText. */
export function fromMatrixPlain(body: string): RichText {
  const src = typeof body === "string" ? body : "";
  try {
    return readMatrixPlain(src);
  } catch {
    return plainRichText(src); // a reader that fails on hostile input never loses the message: its text as it is
  }
}

/** The event content fields: body (plain fallback) and, when there is any formatting, format + formatted_body. */
export function toMatrixContent(doc: RichText, ctx: MatrixWriteContext = {}): MatrixContent {
  return writeMatrixContent(doc, ctx ?? {});
}
