/** Slack's mrkdwn and rich_text blocks read into the shared tree: every construct the bridge relays. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Inline, RichText } from "@parley/bridge";
import { fromMrkdwn, fromRichTextBlocks, type SlackReadContext } from "../src/format/index.ts";

const ctx: SlackReadContext = {
  user: (id) => ({ U1: "Anna", U2: "Bob" })[id],
  channel: (id) => ({ C1: "general" })[id],
  usergroup: (id) => ({ S1: "admins" })[id],
};
const para = (...children: Inline[]): RichText => ({
  blocks: [{ type: "paragraph" as const, children }],
});

describe("mrkdwn", () => {
  it("reads bold, italic, strike and code", () => {
    assert.deepEqual(
      fromMrkdwn("*bold* _it_ ~gone~ `x*y`", ctx),
      para(
        { type: "bold", children: [{ type: "text", text: "bold" }] },
        { type: "text", text: " " },
        { type: "italic", children: [{ type: "text", text: "it" }] },
        { type: "text", text: " " },
        { type: "strike", children: [{ type: "text", text: "gone" }] },
        { type: "text", text: " " },
        { type: "code", text: "x*y" },
      ),
    );
  });

  it("leaves snake_case, 2*3*4 and unclosed delimiters as text", () => {
    assert.deepEqual(
      fromMrkdwn("snake_case_name 2*3*4 *open", ctx),
      para({ type: "text", text: "snake_case_name 2*3*4 *open" }),
    );
  });

  it("does not carry styles across a line break", () => {
    assert.deepEqual(
      fromMrkdwn("*a\nb*", ctx),
      para({ type: "text", text: "*a" }, { type: "linebreak" }, { type: "text", text: "b*" }),
    );
  });

  it("undoes &amp; &lt; &gt; and reads links, mentions and broadcasts", () => {
    assert.deepEqual(
      fromMrkdwn(
        "a &lt;b&gt; &amp;amp; <https://x.org/?a=1&amp;b=2|the site> <@U1> <#C1|general> <!subteam^S1|@admins> <!here> <@U9>",
        ctx,
      ),
      para(
        { type: "text", text: "a <b> &amp; " },
        { type: "link", url: "https://x.org/?a=1&b=2", children: [{ type: "text", text: "the site" }] },
        { type: "text", text: " " },
        { type: "mention", name: "Anna", target: { network: "slack", remoteId: "U1", kind: "user" } },
        { type: "text", text: " " },
        { type: "mention", name: "general", target: { network: "slack", remoteId: "C1", kind: "channel" } },
        { type: "text", text: " " },
        { type: "mention", name: "admins", target: { network: "slack", remoteId: "S1", kind: "role" } },
        { type: "text", text: " " },
        { type: "mention", name: "here", target: { network: "slack", remoteId: "here", kind: "everyone" } },
        { type: "text", text: " " },
        { type: "mention", name: "U9", target: { network: "slack", remoteId: "U9", kind: "user" } },
      ),
    );
  });

  it("turns known shortcodes into emoji and keeps custom ones by name", () => {
    assert.deepEqual(
      fromMrkdwn("ok :+1: :thumbsup::skin-tone-3: :partyparrot:", ctx),
      para({ type: "text", text: "ok 👍 👍🏼 " }, { type: "emoji", name: "partyparrot" }),
    );
  });

  it("reads quotes (escaped as Slack sends them) and code blocks", () => {
    assert.deepEqual(fromMrkdwn("&gt; quoted *b*\n&gt; more\nafter\n```\nlet a = 1 &lt; 2;\n```", ctx), {
      blocks: [
        {
          type: "quote",
          children: [
            {
              type: "paragraph",
              children: [
                { type: "text", text: "quoted " },
                { type: "bold", children: [{ type: "text", text: "b" }] },
                { type: "linebreak" },
                { type: "text", text: "more" },
              ],
            },
          ],
        },
        { type: "paragraph", children: [{ type: "text", text: "after" }] },
        { type: "code_block", text: "let a = 1 < 2;" },
      ],
    });
  });

  it("quotes the rest of the message after >>>", () => {
    assert.deepEqual(fromMrkdwn("intro\n&gt;&gt;&gt; one\n\ntwo", ctx), {
      blocks: [
        { type: "paragraph", children: [{ type: "text", text: "intro" }] },
        {
          type: "quote",
          children: [
            { type: "paragraph", children: [{ type: "text", text: "one" }] },
            { type: "paragraph", children: [{ type: "text", text: "two" }] },
          ],
        },
      ],
    });
  });
});

describe("rich_text blocks", () => {
  it("reads sections, styles, links, mentions and emoji", () => {
    const doc = fromRichTextBlocks(
      [
        {
          type: "rich_text",
          elements: [
            {
              type: "rich_text_section",
              elements: [
                { type: "text", text: "hi ", style: {} },
                { type: "text", text: "all", style: { bold: true, italic: true } },
                { type: "text", text: " " },
                { type: "user", user_id: "U2" },
                { type: "text", text: " " },
                { type: "link", url: "https://x.org", text: "x" },
                { type: "text", text: " " },
                { type: "emoji", name: "tada", unicode: "1f389" },
                { type: "emoji", name: "custom_one" },
                { type: "text", text: " run", style: { code: true } },
                { type: "broadcast", range: "channel" },
              ],
            },
          ],
        },
      ],
      ctx,
    );
    assert.deepEqual(
      doc,
      para(
        { type: "text", text: "hi " },
        { type: "bold", children: [{ type: "italic", children: [{ type: "text", text: "all" }] }] },
        { type: "text", text: " " },
        { type: "mention", name: "Bob", target: { network: "slack", remoteId: "U2", kind: "user" } },
        { type: "text", text: " " },
        { type: "link", url: "https://x.org", children: [{ type: "text", text: "x" }] },
        { type: "text", text: " 🎉" },
        { type: "emoji", name: "custom_one" },
        { type: "code", text: " run" },
        { type: "mention", name: "channel", target: { network: "slack", remoteId: "channel", kind: "everyone" } },
      ),
    );
  });

  it("nests lists by indent and reads quotes and preformatted text", () => {
    const item = (text: string) => ({ type: "rich_text_section", elements: [{ type: "text", text }] });
    const doc = fromRichTextBlocks([
      {
        type: "rich_text",
        elements: [
          { type: "rich_text_list", style: "bullet", indent: 0, elements: [item("a"), item("b")] },
          { type: "rich_text_list", style: "ordered", indent: 1, offset: 2, elements: [item("b1")] },
          { type: "rich_text_list", style: "bullet", indent: 0, elements: [item("c")] },
          { type: "rich_text_quote", elements: [{ type: "text", text: "said" }] },
          { type: "rich_text_preformatted", elements: [{ type: "text", text: "code <x>\n" }] },
        ],
      },
    ]);
    const p = (text: string) => ({ type: "paragraph", children: [{ type: "text", text }] });
    assert.deepEqual(doc, {
      blocks: [
        {
          type: "list",
          ordered: false,
          items: [[p("a")], [p("b"), { type: "list", ordered: true, start: 3, items: [[p("b1")]] }], [p("c")]],
        },
        { type: "quote", children: [p("said")] },
        { type: "code_block", text: "code <x>" },
      ],
    });
  });

  it("is undefined without a rich_text block, so the mrkdwn text is read instead", () => {
    assert.equal(fromRichTextBlocks([{ type: "section", text: { type: "mrkdwn", text: "x" } }]), undefined);
    assert.equal(fromRichTextBlocks(undefined), undefined);
  });
});
