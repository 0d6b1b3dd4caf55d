/**
 * Hostile and broken Matrix HTML: the reader returns what it can, keeps the
 * sender's text, never throws, and costs linear time (a quadratic reader
 * would not finish these inputs; nothing here measures time).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Block,
  type Inline,
  MAX_BLOCK_DEPTH,
  normalizeRichText,
  type RichText,
  toPlainText,
} from "@parley/bridge";
import { fromMatrixHtml, fromMatrixPlain, toMatrixContent } from "../src/html/index.ts";

const t = (text: string): Inline => ({ type: "text", text });
const p = (...children: Inline[]): Block => ({ type: "paragraph", children });
const doc = (...blocks: Block[]): RichText => ({ blocks });
const N = 100_000;

/** How deeply quotes and lists nest in a document, counted without recursion. */
function depthOf(d: RichText): number {
  let max = 0;
  const stack: Array<{ blocks: readonly Block[]; depth: number }> = [{ blocks: d.blocks, depth: 0 }];
  while (stack.length > 0) {
    const { blocks, depth } = stack.pop() as { blocks: readonly Block[]; depth: number };
    max = Math.max(max, depth);
    for (const b of blocks) {
      if (b.type === "quote") stack.push({ blocks: b.children, depth: depth + 1 });
      if (b.type === "list") stack.push({ blocks: b.items.flat(), depth: depth + 1 });
    }
  }
  return max;
}

describe("fromMatrixHtml on hostile input", () => {
  it("keeps the text of unclosed and stray tags", () => {
    assert.deepEqual(
      fromMatrixHtml("<b>bold <i>both"),
      doc(p({ type: "bold", children: [t("bold "), { type: "italic", children: [t("both")] }] })),
    );
    assert.deepEqual(fromMatrixHtml("a</b></i></blockquote></li>b</p>c"), doc(p(t("ab")), p(t("c"))));
    assert.deepEqual(fromMatrixHtml("<code>never closed"), doc(p({ type: "code", text: "never closed" })));
    assert.deepEqual(fromMatrixHtml("<pre>never closed\n"), { blocks: [{ type: "code_block", text: "never closed" }] });
  });

  it("keeps as text a tag, comment or attribute that never ends", () => {
    assert.deepEqual(fromMatrixHtml('x <a href="https://e.org/ oops'), doc(p(t('x <a href="https://e.org/ oops'))));
    assert.deepEqual(fromMatrixHtml("1 < 2 and 3 <4 <b"), doc(p(t("1 < 2 and 3 <4 <b"))));
    assert.deepEqual(fromMatrixHtml("a <!-- b"), doc(p(t("a <!-- b"))));
    assert.deepEqual(fromMatrixHtml("a <!-- b --> c"), doc(p(t("a  c"))));
    assert.deepEqual(fromMatrixHtml("<mx-reply>not a fallback after all"), doc(p(t("not a fallback after all"))));
  });

  it("flattens 100,000 nested blockquotes to the tree's depth limit", () => {
    const html = `${"<blockquote>".repeat(N)}deep${"</blockquote>".repeat(N)}after`;
    const d = fromMatrixHtml(html);
    assert.equal(depthOf(d), MAX_BLOCK_DEPTH);
    assert.equal(toPlainText(d), "deep\nafter");
    assert.deepEqual(normalizeRichText(d), d);
    // Unclosed, too.
    assert.equal(depthOf(fromMatrixHtml(`${"<blockquote>".repeat(N)}deep`)), MAX_BLOCK_DEPTH);
  });

  it("reads 100,000 nested divs, lists and styles", () => {
    assert.deepEqual(fromMatrixHtml(`${"<div>".repeat(N)}x${"</div>".repeat(N)}`), doc(p(t("x"))));
    assert.deepEqual(
      fromMatrixHtml(`${"<b><i>".repeat(N)}x`),
      doc(p({ type: "bold", children: [{ type: "italic", children: [t("x")] }] })),
    );
    const lists = fromMatrixHtml(`${"<ul><li>".repeat(N)}x`);
    assert.equal(depthOf(lists), MAX_BLOCK_DEPTH);
    assert.equal(toPlainText(lists).trim().endsWith("x"), true);
    const links = fromMatrixHtml(`${'<a href="https://e.org">'.repeat(N)}x`);
    assert.deepEqual(links, doc(p({ type: "link", url: "https://e.org", children: [t("x")] })));
  });

  it("reads 100,000 end tags that close nothing, and as many items and rows", () => {
    assert.deepEqual(fromMatrixHtml(`<b>a${"</i>".repeat(N)}b</b>`), doc(p({ type: "bold", children: [t("ab")] })));
    const items = fromMatrixHtml(`<ol>${"<li>x".repeat(N)}</ol>`);
    assert.equal(items.blocks[0]?.type === "list" && items.blocks[0].items.length, N);
    const rows = fromMatrixHtml(`<table>${"<tr><td>a<td>b".repeat(1000)}</table>`);
    assert.equal(toPlainText(rows), Array(1000).fill("a | b").join("\n"));
  });

  it("survives huge and many attributes", () => {
    const huge = "x".repeat(1_000_000);
    assert.deepEqual(fromMatrixHtml(`<span title="${huge}" data-x=${huge}>ok</span>`), doc(p(t("ok"))));
    const many = Array.from({ length: N }, (_, i) => `a${i}="v"`).join(" ");
    assert.deepEqual(fromMatrixHtml(`<b ${many}>ok</b>`), doc(p({ type: "bold", children: [t("ok")] })));
    const long = fromMatrixHtml(`<a href="https://e.org/${huge}">link</a>`);
    assert.equal(long.blocks.length, 1);
    // Many openings that never close: each is text, read once.
    assert.equal(toPlainText(fromMatrixHtml('<a title="'.repeat(N))), '<a title="'.repeat(N));
    assert.equal(fromMatrixHtml("<!--".repeat(N)).blocks.length, 1);
    assert.equal(fromMatrixHtml("<mx-reply>".repeat(N)).blocks.length, 0);
    assert.equal(toPlainText(fromMatrixHtml(`<p>${"<script>".repeat(N)}`)), "");
  });

  it("reads malformed character references as the text they are", () => {
    assert.deepEqual(
      fromMatrixHtml("&; &#; &#x; &#xZZ; &#99999999999999999999; &#x110000; &amp &AMP; &ampx; &toolongname123456;"),
      doc(p(t("&; &#; &#x; &#xZZ; \ufffd \ufffd &amp &AMP; &ampx; &toolongname123456;"))),
    );
    assert.equal(toPlainText(fromMatrixHtml(`&#${"9".repeat(N)};`)), "\ufffd");
    assert.equal(toPlainText(fromMatrixHtml("&".repeat(N))), "&".repeat(N));
  });

  it("never follows javascript: or other unsafe links, however they are spelled", () => {
    for (const href of [
      "javascript:alert(1)",
      " JavaScript:alert(1)",
      "jav&#x61;script:alert(1)",
      "vbscript:x",
      "data:text/html,<b>",
      "//evil.example",
    ]) {
      const d = fromMatrixHtml(`<a href="${href}">click</a>`);
      assert.deepEqual(d, doc(p(t("click"))), href);
      const content = toMatrixContent({ blocks: [p({ type: "link", url: href, children: [t("click")] })] });
      assert.doesNotMatch(content.formatted_body ?? "", /href/, href);
    }
  });

  it("keeps a pill's huge or strange text bounded to what it shows", () => {
    const spaces = " ".repeat(N);
    const d = fromMatrixHtml(`<a href="https://matrix.to/#/@a:b">${spaces}Ann${spaces}</a>`);
    assert.deepEqual(
      d,
      doc(p({ type: "mention", name: "Ann", target: { kind: "user", network: "matrix", remoteId: "@a:b" } })),
    );
    // An id longer than Matrix allows is no user: the link stays a link.
    const longId = `@${"a".repeat(300)}:b`;
    assert.equal(fromMatrixHtml(`<a href="https://matrix.to/#/${longId}">x</a>`).blocks[0]?.type, "paragraph");
  });

  it("writes a document nested 100,000 deep within the depth limit", () => {
    let deep: Block = p(t("deep"));
    for (let k = 0; k < N; k++)
      deep = k % 2 === 0 ? { type: "quote", children: [deep] } : { type: "list", ordered: false, items: [[deep]] };
    const content = toMatrixContent(doc(deep));
    const html = content.formatted_body ?? "";
    assert.ok(html.split("<blockquote>").length - 1 <= MAX_BLOCK_DEPTH);
    const back = fromMatrixHtml(html);
    assert.equal(depthOf(back), MAX_BLOCK_DEPTH);
    assert.deepEqual(back, normalizeRichText(doc(deep)));
  });

  it("reads a hostile body without trouble", () => {
    assert.equal(fromMatrixPlain(`> <@${":".repeat(N)}`).blocks.length, 1);
    assert.deepEqual(normalizeRichText(fromMatrixPlain("**".repeat(N))), fromMatrixPlain("**".repeat(N)));
  });
});
