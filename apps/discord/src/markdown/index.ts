/**
 * Discord's markdown to and from Parley's rich-text tree, and the cutting
 * of long messages into parts Discord accepts.
 */
export type { DiscordReadContext, DiscordWriteContext } from "./context.ts";
export { fromDiscordMarkdown } from "./read.ts";
export { toDiscordMarkdown, type WrittenMarkdown, writeDiscordMarkdown } from "./write.ts";
