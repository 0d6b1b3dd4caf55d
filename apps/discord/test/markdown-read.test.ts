/** Discord markdown as the rich-text tree: what each piece of syntax reads as. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Block, type Inline, normalizeRichText, type RichText } from "@parley/bridge";
import { type DiscordReadContext, fromDiscordMarkdown } from "../src/markdown/index.ts";

const ctx: DiscordReadContext = {
  resolveUser: (id) => ({ "80351110224678912": "Anna", "42": "Bob" })[id],
  resolveRole: (id) => (id === "7" ? "Mods" : undefined),
  resolveChannel: (id) => (id === "9" ? "general" : undefined),
  emojiUrl: (id, animated) => `https://cdn.discordapp.com/emojis/${id}.${animated ? "gif" : "png"}`,
};

const read = (s: string) => fromDiscordMarkdown(s, ctx);
const t = (text: string): Inline => ({ type: "text", text });
const b = (...children: Inline[]): Inline => ({ type: "bold", children });
const i = (...children: Inline[]): Inline => ({ type: "italic", children });
const u = (...children: Inline[]): Inline => ({ type: "underline", children });
const br: Inline = { type: "linebreak" };
const code = (text: string): Inline => ({ type: "code", text });
const link = (url: string, ...children: Inline[]): Inline => ({ type: "link", url, children });
const p = (...children: Inline[]): Block => ({ type: "paragraph", children });
const doc = (...blocks: Block[]): RichText => ({ blocks });
const user = (name: string, id: string): Inline => ({
  type: "mention",
  name,
  target: { network: "discord", remoteId: id, kind: "user" },
});

describe("fromDiscordMarkdown: inline", () => {
  const cases: Array<[string, Inline[]]> = [
    [
      "**bold** *it* _it_ __under__ ~~gone~~ ||secret||",
      [
        b(t("bold")),
        t(" "),
        i(t("it")),
        t(" "),
        i(t("it")),
        t(" "),
        u(t("under")),
        t(" "),
        { type: "strike", children: [t("gone")] },
        t(" "),
        { type: "spoiler", children: [t("secret")] },
      ],
    ],
    ["***both*** ___both___", [b(i(t("both"))), t(" "), i(u(t("both")))]],
    ["**a *b* c**", [b(t("a "), i(t("b")), t(" c"))]],
    ["`code` ``a`b`` `` `x` ``", [code("code"), t(" "), code("a`b"), t(" "), code("`x`")]],
    ["`**not bold**` `a\\`", [code("**not bold**"), t(" "), code("a\\")]],
    [
      "snake_case_name, 2 * 3 * 4, a*b*c, ~one~ |pipe|",
      [t("snake_case_name, 2 * 3 * 4, a"), i(t("b")), t("c, ~one~ |pipe|")],
    ],
    ["**unclosed *also `nope [no](", [t("**unclosed *also `nope [no](")]],
    ["line one\nline **two**", [t("line one"), br, t("line "), b(t("two"))]],
    ["**bold\nacross** lines", [b(t("bold")), br, b(t("across")), t(" lines")]],
    ["\\*not\\* \\_x\\_ \\<@42> \\@everyone \\😀 \\a", [t("*not* _x_ <@42> @everyone 😀 \\a")]],
    ["¯\\_(ツ)_/¯ and *¯\\_(ツ)_/¯*", [t("¯\\_(ツ)_/¯ and "), i(t("¯\\_(ツ)_/¯"))]],
  ];
  for (const [src, inlines] of cases) {
    it(JSON.stringify(src), () => assert.deepEqual(read(src), doc(p(...inlines))));
  }
});

describe("fromDiscordMarkdown: links", () => {
  it("reads masked links, <url> links and bare URLs, with trailing punctuation outside", () => {
    assert.deepEqual(
      read(
        "[the **docs**](https://x.example/a_(b)) <https://y.example> see https://z.example/a_b_c, (https://w.example/p)!",
      ),
      doc(
        p(
          link("https://x.example/a_(b)", t("the "), b(t("docs"))),
          t(" "),
          link("https://y.example"),
          t(" see "),
          link("https://z.example/a_b_c"),
          t(", ("),
          link("https://w.example/p"),
          t(")!"),
        ),
      ),
    );
  });

  it("reads escaped destinations and the <url> form inside a masked link", () => {
    assert.deepEqual(
      read("[a](https://x.example/\\(1) [b](<https://y.example/q>)"),
      doc(p(link("https://x.example/(1", t("a")), t(" "), link("https://y.example/q", t("b")))),
    );
  });

  it("links only http(s): other schemes stay text, and a link with no label is its bare URL", () => {
    assert.deepEqual(
      read("[mail](mailto:a@b.example) <xmpp:room@muc.example> [](https://x.example)"),
      doc(p(t("[mail](mailto:a@b.example) <xmpp:room@muc.example> []("), link("https://x.example"), t(")"))),
    );
  });

  it("a masked link whose text is its URL is a bare link", () => {
    assert.deepEqual(read("[https://x.example](https://x.example)"), doc(p(link("https://x.example"))));
  });
});

describe("fromDiscordMarkdown: mentions, emoji and timestamps", () => {
  it("resolves user, role and channel mentions through the context, falling back to the id", () => {
    assert.deepEqual(
      read("<@80351110224678912> <@!42> <@123> <@&7> <#9> <#10>"),
      doc(
        p(
          user("Anna", "80351110224678912"),
          t(" "),
          user("Bob", "42"),
          t(" "),
          user("123", "123"),
          t(" "),
          { type: "mention", name: "Mods", target: { network: "discord", remoteId: "7", kind: "role" } },
          t(" "),
          { type: "mention", name: "general", target: { network: "discord", remoteId: "9", kind: "channel" } },
          t(" "),
          { type: "mention", name: "10", target: { network: "discord", remoteId: "10", kind: "channel" } },
        ),
      ),
    );
  });

  it("reads @everyone and @here as mentions of everyone, telling them apart by remoteId", () => {
    assert.deepEqual(
      read("@everyone look, @here too"),
      doc(
        p(
          { type: "mention", name: "everyone", target: { network: "discord", remoteId: "everyone", kind: "everyone" } },
          t(" look, "),
          { type: "mention", name: "here", target: { network: "discord", remoteId: "here", kind: "everyone" } },
          t(" too"),
        ),
      ),
    );
  });

  it("reads custom emoji with the URL the context gives, static and animated", () => {
    assert.deepEqual(
      read("<:blob:111> <a:dance:222>"),
      doc(
        p({ type: "emoji", name: "blob", url: "https://cdn.discordapp.com/emojis/111.png" }, t(" "), {
          type: "emoji",
          name: "dance",
          url: "https://cdn.discordapp.com/emojis/222.gif",
        }),
      ),
    );
  });

  it("survives a context that throws or answers nonsense", () => {
    const broken: DiscordReadContext = {
      resolveUser: () => {
        throw new Error("cache down");
      },
      resolveRole: () => "",
      resolveChannel: () => 42 as unknown as string,
      emojiUrl: () => {
        throw new Error("no CDN");
      },
    };
    assert.deepEqual(
      fromDiscordMarkdown("<@1> <@&2> <#3> <:e:4>", broken),
      doc(
        p(
          user("1", "1"),
          t(" "),
          { type: "mention", name: "2", target: { network: "discord", remoteId: "2", kind: "role" } },
          t(" "),
          { type: "mention", name: "3", target: { network: "discord", remoteId: "3", kind: "channel" } },
          t(" "),
          { type: "emoji", name: "e" },
        ),
      ),
    );
  });

  it("writes timestamps as UTC dates in the detail their style asks for", () => {
    assert.deepEqual(
      read("<t:1700000000> <t:1700000000:R> <t:1700000000:d> <t:1700000000:t> <t:1700000000:T> <t:-86400:D>"),
      doc(p(t("2023-11-14 22:13 UTC 2023-11-14 22:13 UTC 2023-11-14 22:13 UTC 22:13:20 UTC 1969-12-31"))),
    );
  });

  it("leaves what only looks like a token as text", () => {
    const src = "<t:99999999999999999:R> <@> <@abc> <:x:> <b:x:1> a<b>c <@1 2>";
    assert.deepEqual(read(src), doc(p(t(src))));
  });

  it("reads a slash-command mention as the command", () => {
    assert.deepEqual(read("try </deploy now:1234>"), doc(p(t("try /deploy now"))));
  });
});

describe("fromDiscordMarkdown: blocks", () => {
  it("reads code blocks with and without a language, closing at the next ``` even mid-line", () => {
    assert.deepEqual(
      read("```js\nlet a = `x`;\n\n```\n```plain text```after\n```\n\n\nlead and trail\n\n```"),
      doc(
        { type: "code_block", lang: "js", text: "let a = `x`;" },
        { type: "code_block", text: "plain text" },
        p(t("after")),
        { type: "code_block", text: "lead and trail" },
      ),
    );
  });

  it("takes the first line as code when it is not a lone language word", () => {
    assert.deepEqual(
      read("```js```\n```two words\nx```\n```c++\ny\n```"),
      doc(
        { type: "code_block", text: "js" },
        { type: "code_block", text: "two words\nx" },
        { type: "code_block", lang: "c++", text: "y" },
      ),
    );
  });

  it("leaves an unclosed fence as text, and code inside it as code spans or text", () => {
    assert.deepEqual(read("```js\nlet a = 1;"), doc(p(t("```js"), br, t("let a = 1;"))));
  });

  it("reads `> ` quotes, and `>>> ` as quoting the rest of the message", () => {
    assert.deepEqual(
      read("> quoted **bold**\n> > not nested\n>no space\nafter\n>>> all\n\nof *this*"),
      doc(
        { type: "quote", children: [p(t("quoted "), b(t("bold")), br, t("> not nested"))] },
        p(t(">no space"), br, t("after")),
        { type: "quote", children: [p(t("all")), p(t("of "), i(t("this")))] },
      ),
    );
  });

  it("reads code blocks and lists inside quotes", () => {
    assert.deepEqual(
      read("> ```py\n> x = 1\n> ```\n> - a\n> - b"),
      doc({
        type: "quote",
        children: [
          { type: "code_block", lang: "py", text: "x = 1" },
          { type: "list", ordered: false, items: [[p(t("a"))], [p(t("b"))]] },
        ],
      }),
    );
  });

  it("reads headings of levels 1 to 3 only, and subtext as a paragraph", () => {
    assert.deepEqual(
      read("# One\n## Two *it*\n### Three\n#### Four\n#hashtag\n-# small print"),
      doc(
        { type: "heading", level: 1, children: [t("One")] },
        { type: "heading", level: 2, children: [t("Two "), i(t("it"))] },
        { type: "heading", level: 3, children: [t("Three")] },
        p(t("#### Four"), br, t("#hashtag")),
        p(t("small print")),
      ),
    );
  });

  it("reads bullet and numbered lists, nested by indentation", () => {
    assert.deepEqual(
      read("Shopping:\n- milk\n* eggs\n  - free range\n  more eggs\n3. three\n4. four\n+ not a list"),
      doc(
        p(t("Shopping:")),
        {
          type: "list",
          ordered: false,
          items: [
            [p(t("milk"))],
            [p(t("eggs")), { type: "list", ordered: false, items: [[p(t("free range"))]] }, p(t("more eggs"))],
          ],
        },
        { type: "list", ordered: true, start: 3, items: [[p(t("three"))], [p(t("four"))]] },
        p(t("+ not a list")),
      ),
    );
  });

  it("keeps a list item's later paragraphs when they are indented, and ends the list at an unindented line", () => {
    assert.deepEqual(
      read("1. first\n\n   still first\n2. second\n\nafter"),
      doc(
        {
          type: "list",
          ordered: true,
          items: [[p(t("first")), p(t("still first"))], [p(t("second"))]],
        },
        p(t("after")),
      ),
    );
  });

  it("splits paragraphs at empty lines and drops spaces at line ends", () => {
    assert.deepEqual(read("  a  \n  b\n \t \nc"), doc(p(t("a"), br, t("b")), p(t("c"))));
  });

  it("reads nothing from no text, and never throws on what is not a string", () => {
    assert.deepEqual(read(""), doc());
    assert.deepEqual(fromDiscordMarkdown(undefined as unknown as string, ctx), doc());
    assert.deepEqual(fromDiscordMarkdown("**x**", undefined as unknown as DiscordReadContext), doc(p(b(t("x")))));
  });

  it("returns documents in normal form", () => {
    const src = "a **b** <@42>\n\n> q\n- x\n  - y\n```js\nz\n```\n# h";
    const d = read(src);
    assert.deepEqual(normalizeRichText(d), d);
  });
});
