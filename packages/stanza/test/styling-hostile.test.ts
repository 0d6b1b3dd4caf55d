/**
 * XEP-0393 styling on hostile bodies: deep quotes and long lines of directive
 * soup must parse without throwing, stay lossless, and cost work linear in the
 * body (counted with the parser's step counter, not a clock).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  MAX_STYLING_QUOTE_DEPTH,
  parseStyling,
  type StyledBlock,
  type StyledSpan,
  type StylingParseStats,
  serializeStyling,
  toPlainText,
} from "../src/index.ts";

/** Parses, checks the round trip, and checks the work stays within a linear bound. */
function parseChecked(body: string): { blocks: StyledBlock[]; steps: number } {
  const stats: StylingParseStats = { steps: 0 };
  const blocks = parseStyling(body, stats);
  assert.ok(serializeStyling(blocks) === body, "serializeStyling(parseStyling(s)) === s");
  const lines = body.split("\n").length;
  const bound = (MAX_STYLING_QUOTE_DEPTH + 1) * lines + 2 * body.length;
  assert.ok(stats.steps <= bound, `${stats.steps} steps for ${body.length} characters (bound ${bound})`);
  return { blocks, steps: stats.steps };
}

function quoteDepth(blocks: readonly StyledBlock[]): number {
  let max = 0;
  for (const b of blocks) if (b.type === "quote") max = Math.max(max, 1 + quoteDepth(b.children));
  return max;
}

function spanDepth(spans: readonly StyledSpan[]): number {
  let max = 0;
  for (const sp of spans) {
    const d = sp.type === "plain" ? 0 : sp.type === "pre" ? 1 : 1 + spanDepth(sp.children);
    max = Math.max(max, d);
  }
  return max;
}

/** The innermost block of a chain of single quotes. */
function innermost(blocks: readonly StyledBlock[]): StyledBlock | undefined {
  let b = blocks[0];
  while (b?.type === "quote") b = b.children[0];
  return b;
}

describe("XEP-0393 styling on hostile bodies", () => {
  it("nests quotes up to MAX_STYLING_QUOTE_DEPTH and reads deeper markers as text", () => {
    assert.equal(MAX_STYLING_QUOTE_DEPTH, 32);
    const atLimit = parseChecked(`${">".repeat(MAX_STYLING_QUOTE_DEPTH)}x`).blocks;
    assert.equal(quoteDepth(atLimit), MAX_STYLING_QUOTE_DEPTH);
    assert.deepEqual(innermost(atLimit), { type: "plain", spans: [{ type: "plain", text: "x" }] });

    const over = parseChecked(`${"> ".repeat(MAX_STYLING_QUOTE_DEPTH + 1)}*x*`).blocks;
    assert.equal(quoteDepth(over), MAX_STYLING_QUOTE_DEPTH);
    assert.deepEqual(innermost(over), {
      type: "plain",
      spans: [
        { type: "plain", text: "> " },
        { type: "strong", children: [{ type: "plain", text: "x" }] },
      ],
    });
    assert.equal(toPlainText(over), "> x");
  });

  it("survives 100,000 nested quote markers", () => {
    const body = `${">".repeat(100_000)} hello *there*`;
    const { blocks } = parseChecked(body);
    assert.equal(quoteDepth(blocks), MAX_STYLING_QUOTE_DEPTH);
    assert.equal(toPlainText(blocks), `${">".repeat(100_000 - MAX_STYLING_QUOTE_DEPTH)} hello there`);
  });

  it("survives thousands of deeply quoted lines, with spaces between markers", () => {
    const line = (k: number) => `${"> ".repeat(100 + (k % 7))}line ${k} _x_`;
    const body = Array.from({ length: 2_000 }, (_, k) => line(k)).join("\n");
    const { blocks } = parseChecked(body);
    assert.equal(blocks.length, 1);
    assert.equal(quoteDepth(blocks), MAX_STYLING_QUOTE_DEPTH);
  });

  it("parses a 200 KB line of directive soup, with shallow spans", () => {
    const soup = fc.sample(
      fc.array(fc.constantFrom("*", "_", "~", "`", "*", "_", " ", "a"), { minLength: 200_000, maxLength: 200_000 }),
      { numRuns: 1, seed: 393 },
    )[0];
    assert.ok(soup !== undefined);
    const body = soup.join("");
    const { blocks } = parseChecked(body);
    const [block] = blocks;
    assert.ok(block?.type === "plain");
    assert.ok(
      block.spans.some((sp) => sp.type !== "plain"),
      "the soup holds some spans",
    );
    assert.ok(spanDepth(block.spans) <= 4);
  });

  it("parses the inputs that used to take seconds", () => {
    for (const body of [
      "*_".repeat(1_500),
      `${"*_".repeat(1_500)}x`,
      "*a ".repeat(20_000),
      `${"_".repeat(30_000)}${"a".repeat(30_000)}`,
      "*~_`".repeat(50_000),
      ` ${"*a".repeat(30_000)}`,
    ]) {
      parseChecked(body);
    }
  });

  it("still finds the span a long line ends with", () => {
    const body = `${"x ".repeat(30_000)}*${"y".repeat(30_000)}*`;
    const [block] = parseChecked(body).blocks;
    assert.ok(block?.type === "plain");
    assert.deepEqual(block.spans[1], { type: "strong", children: [{ type: "plain", text: "y".repeat(30_000) }] });
  });

  it("agrees with a direct reading of the rules on short bodies", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...Array.from("*_~` >\na\t"), "```", "🎂"), maxLength: 40 }),
        (s) => {
          assert.deepEqual(parseStyling(s), referenceBlocks(s.split("\n"), 0));
        },
      ),
      { numRuns: 3000 },
    );
    const deep = `${">".repeat(40)}*a*\n${"> ".repeat(33)}b\n>`;
    assert.deepEqual(parseStyling(deep), referenceBlocks(deep.split("\n"), 0));
  });
});

/**
 * XEP-0393 read the slow, obvious way: for each possible opener, scan
 * forward for its closer. Quadratic, so only for short bodies.
 */
function referenceBlocks(lines: readonly string[], depth: number): StyledBlock[] {
  const out: StyledBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? "";
    if (depth < MAX_STYLING_QUOTE_DEPTH && line.startsWith(">")) {
      const prefixes: string[] = [];
      const inner: string[] = [];
      for (; i < lines.length && (lines[i] ?? "").startsWith(">"); i++) {
        const l = lines[i] ?? "";
        const cut = /\s/.test(l[1] ?? "x") ? 2 : 1;
        prefixes.push(l.slice(0, cut));
        inner.push(l.slice(cut));
      }
      out.push({ type: "quote", prefixes, children: referenceBlocks(inner, depth + 1) });
    } else if (line.startsWith("```")) {
      const body: string[] = [];
      let closed = false;
      for (i++; i < lines.length; ) {
        const l = lines[i++] ?? "";
        if (l === "```") {
          closed = true;
          break;
        }
        body.push(l);
      }
      out.push({ type: "pre", open: line, lines: body, closed });
    } else {
      out.push({ type: "plain", spans: referenceSpans(line, 0, line.length) });
      i++;
    }
  }
  return out;
}

const KINDS: Record<string, "strong" | "emphasis" | "strike" | "pre"> = {
  "*": "strong",
  _: "emphasis",
  "~": "strike",
  "`": "pre",
};
const space = (c: string | undefined) => c !== undefined && /\s/.test(c);

function referenceSpans(s: string, start: number, end: number): StyledSpan[] {
  const out: StyledSpan[] = [];
  let plainFrom = start;
  for (let i = start; i < end; i++) {
    const c = s[i] ?? "";
    const kind = KINDS[c];
    const prev = s[i - 1];
    const opens =
      kind !== undefined &&
      i + 1 < end &&
      !space(s[i + 1]) &&
      (i === start || space(prev) || (prev !== undefined && KINDS[prev] !== undefined && prev !== c));
    if (!opens) continue;
    let close = -1;
    for (let j = i + 2; j < end && close < 0; j++) {
      if (s[j] === c && !space(s[j - 1]) && /[^*_~`]/.test(s.slice(i + 1, j))) close = j;
    }
    if (close < 0) continue;
    if (i > plainFrom) out.push({ type: "plain", text: s.slice(plainFrom, i) });
    out.push(
      kind === "pre"
        ? { type: "pre", text: s.slice(i + 1, close) }
        : { type: kind, children: referenceSpans(s, i + 1, close) },
    );
    plainFrom = close + 1;
    i = close;
  }
  if (end > plainFrom) out.push({ type: "plain", text: s.slice(plainFrom, end) });
  return out;
}
