/** Slack's markup (mrkdwn and `rich_text` blocks) to and from Parley's rich-text tree, and Slack's emoji names. */
export {
  broadcastTarget,
  channelTarget,
  type SlackReadContext,
  type SlackWriteContext,
  usergroupTarget,
  userTarget,
} from "./context.ts";
export { emojiOfName, reactionEmoji, slackNameOfEmoji } from "./emoji.ts";
export { escapeEntities, unescapeEntities } from "./entities.ts";
export { mentionedIds } from "./mentioned-ids.ts";
export { fromMrkdwn } from "./mrkdwn-read.ts";
export { toMrkdwn } from "./mrkdwn-write.ts";
export { fromRichTextBlocks } from "./rich-text-read.ts";
