import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cutText, type RichText } from "@parley/bridge";
import {
  composeDirect,
  composeMessage,
  DISCORD_MESSAGE_LIMIT,
  DISCORD_TEXT_LIMIT,
  directPrefix,
  directTextLength,
  discordTextLength,
  escapeMarkdown,
  jumpLink,
  QUOTE_ROOM,
  replyQuoteLines,
} from "../src/outgoing-message.ts";

const para = (
  ...children: RichText["blocks"][number] extends infer B
    ? B extends { type: "paragraph"; children: infer C }
      ? C
      : never
    : never
): RichText => ({
  blocks: [{ type: "paragraph", children }],
});

describe("XMPP messages as Discord messages", () => {
  it("writes Discord markdown and lets only mentioned Discord users be pinged", () => {
    const c = composeMessage({
      text: para(
        { type: "mention", name: "Bob", target: { network: "discord", remoteId: "20", kind: "user" } },
        { type: "text", text: " and " },
        { type: "mention", name: "Mods", target: { network: "discord", remoteId: "5", kind: "role" } },
        { type: "text", text: " in " },
        { type: "mention", name: "random", target: { network: "discord", remoteId: "7", kind: "channel" } },
        { type: "text", text: ", @everyone, " },
        { type: "mention", name: "eve", target: { jid: "eve@example.org" } },
        { type: "bold", children: [{ type: "text", text: "now" }] },
      ),
    });
    assert.equal(c.content, "<@20> and <@&5> in <#7>, \\@everyone, @eve**now**");
    assert.deepEqual(c.users, ["20"]);
  });

  it("starts a reply with a quote of the answered message and a jump link", () => {
    const quote = replyQuoteLines({
      guildId: "1",
      channelId: "2",
      messageId: "3",
      authorName: "B*b",
      excerpt: "what?",
    });
    assert.equal(quote, "> **@B\\*b**: what?\n> https://discord.com/channels/1/2/3");
    const c = composeMessage({ text: para({ type: "text", text: "answer" }), quote });
    assert.equal(c.content, `${quote}\nanswer`);
    assert.equal(c.quote, quote);
    assert.equal(jumpLink({ channelId: "2", messageId: "3" }), "https://discord.com/channels/@me/2/3");
    assert.equal(
      replyQuoteLines({ channelId: "2", messageId: "3" }),
      "> **↪**\n> https://discord.com/channels/@me/2/3",
    );
  });

  it("puts files that could not be uploaded as links, and allows an empty text with files", () => {
    const c = composeMessage({ text: { blocks: [] }, links: ["https://x.test/big.bin"] });
    assert.equal(c.content, "<https://x.test/big.bin>");
    assert.equal(composeMessage({ text: { blocks: [] }, hasFiles: true }).content, "");
    assert.equal(composeMessage({ text: { blocks: [] } }).content, "\u200b", "Discord refuses an empty message");
  });

  it("marks DMs with the sender, on a line of its own before a block", () => {
    const prefix = directPrefix("al_ice", "al_ice@example.org");
    assert.equal(prefix, "**al\\_ice** (al\\_ice@example.org): ");
    assert.equal(composeDirect({ text: para({ type: "text", text: "hi" }), prefix }).content, `${prefix}hi`);
    const quoted = composeDirect({
      text: { blocks: [{ type: "quote", children: [para({ type: "text", text: "q" }).blocks[0] as never] }] },
      prefix,
    });
    assert.equal(quoted.content, "**al\\_ice** (al\\_ice@example.org):\n> q");
  });

  it("keeps every line of a DM's text under the sender mark, quoted, and marks every part the engine cuts", () => {
    const prefix = directPrefix("alice", "alice@example.org");
    const underMark = (content: string) => {
      const [mark, ...lines] = content.split("\n");
      assert.equal(mark, prefix.trimEnd());
      assert.ok(lines.length > 0 && lines.every((l) => l.startsWith("> ")), content);
    };
    underMark(
      composeDirect({
        text: {
          blocks: [
            { type: "paragraph", children: [{ type: "text", text: "hello" }] },
            {
              type: "paragraph",
              children: [
                { type: "bold", children: [{ type: "text", text: "bob" }] },
                { type: "text", text: " (bob@host): send me your password" },
              ],
            },
          ],
        },
        prefix,
      }).content,
    );
    for (const sep of ["\r", "\u2028"]) {
      underMark(composeDirect({ text: para({ type: "text", text: `hi${sep}**bob** (bob@host): x` }), prefix }).content);
    }
    // A long DM is cut by the engine under the limit the connector declares (`directLimits`): each part fits
    // one Discord message with its mark.
    const long = para({ type: "text", text: "word ".repeat(1000).trim() });
    const limits = { maxTextLength: DISCORD_MESSAGE_LIMIT, textLength: directTextLength(prefix) };
    const parts = cutText(long, limits);
    assert.ok(parts.length >= 2);
    for (const part of parts) {
      const { content } = composeDirect({ text: part, prefix });
      assert.ok(content.startsWith(prefix), content.slice(0, 60));
      assert.ok(content.length <= DISCORD_MESSAGE_LIMIT);
      assert.ok(!content.endsWith("…"), "cut by the engine, not by the connector");
    }
    const lined: RichText = {
      blocks: Array.from({ length: 300 }, (_, i) => ({
        type: "paragraph" as const,
        children: [{ type: "text" as const, text: `line ${i} of a long letter` }],
      })),
    };
    const cut = cutText(lined, limits);
    assert.ok(cut.length >= 2);
    for (const part of cut) {
      const { content } = composeDirect({ text: part, prefix });
      underMark(content);
      assert.ok(content.length <= DISCORD_MESSAGE_LIMIT);
    }
  });

  it("declares a limit under which every part the engine cuts fits one post, the first with the longest reply quote", () => {
    // A room message is cut by the engine (the connector only declares its limit); each part is a post
    // Discord takes, the first one also after the longest quote a reply can start with.
    const text: RichText = {
      blocks: Array.from({ length: 10 }, (_, i) => ({
        type: "paragraph" as const,
        children: [{ type: "text" as const, text: `${i} ${"wo*rd ".repeat(80).trim()}` }],
      })),
    };
    const limits = { maxTextLength: DISCORD_TEXT_LIMIT, textLength: discordTextLength, firstPartRoom: QUOTE_ROOM };
    const parts = cutText(text, limits);
    assert.ok(parts.length >= 3, `${parts.length} parts`);
    const quote = replyQuoteLines({
      guildId: "1".repeat(19),
      channelId: "2".repeat(19),
      messageId: "3".repeat(19),
      authorName: "*".repeat(64),
      excerpt: `${"_".repeat(99)}…`,
    });
    for (const [k, part] of parts.entries()) {
      assert.ok(discordTextLength(part) <= DISCORD_TEXT_LIMIT);
      const content = composeMessage({ text: part, ...(k === 0 && { quote }) }).content;
      assert.ok(content.length <= DISCORD_MESSAGE_LIMIT, `${content.length} characters`);
      assert.ok(!content.endsWith("…"), "nothing cut");
    }
  });

  it("cuts the end of a post only when links to files would take it past 2,000 characters", () => {
    const links = Array.from({ length: 10 }, (_, i) => `https://files.example/${String(i).repeat(300)}`);
    const c = composeMessage({ text: para({ type: "text", text: "see" }), links });
    assert.equal(c.content.length, DISCORD_MESSAGE_LIMIT);
    assert.ok(c.content.startsWith("see\n<https://files.example/0"));
    assert.ok(c.content.endsWith("…"));
  });

  it("escapes names so they cannot format or ping", () => {
    assert.equal(escapeMarkdown("*a* _b_ `c` <@1> @everyone"), "\\*a\\* \\_b\\_ \\`c\\` \\<@1\\> @\u200beveryone");
  });
});
