/**
 * Hostile input: huge runs of markup characters, deep nesting, unclosed
 * fences and huge tokens. Nothing throws or overflows the stack, readings
 * stay normalized, and written documents read back. (Cost is linear in the
 * input by construction; these sizes would take minutes if it were not.)
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Block,
  fitsLimits,
  type Inline,
  normalizeRichText,
  type RichText,
  splitRichText,
  toPlainText,
} from "@parley/bridge";
import {
  type DiscordReadContext,
  fromDiscordMarkdown,
  toDiscordMarkdown,
  writeDiscordMarkdown,
} from "../src/markdown/index.ts";
import { DISCORD_TEXT_LIMIT, discordTextLength } from "../src/outgoing-message.ts";

const ctx: DiscordReadContext = {
  resolveUser: (id) => (id === "42" ? "x".repeat(100_000) : undefined),
  resolveRole: () => undefined,
  resolveChannel: () => undefined,
  emojiUrl: (id) => `https://cdn.example/${id}.png`,
};

/** Reads `src`, checks the reading is normalized and that writing it reads back the same, returns it. */
function survive(src: string): RichText {
  const d = fromDiscordMarkdown(src, ctx);
  assert.deepEqual(normalizeRichText(d, { trimLineEdges: true }), d);
  const { text, exact } = writeDiscordMarkdown(d);
  assert.ok(exact);
  assert.equal(toPlainText(fromDiscordMarkdown(text, ctx)), toPlainText(d));
  // The engine's cut at the limit Discord declares, of as much as the engine relays of one message (it bounds
  // a body to xmpp.limits.maxPostsPerMessage times 2,000 characters, 10,000 by default): every part fits.
  const limits = { maxTextLength: DISCORD_TEXT_LIMIT, textLength: discordTextLength };
  const relayed = fromDiscordMarkdown(src.slice(0, 10_000), ctx);
  for (const part of splitRichText(relayed, fitsLimits(limits))) {
    assert.ok(discordTextLength(part) <= DISCORD_TEXT_LIMIT);
  }
  return d;
}

const plain = (d: RichText) => toPlainText(d);

describe("hostile Discord markdown", () => {
  it("100k asterisks, underscores, tildes and pipes are text", () => {
    for (const ch of ["*", "_", "~", "|"]) {
      const d = survive(ch.repeat(100_000));
      assert.equal(plain(d), ch.repeat(100_000));
    }
  });

  it("100k alternating delimiters pair up without blowing up", () => {
    survive("*a".repeat(50_000));
    survive("**a_b~~c||d`".repeat(8_000));
    survive("_a ".repeat(30_000));
    survive("a*".repeat(50_000));
  });

  it("50k nested quote markers: Discord has one level, the rest is text", () => {
    const d = survive(`${"> ".repeat(50_000)}x`);
    assert.equal(d.blocks.length, 1);
    assert.equal(d.blocks[0]?.type, "quote");
    assert.equal(plain(d), `${"> ".repeat(49_999)}x`);
    assert.equal(plain(survive(">".repeat(50_000))), ">".repeat(50_000));
    survive(">>> ".repeat(25_000));
    survive(Array.from({ length: 10_000 }, (_, k) => `${">".repeat(k % 50)} x`).join("\n"));
  });

  it("deeply nested list markers stop nesting at MAX_BLOCK_DEPTH", () => {
    survive(`${"- ".repeat(50_000)}a`);
    survive(Array.from({ length: 5_000 }, (_, k) => `${" ".repeat(2 * (k % 200))}- a`).join("\n"));
    survive("> - ".repeat(25_000));
  });

  it("unclosed and runaway fences are text", () => {
    const d = survive(`\`\`\`js\n${"x\n".repeat(50_000)}`);
    assert.equal(d.blocks[0]?.type, "paragraph");
    // Each ``` opens or closes a block, as in Discord: seven backticks make a block of one.
    const fences = survive("`".repeat(7 * 14_000));
    assert.equal(fences.blocks.length, 14_000);
    assert.ok(fences.blocks.every((b) => b.type === "code_block" && b.text === "`"));
    survive("```".repeat(33_000));
    survive("```\n".repeat(25_000));
    survive("`a``b".repeat(20_000));
  });

  it("huge and numerous tokens", () => {
    const d = survive(`<@${"1".repeat(100_000)}>`);
    assert.equal(plain(d), `<@${"1".repeat(100_000)}>`);
    const named = survive("<@42>");
    assert.equal(plain(named), `@${"x".repeat(100_000)}`);
    survive("<@123>".repeat(15_000));
    survive("<".repeat(100_000));
    survive("<@".repeat(50_000));
    survive("[".repeat(50_000) + "](https://x.org)".repeat(3_000));
    survive("[a](".repeat(25_000));
    survive(`[a](https://x.org/${"(".repeat(100_000)}`);
    survive("http://x".repeat(12_000));
    survive("@everyone".repeat(10_000));
    survive("\\".repeat(100_000));
  });
});

describe("hostile documents for the writer", () => {
  const text = (s: string): Inline => ({ type: "text", text: s });

  it("50k nested quotes are written as one quote", () => {
    let q: Block = { type: "paragraph", children: [text("deep")] };
    for (let k = 0; k < 50_000; k++) q = { type: "quote", children: [q] };
    const md = toDiscordMarkdown({ blocks: [q] });
    assert.equal(md, "> deep");
  });

  it("50k nested lists are written as deep as the tree keeps them and read back", () => {
    let l: Block = { type: "paragraph", children: [text("deep")] };
    for (let k = 0; k < 50_000; k++) l = { type: "list", ordered: k % 2 === 0, items: [[l]] };
    const d = { blocks: [l] };
    assert.deepEqual(fromDiscordMarkdown(toDiscordMarkdown(d), ctx), normalizeRichText(d));
  });

  it("100k nested styles are written and read back", () => {
    const styles = ["bold", "italic", "underline", "strike", "spoiler"] as const;
    let b: Inline = text("x");
    for (let k = 0; k < 100_000; k++) b = { type: styles[k % 5] as "bold", children: [b, text("y")] };
    const d = { blocks: [{ type: "paragraph" as const, children: [b] }] };
    const { text: md, exact } = writeDiscordMarkdown(d);
    assert.ok(exact);
    assert.deepEqual(fromDiscordMarkdown(md, ctx), normalizeRichText(d));
  });

  it("a code block of 100k backticks stays one code block", () => {
    const d = { blocks: [{ type: "code_block" as const, text: "`".repeat(100_000) }] };
    assert.deepEqual(fromDiscordMarkdown(toDiscordMarkdown(d), ctx), d);
  });
});
