/** The rich-text tree as Discord markdown: escaping, mentions, blocks, and what Discord cannot show. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Block, type Inline, type MentionTarget, normalizeRichText, type RichText } from "@parley/bridge";
import {
  type DiscordReadContext,
  type DiscordWriteContext,
  fromDiscordMarkdown,
  toDiscordMarkdown,
  writeDiscordMarkdown,
} from "../src/markdown/index.ts";

const readCtx: DiscordReadContext = {
  resolveUser: (id) => (id === "42" ? "Bob" : undefined),
  resolveRole: () => undefined,
  resolveChannel: () => undefined,
  emojiUrl: (id) => `https://cdn.example/${id}.png`,
};
const discordMentions: DiscordWriteContext = {
  mentionOf: (target: MentionTarget) => {
    if (target.network !== "discord") return undefined;
    if (target.kind === "everyone") return `@${target.remoteId ?? "everyone"}`;
    const sigil = target.kind === "role" ? "@&" : target.kind === "channel" ? "#" : "@";
    return `<${sigil}${target.remoteId}>`;
  },
};

const read = (s: string) => fromDiscordMarkdown(s, readCtx);
const t = (text: string): Inline => ({ type: "text", text });
const b = (...children: Inline[]): Inline => ({ type: "bold", children });
const i = (...children: Inline[]): Inline => ({ type: "italic", children });
const br: Inline = { type: "linebreak" };
const link = (url: string, ...children: Inline[]): Inline => ({ type: "link", url, children });
const p = (...children: Inline[]): Block => ({ type: "paragraph", children });
const doc = (...blocks: Block[]): RichText => ({ blocks });

describe("toDiscordMarkdown: text", () => {
  it("escapes every character that Discord would read as markup", () => {
    const text = "*not bold* _nor this_ 2*3 a~~b~~ ||x|| `c` [l](https://x.example) <@42> \\o/ ¯\\_(ツ)_/¯";
    const md = toDiscordMarkdown(doc(p(t(text))));
    assert.equal(
      md,
      "\\*not bold\\* \\_nor this\\_ 2\\*3 a\\~\\~b\\~\\~ \\|\\|x\\|\\| \\`c\\` \\[l\\](https\\://x.example) \\<@42> \\\\o/ ¯\\\\\\_(ツ)\\_/¯",
    );
    assert.deepEqual(read(md), doc(p(t(text))));
  });

  it("keeps text from pinging: @everyone, @here and URLs stay text", () => {
    const md = toDiscordMarkdown(doc(p(t("hey @everyone and @here, see http://x.example"))));
    assert.equal(md, "hey \\@everyone and \\@here, see http\\://x.example");
    assert.deepEqual(read(md), doc(p(t("hey @everyone and @here, see http://x.example"))));
  });

  it("escapes block markers at the start of lines only", () => {
    const lines = ["# not a heading", "> not a quote", "- not a list", "1. not a list", "-# not subtext", "+ plus"];
    const d = doc(p(...lines.flatMap((l, k) => (k === 0 ? [t(l)] : [br, t(l)]))));
    const md = toDiscordMarkdown(d);
    assert.equal(md, "\\# not a heading\n\\> not a quote\n\\- not a list\n1\\. not a list\n\\-# not subtext\n\\+ plus");
    assert.deepEqual(read(md), d);
  });

  it("writes styles with delimiters that read back, choosing _ or * for italic", () => {
    const d = doc(
      p(
        b(t("bold")),
        t(" "),
        i(t("it")),
        t(" x"),
        i(t("in")),
        t("word "),
        b(i(t("both"))),
        t(" "),
        { type: "underline", children: [i(t("ui"))] },
        t(" "),
        { type: "strike", children: [t("s")] },
        t(" "),
        { type: "spoiler", children: [t("sp")] },
      ),
    );
    const md = toDiscordMarkdown(d);
    assert.equal(md, "**bold** _it_ x*in*word **_both_** *__ui__* ~~s~~ ||sp||");
    assert.deepEqual(read(md), normalizeRichText(d));
  });

  it("writes inline code with a fence its content needs, padding backticks at the ends", () => {
    const cases: Array<[string, string]> = [
      ["plain", "`plain`"],
      ["a`b", "``a`b``"],
      ["`edge`", "`` `edge` ``"],
      ["a``b", "``a`\u200b`b``"],
    ];
    for (const [text, written] of cases) {
      const md = toDiscordMarkdown(doc(p({ type: "code", text })));
      assert.equal(md, written);
      assert.deepEqual(read(md), doc(p({ type: "code", text })), written);
    }
  });

  it("writes links bare where they read back whole, else in angle brackets or masked", () => {
    const d = doc(
      p(
        link("https://x.example/a"),
        t(" "),
        link("https://x.example/end."),
        t(" "),
        link("https://y.example"),
        t("glued "),
        link("https://z.example/(1)", t("label "), b(t("bold"))),
        t(" "),
        link("https://z.example/a)b", t("odd")),
      ),
    );
    const md = toDiscordMarkdown(d);
    assert.equal(
      md,
      "https://x.example/a <https://x.example/end.> <https://y.example>glued [label **bold**](https://z.example/(1)) [odd](https://z.example/a\\)b)",
    );
    assert.deepEqual(read(md), d);
  });

  it("writes links Discord cannot open as text with their URL", () => {
    const md = toDiscordMarkdown(
      doc(p(link("xmpp:room@muc.example?join", t("the room")), t(" "), link("mailto:a@b.example"))),
    );
    assert.equal(md, "the room (xmpp:room@muc.example?join) mailto:a@b.example");
  });
});

describe("toDiscordMarkdown: mentions and emoji", () => {
  const mentions = p(
    { type: "mention", name: "Bob", target: { network: "discord", remoteId: "42", kind: "user" } },
    t(" "),
    { type: "mention", name: "anna", target: { jid: "anna@example.org" } },
    t(" "),
    { type: "mention", name: "general", target: { network: "discord", remoteId: "9", kind: "channel" } },
    t(" "),
    { type: "mention", name: "everyone", target: { network: "discord", remoteId: "everyone", kind: "everyone" } },
  );

  it("writes mentions through the context, and the others as @name text", () => {
    assert.equal(toDiscordMarkdown(doc(mentions), discordMentions), "<@42> @anna <#9> @everyone");
  });

  it("writes every mention as text without a context, with nothing that pings", () => {
    const md = toDiscordMarkdown(doc(mentions));
    assert.equal(md, "@Bob @anna #general \\@everyone");
    assert.deepEqual(read(md), doc(p(t("@Bob @anna #general @everyone"))));
  });

  it("survives a context that throws", () => {
    const md = toDiscordMarkdown(doc(mentions), {
      mentionOf: () => {
        throw new Error("no directory");
      },
    });
    assert.equal(md, "@Bob @anna #general \\@everyone");
  });

  it("reads its own mentions back as the same Discord mentions", () => {
    const bob: Inline = { type: "mention", name: "Bob", target: { network: "discord", remoteId: "42", kind: "user" } };
    const md = toDiscordMarkdown(doc(p(b(bob))), discordMentions);
    assert.equal(md, "**<@42>**");
    assert.deepEqual(read(md), doc(p(b(bob))));
  });

  it("writes custom emoji as :name:", () => {
    const md = toDiscordMarkdown(doc(p({ type: "emoji", name: "party_blob", url: "https://x.example/e.png" })));
    assert.equal(md, ":party\\_blob:");
  });
});

describe("toDiscordMarkdown: blocks", () => {
  it("writes headings, clamping levels below 3", () => {
    const d = doc(
      { type: "heading", level: 1, children: [t("One")] },
      { type: "heading", level: 5, children: [t("Five "), i(t("it"))] },
    );
    assert.equal(toDiscordMarkdown(d), "# One\n### Five _it_");
  });

  it("fences code blocks, keeping a language Discord reads and dropping others", () => {
    const d = doc(
      { type: "code_block", lang: "ts", text: "let a = `x`;\n\n  indented" },
      { type: "code_block", lang: "weird/lang", text: "x" },
      { type: "code_block", text: "" },
    );
    const md = toDiscordMarkdown(d);
    assert.equal(md, "```ts\nlet a = `x`;\n\n  indented\n```\n```\nx\n```");
    assert.deepEqual(read(md), doc(d.blocks[0] as Block, { type: "code_block", text: "x" }));
  });

  it("keeps code that holds ``` whole, with the backtick runs broken up", () => {
    const d = doc({ type: "code_block", lang: "md", text: "```js\nx\n```\n`\u200b`" });
    const md = toDiscordMarkdown(d);
    assert.ok(!md.slice(3, -3).includes("```"), md);
    assert.deepEqual(read(md), d);
  });

  it("writes quotes line by line and folds a quote inside a quote into it", () => {
    const d = doc(
      { type: "quote", children: [p(t("a"), br, t("b")), { type: "quote", children: [p(t("inner"))] }] },
      p(t("after")),
    );
    const md = toDiscordMarkdown(d);
    assert.equal(md, "> a\n> b\n> \n> inner\nafter");
    assert.deepEqual(read(md), doc({ type: "quote", children: [p(t("a"), br, t("b")), p(t("inner"))] }, p(t("after"))));
  });

  it("writes lists with their items' other lines indented, and an empty line after a list", () => {
    const d = doc(
      {
        type: "list",
        ordered: true,
        start: 9,
        items: [
          [p(t("nine")), { type: "list", ordered: false, items: [[p(t("sub"))]] }],
          [p(t("ten")), p(t("more ten")), { type: "code_block", text: "code" }],
        ],
      },
      p(t("after")),
    );
    const md = toDiscordMarkdown(d);
    assert.equal(md, "9. nine\n   - sub\n10. ten\n\n    more ten\n    ```\n    code\n    ```\n\nafter");
    assert.deepEqual(read(md), d);
  });

  it("separates paragraphs, quotes and lists of the same kind with an empty line", () => {
    const d = doc(
      p(t("a")),
      p(t("b")),
      { type: "quote", children: [p(t("q1"))] },
      { type: "quote", children: [p(t("q2"))] },
    );
    const md = toDiscordMarkdown(d);
    assert.equal(md, "a\n\nb\n> q1\n\n> q2");
    assert.deepEqual(read(md), d);
  });

  it("says when a document had no exact spelling, and keeps its text", () => {
    // Italic that starts right after a bold word and ends inside a word, around bold: `_` cannot close
    // before a letter, and `*` next to `**` pairs differently.
    const d = doc(p(b(t("a")), i(t("b"), b(t("c"))), t("d")));
    const w = writeDiscordMarkdown(d);
    assert.equal(w.exact, false);
    assert.equal(w.text, "**a**b**c**d");
    assert.deepEqual(read(w.text), doc(p(b(t("a")), t("b"), b(t("c")), t("d"))));
  });

  it("writes nothing for an empty or malformed document", () => {
    assert.equal(toDiscordMarkdown(doc()), "");
    assert.equal(toDiscordMarkdown({} as RichText), "");
    assert.equal(toDiscordMarkdown({ blocks: [{ type: "nope" } as unknown as Block, p(t("ok"))] }), "ok");
  });
});
