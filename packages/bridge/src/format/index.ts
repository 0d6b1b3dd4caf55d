/** The shared rich-text tree and its plain, XMPP (XEP-0393 + XEP-0372) and generic Markdown forms. */
export * from "./ast.ts";
export { fromMarkdown, toMarkdown } from "./markdown.ts";
export { type NormalizeOptions, normalizeRichText } from "./normalize.ts";
export { mentionsOf, plainRichText, toPlainText } from "./plain-text.ts";
export { fromStyling, toStyling } from "./styling.ts";

/*
 * The parts a connector's own converters are built from, so that a
 * network's markup (Discord's markdown, Matrix HTML, ...) is read and
 * written with the same machinery as the formats above instead of a copy
 * of it. Names are qualified here where the module's own are too short
 * for a package-wide namespace (`Run` is `InlineRun`).
 */

/** Where a `<...>` token (Discord's, Slack's markup) closes. */
export { angleTokenClose } from "./angle-brackets.ts";
/** Block layout for writers of lines: gaps between blocks, list markers and indentation. */
export { blockLines, type ListBlock, listLines } from "./block-lines.ts";
/**
 * Inline content as flat runs (each leaf with its styles and link) and back:
 * flatten a tree, tidy the runs, rebuild a tree in a chosen wrapper order.
 */
export {
  buildTree,
  canonicalTree,
  flattenInlines,
  type Leaf as RunLeaf,
  type LinkSpan as RunLink,
  newLink,
  type Run as InlineRun,
  type RunTree,
  runsToInlines,
  STYLE_BIT as RUN_STYLE_BIT,
  type TreeOptions,
  treeInlines,
  trimRunLineEdges,
  type WrapperOrder,
} from "./inline-runs.ts";
/** A Markdown-like inline reader (delimiter runs, links, code spans) into which a dialect plugs its own constructs. */
export {
  type InlineDialect,
  type InlineTokenSink,
  type LinkTarget,
  linkDestination,
  readInlineRuns,
} from "./inline-tokens.ts";
/** The writing half of a Markdown-like dialect: italic spelling, text escaping. */
export {
  escapeMarkupText,
  ITALIC_MODES,
  type ItalicMode,
  type MarkupPiece,
  resolveItalics,
  STYLE_DELIMITER,
} from "./markup-pieces.ts";
/** Character tests every reader and writer asks the same way. */
export {
  characterAt,
  characterBefore,
  isBlankLine,
  isSpaceChar,
  isWordChar,
  removeEscapes,
  trimBlanks,
} from "./text-chars.ts";
/** Where bare http(s) URLs start and end in running text. */
export { bareUrlEnd } from "./urls.ts";
