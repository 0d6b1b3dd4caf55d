import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { toPlainText, toStyling } from "@parley/bridge";
import { CDN } from "discord.js";
import type { GuildDirectory } from "../src/guild-directory.ts";
import { contentOf, excerpt, type IncomingContext, isConversation } from "../src/incoming-message.ts";

/** The directory as the caches would answer: a guild with one role, two channels and Carl. */
const directory = {
  person: (id: string) => (id === "30" ? { id: "30", username: "carl", globalName: "Carl" } : undefined),
  roleName: (_g: string | undefined, id: string) => (id === "5" ? "Mods" : undefined),
  channelName: (id: string) => (id === "7" ? "random" : undefined),
} as unknown as GuildDirectory;

const ctx: IncomingContext = { cdn: new CDN("http://cdn.test"), directory, rehostAttachments: true };
const author = { id: "10", username: "anna" };

const body = (payload: Record<string, unknown>) => {
  const c = contentOf({ type: 0, author, ...payload }, "1", ctx);
  assert.ok(c, "something to relay");
  return toStyling(c.text).body;
};

describe("Discord messages as engine data", () => {
  it("reads markdown into the shared tree", () => {
    assert.equal(
      body({ content: "**bold** *it* __under__ ~~gone~~ ||secret|| `code`" }),
      "*bold* _it_ under ~gone~ ||secret|| `code`",
    );
  });

  it("names mentions from the message's own lists first, then the caches", () => {
    const text = body({
      content: "<@20> <@30> <@99> <@&5> <#7> <#8>",
      mentions: [{ id: "20", username: "bob", global_name: "Bob", member: { nick: "Bobby" } }],
      mention_channels: [{ id: "8", name: "announcements" }],
    });
    assert.equal(text, "@Bobby @Carl @99 @Mods #random #announcements");
  });

  it("links custom emoji to their image, and shows stickers as image links", () => {
    const text = body({
      content: "party <:parrot:123> <a:dance:456>",
      sticker_items: [
        { id: "77", name: "Wave", format_type: 1 },
        { id: "78", name: "Spin", format_type: 4 },
      ],
    });
    assert.match(text, /:parrot: \(http:\/\/cdn\.test\/emojis\/123\.png\)/);
    assert.match(text, /:dance: \(http:\/\/cdn\.test\/emojis\/456\.gif\)/);
    assert.match(text, /Sticker: Wave \(http:\/\/cdn\.test\/stickers\/77\.png\)/);
    // GIF stickers live on Discord's media proxy, as discord.js knows.
    assert.match(text, /Sticker: Spin \(https:\/\/media\.discordapp\.net\/stickers\/78\.gif\)/);
  });

  it("summarizes rich embeds as quotes and skips previews of links already in the text", () => {
    const text = body({
      content: "see https://example.org/page",
      embeds: [
        { type: "link", url: "https://example.org/page", title: "Page title" },
        {
          type: "rich",
          title: "Build passed",
          url: "https://ci.example.org/1",
          description: "All **42** tests",
          fields: [{ name: "Branch", value: "main" }],
          footer: { text: "CI bot" },
        },
      ],
    });
    assert.ok(!text.includes("Page title"), text);
    assert.match(text, /> \*Build passed\* \(https:\/\/ci\.example\.org\/1\)/);
    assert.match(text, /> All \*42\* tests/);
    assert.match(text, /> \*Branch\*: main/);
    assert.match(text, /> CI bot/);
  });

  it("hands attachments over as CDN files, ephemeral unless re-hosting is off", () => {
    const payload = {
      type: 0,
      author,
      content: "",
      attachments: [
        {
          id: "1",
          url: "http://cdn.test/attachments/1/2/cat.png",
          filename: "cat.png",
          size: 10,
          content_type: "image/png",
        },
        { id: "2", url: "javascript:alert(1)", filename: "x" },
      ],
    };
    const c = contentOf(payload, "1", ctx);
    assert.deepEqual(c?.attachments, [
      {
        url: "http://cdn.test/attachments/1/2/cat.png",
        filename: "cat.png",
        contentType: "image/png",
        size: 10,
        ephemeral: true,
      },
    ]);
    assert.equal(contentOf(payload, "1", { ...ctx, rehostAttachments: false })?.attachments[0]?.ephemeral, undefined);
  });

  it("gives a reply the answered message and a short quote of it", () => {
    const c = contentOf(
      {
        type: 19,
        author,
        content: "indeed",
        message_reference: { message_id: "500", channel_id: "2" },
        referenced_message: {
          id: "500",
          type: 0,
          author: { id: "30", username: "carl" },
          content: `**long** ${"word ".repeat(100)}`,
        },
      },
      "1",
      ctx,
    );
    assert.equal(c?.replyTo, "500");
    assert.equal(c?.replyQuote?.authorName, "Carl");
    assert.ok((c?.replyQuote?.text.length ?? 0) <= 200);
    assert.ok(c?.replyQuote?.text.startsWith("long word"));
    const gone = contentOf({ type: 19, author, content: "hm", message_reference: { message_id: "501" } }, "1", ctx);
    assert.equal(gone?.replyTo, "501");
    assert.equal(gone?.replyQuote, undefined);
  });

  it("shows a forwarded message as a quote", () => {
    const text = body({
      content: "",
      message_reference: { type: 1, message_id: "9" },
      message_snapshots: [{ message: { content: "the original", attachments: [] } }],
    });
    assert.equal(text, "> _Forwarded_\n>\n> the original");
  });

  it("relays nothing for an empty message or a system notice", () => {
    assert.equal(contentOf({ type: 0, author, content: "" }, "1", ctx), undefined);
    assert.ok(!isConversation(7), "a member-join notice");
    assert.ok(!isConversation(18), "a thread-created notice");
    assert.ok(isConversation(0) && isConversation(19));
  });

  it("survives hostile payloads", () => {
    const hostile: Record<string, unknown>[] = [
      { content: 5, embeds: "x", attachments: [null, 1], sticker_items: [{}], mentions: [null] },
      { content: "<@", embeds: [{ fields: [{ name: 1 }], description: {} }] },
      { type: 19, content: "x", message_reference: { message_id: "1" }, referenced_message: { author: 5 } },
      { content: `${"> ".repeat(2000)}deep` },
    ];
    for (const p of hostile) {
      const c = contentOf({ type: 0, author, ...p }, "1", ctx);
      if (c) assert.equal(typeof toPlainText(c.text), "string");
    }
    // A reply whose answered message claims to reply too: read one level only.
    let nested: Record<string, unknown> = { id: "0", author, content: "bottom" };
    for (let i = 0; i < 10_000; i++) {
      nested = {
        id: String(i),
        type: 19,
        author,
        content: "x",
        message_reference: { message_id: "0" },
        referenced_message: nested,
      };
    }
    assert.ok(contentOf(nested, "1", ctx));
  });

  it("cuts excerpts by characters, on one line", () => {
    assert.equal(excerpt("a\n b  c", 10), "a b c");
    assert.equal(excerpt("😀".repeat(5), 3), "😀😀…");
  });
});
