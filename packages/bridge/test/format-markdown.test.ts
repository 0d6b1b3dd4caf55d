/** The generic chat Markdown, to and from the rich-text tree. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fromMarkdown, type Inline, MAX_BLOCK_DEPTH, toMarkdown, toPlainText } from "../src/format/index.ts";
import { writeMarkdown } from "../src/format/markdown.ts";
import { b, br, doc, i, link, p, t } from "./format-builders.ts";

describe("fromMarkdown: inline", () => {
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
        { type: "underline", children: [t("under")] },
        t(" "),
        { type: "strike", children: [t("gone")] },
        t(" "),
        { type: "spoiler", children: [t("secret")] },
      ],
    ],
    ["***both*** ***a**b* ***a*b**", [b(i(t("both"))), t(" "), i(b(t("a")), t("b")), t(" "), b(i(t("a")), t("b"))]],
    [
      "`code` ``a`b`` `` `x` ``",
      [{ type: "code", text: "code" }, t(" "), { type: "code", text: "a`b" }, t(" "), { type: "code", text: "`x`" }],
    ],
    [
      "[the **docs**](https://x.example/a_(b)) <https://y.example> <mailto:a@b.example>",
      [
        link("https://x.example/a_(b)", t("the "), b(t("docs"))),
        t(" "),
        link("https://y.example"),
        t(" "),
        link("mailto:a@b.example"),
      ],
    ],
    [
      "see https://x.example/a_b_c, (https://y.example/p)!",
      [t("see "), link("https://x.example/a_b_c"), t(", ("), link("https://y.example/p"), t(")!")],
    ],
    [
      "<@80351110224678912> <@!42> <@&7> <#9>",
      [
        { type: "mention", name: "80351110224678912", target: { remoteId: "80351110224678912", kind: "user" } },
        t(" "),
        { type: "mention", name: "42", target: { remoteId: "42", kind: "user" } },
        t(" "),
        { type: "mention", name: "7", target: { remoteId: "7", kind: "role" } },
        t(" "),
        { type: "mention", name: "9", target: { remoteId: "9", kind: "channel" } },
      ],
    ],
    ["\\*not\\* \\_emphasis\\_ \\<@1> \\[x](y) :smile:", [t("*not* _emphasis_ <@1> [x](y) :smile:")]],
    [
      "snake_case_name, 2 * 3 * 4, a*b*c, ~one~ |pipe|",
      [t("snake_case_name, 2 * 3 * 4, a"), i(t("b")), t("c, ~one~ |pipe|")],
    ],
    ["**unclosed *also `nope [no](", [t("**unclosed *also `nope [no](")]],
    ["line one\nline **two**", [t("line one"), br, t("line "), b(t("two"))]],
  ];
  for (const [src, inlines] of cases) {
    it(JSON.stringify(src), () => assert.deepEqual(fromMarkdown(src), doc(p(...inlines))));
  }
});

describe("fromMarkdown: blocks", () => {
  it("reads fences, quotes, headings, lists and paragraphs, each starting on its own line", () => {
    const src = [
      "# Title",
      "#hashtag is text",
      "```js",
      "let a = `x`;",
      "",
      "```",
      "> quoted **bold**",
      "> > nested",
      "after the quote",
      "- one",
      "- two",
      "  - nested",
      "",
      "  second paragraph of two",
      "1. first",
      "2. second",
      "",
      "7) seven",
      "",
      "```",
      "unclosed fence runs to the end",
    ].join("\n");
    assert.deepEqual(
      fromMarkdown(src),
      doc(
        { type: "heading", level: 1, children: [t("Title")] },
        p(t("#hashtag is text")),
        { type: "code_block", lang: "js", text: "let a = `x`;\n" },
        {
          type: "quote",
          children: [p(t("quoted "), b(t("bold"))), { type: "quote", children: [p(t("nested"))] }],
        },
        p(t("after the quote")),
        {
          type: "list",
          ordered: false,
          items: [
            [p(t("one"))],
            [p(t("two")), { type: "list", ordered: false, items: [[p(t("nested"))]] }, p(t("second paragraph of two"))],
          ],
        },
        { type: "list", ordered: true, items: [[p(t("first"))], [p(t("second"))]] },
        { type: "list", ordered: true, start: 7, items: [[p(t("seven"))]] },
        { type: "code_block", text: "unclosed fence runs to the end" },
      ),
    );
  });

  it("reads a heading holding a line separator (U+2028) as a heading", () => {
    const doc = fromMarkdown("## a\u2028b");
    assert.equal(doc.blocks.length, 1);
    assert.equal(doc.blocks[0]?.type, "heading");
  });

  it("lets any block start interrupt a paragraph, and an empty line end one", () => {
    assert.deepEqual(
      fromMarkdown("Shopping:\n- milk\n* eggs\n\n\nThanks  \n  all"),
      doc(
        p(t("Shopping:")),
        { type: "list", ordered: false, items: [[p(t("milk"))]] },
        { type: "list", ordered: false, items: [[p(t("eggs"))]] },
        p(t("Thanks"), br, t("all")),
      ),
    );
  });

  it("reads markers nested past MAX_BLOCK_DEPTH as text, and hostile input in linear time", () => {
    const deep = fromMarkdown(`${"> ".repeat(100_000)}x`);
    let depth = 0;
    let blocks = deep.blocks;
    while (blocks[0]?.type === "quote") {
      depth++;
      blocks = blocks[0].children;
    }
    assert.equal(depth, MAX_BLOCK_DEPTH);
    assert.match(toPlainText({ blocks }), /^> > .*x$/);
    for (const src of [
      "- ".repeat(50_000),
      "*_".repeat(50_000),
      "**a".repeat(30_000),
      "[".repeat(50_000) + "]".repeat(50_000),
      "[a](".repeat(30_000),
      "`"
        .repeat(1000)
        .split("")
        .map((c, k) => c.repeat(k + 1))
        .join(" "),
      "<".repeat(50_000),
      "http://x".repeat(20_000),
      "a\n".repeat(200_000),
      "- a\n".repeat(50_000),
      `a${" ".repeat(80_000)}b`,
      `# a${" ".repeat(80_000)}b`,
    ]) {
      const read = fromMarkdown(src);
      assert.ok(toMarkdown(read).length > 0, src.slice(0, 20));
    }
  });
});

describe("toMarkdown", () => {
  it("writes every node kind", () => {
    const d = doc(
      { type: "heading", level: 2, children: [t("Title")] },
      p(
        b(t("b")),
        t(" "),
        i(t("i")),
        t(" "),
        { type: "underline", children: [t("u")] },
        t(" "),
        { type: "strike", children: [t("s")] },
        t(" "),
        { type: "spoiler", children: [t("x")] },
        t(" "),
        { type: "code", text: "a`b" },
        br,
        link("https://a.example/x_y"),
        t(" "),
        link("https://b.example/(p)", t("docs")),
        br,
        { type: "mention", name: "Anna", target: { remoteId: "42", kind: "user" } },
        t(" "),
        { type: "mention", name: "Mods", target: { remoteId: "7", kind: "role" } },
        t(" "),
        { type: "mention", name: "general", target: { remoteId: "9", kind: "channel" } },
        t(" "),
        { type: "mention", name: "Bob", target: { jid: "bob@example.org" } },
        t(" "),
        { type: "emoji", name: "party_parrot", url: "https://cdn.example/p.gif" },
      ),
      { type: "quote", children: [p(t("q1")), p(t("q2"))] },
      { type: "code_block", lang: "md", text: "```\nfence inside" },
      { type: "list", ordered: false, items: [[p(t("one"))], [p(t("two")), p(t("more"))], []] },
      { type: "list", ordered: true, start: 9, items: [[p(t("nine"))], [p(t("ten"))]] },
    );
    assert.equal(
      toMarkdown(d),
      [
        "## Title",
        "**b** _i_ __u__ ~~s~~ ||x|| ``a`b``",
        "https://a.example/x_y [docs](https://b.example/(p))",
        "<@42> <@&7> <#9> @Bob :party\\_parrot:",
        "> q1",
        ">",
        "> q2",
        "````md",
        "```",
        "fence inside",
        "````",
        "- one",
        "- two",
        "",
        "  more",
        "-",
        "",
        "9. nine",
        "10. ten",
      ].join("\n"),
    );
  });

  it("escapes what would read as markup, at line starts too", () => {
    const d = doc(
      p(
        t("*a* _b_ `c` ~~d~~ ||e|| [f](g) <@1> \\ http://x.example/"),
        br,
        t("# no"),
        br,
        t("- no"),
        br,
        t("1. no"),
        br,
        t("> no"),
      ),
    );
    const md = toMarkdown(d);
    assert.equal(
      md,
      "\\*a\\* \\_b\\_ \\`c\\` \\~\\~d\\~\\~ \\|\\|e\\|\\| \\[f\\](g) \\<@1> \\\\ http\\://x.example/\n\\# no\n\\- no\n1\\. no\n\\> no",
    );
    assert.deepEqual(fromMarkdown(md), d);
  });

  it("writes italic as _ where it can, and as * inside words", () => {
    assert.equal(toMarkdown(doc(p(t("un"), i(t("believ")), t("able"), t(" "), i(t("yes"))))), "un*believ*able _yes_");
    assert.equal(toMarkdown(doc(p(b(i(t("x")), t(" y"))))), "**_x_ y**");
    assert.equal(toMarkdown(doc(p(b(i(t("x")), t("y"))))), "***x*y**");
  });

  it("writes a link bare only where it reads back whole", () => {
    assert.equal(toMarkdown(doc(p(link("https://x.example/a"), t(". Next")))), "https://x.example/a. Next");
    assert.equal(toMarkdown(doc(p(link("https://x.example/a"), t("b")))), "<https://x.example/a>b");
    assert.equal(toMarkdown(doc(p(link("https://x.example/a."), t(" b")))), "<https://x.example/a.> b");
    assert.equal(toMarkdown(doc(p(link("https://x.example/a b"), t("!")))), "https://x.example/a%20b!");
    const odd = doc(p(link("https://x.example/<a>")));
    assert.equal(toMarkdown(odd), String.raw`[https\://x.example/\<a>](https://x.example/\<a\>)`);
    assert.deepEqual(fromMarkdown(toMarkdown(odd)), odd);
  });

  it("reads back what it writes, and says when Markdown has no spelling for something", () => {
    const fine = doc(p(t("a "), b(t("b "), i(t("c"))), t(" d")));
    assert.deepEqual(writeMarkdown(fine), { text: "a **b _c_** d", exact: true });
    assert.deepEqual(fromMarkdown(toMarkdown(fine)), fine);
    // Italic around bold inside a word: every CommonMark-style reader splits it differently.
    const none = doc(p(t("@A"), i(t("@A"), b(t("a"))), b(t("a")), t("z")));
    const w = writeMarkdown(none);
    assert.equal(w.exact, false);
    assert.equal(toPlainText(fromMarkdown(w.text)), toPlainText(none));
  });
});
