/** The rich-text tree: plain text in and out, mention lists, and the normal form every reader returns. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Block,
  type Inline,
  MAX_BLOCK_DEPTH,
  mentionsOf,
  normalizeRichText,
  plainRichText,
  type RichText,
  toPlainText,
} from "../src/format/index.ts";
import { br, doc, p, t } from "./format-builders.ts";

/** Depth of quote/list nesting, walked without recursion. */
function blockDepth(d: RichText): number {
  let max = 0;
  const stack: Array<[readonly Block[], number]> = [[d.blocks, 1]];
  while (stack.length > 0) {
    const [blocks, depth] = stack.pop() as [readonly Block[], number];
    for (const b of blocks) {
      max = Math.max(max, depth);
      if (b.type === "quote") stack.push([b.children, depth + 1]);
      if (b.type === "list") for (const item of b.items) stack.push([item, depth + 1]);
    }
  }
  return max;
}

describe("plainRichText", () => {
  it("keeps newlines as line breaks and splits paragraphs on empty lines", () => {
    assert.deepEqual(plainRichText("a\nb\n\n\n  \nc"), doc(p(t("a"), br, t("b")), p(t("c"))));
    assert.deepEqual(plainRichText("a\r\nb"), doc(p(t("a"), br, t("b"))));
    assert.deepEqual(plainRichText(""), doc());
  });

  it("makes bare http(s) URLs links and leaves markup characters alone", () => {
    assert.deepEqual(
      plainRichText("see https://example.org/a_(b). *not bold*"),
      doc(p(t("see "), { type: "link", url: "https://example.org/a_(b)", children: [] }, t(". *not bold*"))),
    );
  });
});

describe("toPlainText", () => {
  it("writes every node kind without markup", () => {
    const d = doc(
      { type: "heading", level: 2, children: [t("Title")] },
      p(
        { type: "bold", children: [t("b")] },
        t(" "),
        { type: "italic", children: [t("i")] },
        t(" "),
        { type: "underline", children: [t("u")] },
        t(" "),
        { type: "strike", children: [t("s")] },
        t(" "),
        { type: "spoiler", children: [t("secret")] },
        t(" "),
        { type: "code", text: "x = 1" },
        br,
        { type: "link", url: "https://a.example", children: [] },
        t(" "),
        { type: "link", url: "https://b.example", children: [t("docs")] },
        br,
        { type: "mention", name: "Anna", target: { jid: "anna@example.org" } },
        t(" "),
        { type: "mention", name: "general", target: { remoteId: "7", kind: "channel" } },
        t(" "),
        { type: "emoji", name: "party", url: "https://cdn.example/party.png" },
      ),
      { type: "quote", children: [p(t("quoted"))] },
      { type: "code_block", lang: "js", text: "let a = 1;\nlet b = 2;" },
      {
        type: "list",
        ordered: true,
        start: 3,
        items: [[p(t("three"))], [p(t("four")), { type: "list", ordered: false, items: [[p(t("nested"))]] }]],
      },
    );
    assert.equal(
      toPlainText(d),
      [
        "Title",
        "b i u s secret x = 1",
        "https://a.example docs (https://b.example)",
        "@Anna #general :party:",
        "quoted",
        "let a = 1;",
        "let b = 2;",
        "3. three",
        "4. four",
        "   - nested",
      ].join("\n"),
    );
  });

  it("separates paragraphs (and quotes, and lists) by an empty line", () => {
    assert.equal(toPlainText(doc(p(t("a")), p(t("b")))), "a\n\nb");
    assert.equal(
      toPlainText(doc({ type: "quote", children: [p(t("a"))] }, { type: "quote", children: [p(t("b"))] })),
      "a\n\nb",
    );
  });
});

describe("mentionsOf", () => {
  it("lists each target once, in order of appearance, wherever it is", () => {
    const anna = { jid: "anna@example.org" };
    const bob = { network: "discord", remoteId: "42", kind: "user" as const };
    const d = doc(
      p({ type: "bold", children: [{ type: "mention", name: "Bob", target: bob }] }),
      {
        type: "quote",
        children: [p({ type: "link", url: "https://x", children: [{ type: "mention", name: "Anna", target: anna }] })],
      },
      { type: "list", ordered: false, items: [[p({ type: "mention", name: "Bob", target: bob })]] },
    );
    assert.deepEqual(mentionsOf(d), [bob, anna]);
  });

  it("walks any depth without recursion", () => {
    let inline: Inline = { type: "mention", name: "deep", target: { jid: "deep@example.org" } };
    for (let i = 0; i < 100_000; i++) inline = { type: "bold", children: [inline] };
    let block: Block = p(inline);
    for (let i = 0; i < 100_000; i++) block = { type: "quote", children: [block] };
    assert.deepEqual(mentionsOf(doc(block)), [{ jid: "deep@example.org" }]);
  });
});

describe("normalizeRichText", () => {
  it("merges texts, drops empty nodes and nests each style at most once", () => {
    const d = doc(
      p(
        t("a"),
        t(""),
        t("b"),
        { type: "bold", children: [] },
        { type: "bold", children: [{ type: "bold", children: [t("c")] }, t("d")] },
        { type: "code", text: "" },
      ),
      p(),
      { type: "quote", children: [] },
      { type: "heading", level: 1, children: [t("  ")] },
    );
    assert.deepEqual(normalizeRichText(d), doc(p(t("ab"), { type: "bold", children: [t("cd")] })));
  });

  it("moves spaces out of styles and makes a link showing its URL bare", () => {
    const d = doc(
      p(
        { type: "italic", children: [t(" x ")] },
        { type: "link", url: "https://x.example", children: [t("https://x.example")] },
        {
          type: "link",
          url: "https://y.example",
          children: [{ type: "link", url: "https://z.example", children: [t("y")] }],
        },
      ),
    );
    assert.deepEqual(
      normalizeRichText(d),
      doc(
        p(
          t(" "),
          { type: "italic", children: [t("x")] },
          t(" "),
          { type: "link", url: "https://x.example", children: [] },
          { type: "link", url: "https://y.example", children: [t("y")] },
        ),
      ),
    );
  });

  it("gives one spelling to the same styles however they were nested", () => {
    const a = doc(p({ type: "bold", children: [{ type: "italic", children: [t("x")] }] }));
    const b = doc(p({ type: "italic", children: [{ type: "bold", children: [t("x")] }] }));
    const c = doc(
      p({ type: "bold", children: [t("x")] }, { type: "bold", children: [{ type: "italic", children: [t("")] }] }),
    );
    assert.deepEqual(normalizeRichText(a), normalizeRichText(b));
    assert.deepEqual(normalizeRichText(c), doc(p({ type: "bold", children: [t("x")] })));
  });

  it("splits a paragraph where a line is empty, never leaving a line break at its ends", () => {
    assert.deepEqual(normalizeRichText(doc(p(br, t("a"), br, t(" \t"), br, t("b"), br))), doc(p(t("a")), p(t("b"))));
    assert.deepEqual(normalizeRichText(doc(p(t("a\nb")))), doc(p(t("a"), br, t("b"))));
  });

  it("keeps list starts other than 1, one-word code languages, clamped heading levels", () => {
    const d = doc(
      { type: "list", ordered: true, start: 1, items: [[p(t("a"))]] },
      { type: "list", ordered: true, start: 5, items: [[p(t("b"))]] },
      { type: "code_block", lang: " python  extra", text: "x\r\ny" },
      { type: "code_block", lang: "a`b", text: "" },
      { type: "heading", level: 9 as 6, children: [t(" h ")] },
    );
    assert.deepEqual(
      normalizeRichText(d),
      doc(
        { type: "list", ordered: true, items: [[p(t("a"))]] },
        { type: "list", ordered: true, start: 5, items: [[p(t("b"))]] },
        { type: "code_block", lang: "python", text: "x\ny" },
        { type: "code_block", text: "" },
        { type: "heading", level: 6, children: [t("h")] },
      ),
    );
  });

  it("flattens quotes and lists nested deeper than MAX_BLOCK_DEPTH, keeping their text", () => {
    let block: Block = p(t("bottom"));
    for (let i = 0; i < 100_000; i++) {
      block = i % 2 === 0 ? { type: "quote", children: [block] } : { type: "list", ordered: false, items: [[block]] };
    }
    const n = normalizeRichText(doc(block));
    assert.equal(blockDepth(n), MAX_BLOCK_DEPTH + 1);
    assert.match(toPlainText(doc(block)), /bottom$/);
  });

  it("trims line ends only when asked (Markdown cannot carry them)", () => {
    const d = doc(p(t("  a  "), br, t("\tb")));
    assert.deepEqual(normalizeRichText(d), d);
    assert.deepEqual(normalizeRichText(d, { trimLineEdges: true }), doc(p(t("a"), br, t("b"))));
  });
});
