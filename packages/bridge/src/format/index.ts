/** The shared rich-text tree and its plain, XMPP (XEP-0393 + XEP-0372) and generic Markdown forms. */
export * from "./ast.ts";
export { fromMarkdown, toMarkdown, writeMarkdown } from "./markdown.ts";
export { type NormalizeOptions, normalizeRichText } from "./normalize.ts";
export { mentionsOf, plainRichText, toPlainText } from "./plain-text.ts";
export { fromStyling, toStyling } from "./styling.ts";
