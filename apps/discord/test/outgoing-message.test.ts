import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RichText } from "@parley/bridge";
import { composeMessage, directPrefix, escapeMarkdown, jumpLink, replyQuoteLines } from "../src/outgoing-message.ts";

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
    assert.deepEqual(c.parts, ["<@20> and <@&5> in <#7>, \\@everyone, @eve**now**"]);
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
    assert.deepEqual(c.parts, [`${quote}\nanswer`]);
    assert.equal(c.quote, quote);
    assert.equal(jumpLink({ channelId: "2", messageId: "3" }), "https://discord.com/channels/@me/2/3");
    assert.equal(
      replyQuoteLines({ channelId: "2", messageId: "3" }),
      "> **↪**\n> https://discord.com/channels/@me/2/3",
    );
  });

  it("puts files that could not be uploaded as links, and allows an empty text with files", () => {
    const c = composeMessage({ text: { blocks: [] }, links: ["https://x.test/big.bin"] });
    assert.deepEqual(c.parts, ["<https://x.test/big.bin>"]);
    assert.deepEqual(composeMessage({ text: { blocks: [] }, hasFiles: true }).parts, [""]);
    assert.deepEqual(composeMessage({ text: { blocks: [] } }).parts, ["\u200b"], "Discord refuses an empty message");
  });

  it("marks DMs with the sender, on a line of its own before a block", () => {
    const prefix = directPrefix("al_ice", "al_ice@example.org");
    assert.equal(prefix, "**al\\_ice** (al\\_ice@example.org): ");
    assert.deepEqual(composeMessage({ text: para({ type: "text", text: "hi" }), prefix }).parts, [`${prefix}hi`]);
    const quoted = composeMessage({
      text: { blocks: [{ type: "quote", children: [para({ type: "text", text: "q" }).blocks[0] as never] }] },
      prefix,
    });
    assert.equal(quoted.parts[0], "**al\\_ice** (al\\_ice@example.org):\n> q");
  });

  it("keeps every line of a DM's text under the sender mark, quoted, and marks every part", () => {
    const prefix = directPrefix("alice", "alice@example.org");
    const forged = composeMessage({
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
    });
    for (const part of forged.parts) {
      const [mark, ...lines] = part.split("\n");
      assert.equal(mark, prefix.trimEnd());
      assert.ok(lines.length > 0 && lines.every((l) => l.startsWith("> ")), part);
    }
    for (const sep of ["\r", "\u2028"]) {
      const one = composeMessage({ text: para({ type: "text", text: `hi${sep}**bob** (bob@host): x` }), prefix });
      assert.ok(
        one.parts.every((p) =>
          p
            .split("\n")
            .slice(1)
            .every((l) => l.startsWith("> ")),
        ),
        JSON.stringify(one.parts),
      );
    }
    const long = composeMessage({ text: para({ type: "text", text: "word ".repeat(1000).trim() }), prefix });
    assert.ok(long.parts.length >= 2);
    for (const part of long.parts) {
      assert.ok(part.startsWith(`${prefix.trimEnd()}\n> `), part.slice(0, 60));
      assert.ok(part.length <= 2000);
    }
  });

  it("splits long messages into parts Discord takes", () => {
    const text: RichText = {
      blocks: Array.from({ length: 10 }, (_, i) => ({
        type: "paragraph" as const,
        children: [{ type: "text" as const, text: `${i} ${"word ".repeat(80).trim()}` }],
      })),
    };
    const c = composeMessage({ text });
    assert.ok(c.parts.length >= 2);
    assert.ok(c.parts.every((p) => p.length > 0 && p.length <= 2000));
  });

  it("escapes names so they cannot format or ping", () => {
    assert.equal(escapeMarkdown("*a* _b_ `c` <@1> @everyone"), "\\*a\\* \\_b\\_ \\`c\\` \\<@1\\> @\u200beveryone");
  });
});
