/** Long messages cut into parts Discord accepts: where cuts go, code blocks and quotes across cuts, and what is kept. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Block, Inline, RichText } from "@parley/bridge";
import fc from "fast-check";
import { DISCORD_MESSAGE_LIMIT, splitDiscordMessage, toDiscordMarkdown } from "../src/markdown/index.ts";
import { splitMessageParts } from "../src/markdown/split.ts";

const RUNS = Number(process.env.FC_RUNS ?? 300);

describe("splitDiscordMessage", () => {
  it("keeps a message within the limit whole, and makes no parts of nothing", () => {
    assert.equal(DISCORD_MESSAGE_LIMIT, 2000);
    assert.deepEqual(splitDiscordMessage("hello"), ["hello"]);
    assert.deepEqual(splitDiscordMessage("x".repeat(2000)), ["x".repeat(2000)]);
    assert.deepEqual(splitDiscordMessage(""), []);
    assert.deepEqual(splitDiscordMessage(" \n\n\t "), []);
  });

  it("cuts at paragraph breaks first, then line breaks, then spaces, then anywhere", () => {
    assert.deepEqual(splitDiscordMessage("para one is here.\n\npara two is here.\n\npara three.", 40), [
      "para one is here.\n\npara two is here.",
      "para three.",
    ]);
    assert.deepEqual(splitDiscordMessage("line one is here\nline two is here\nline three", 40), [
      "line one is here\nline two is here",
      "line three",
    ]);
    assert.deepEqual(splitDiscordMessage("word ".repeat(12), 32), [
      "word word word word word word",
      "word word word word word word",
    ]);
    assert.deepEqual(splitDiscordMessage("x".repeat(70), 32), ["x".repeat(32), "x".repeat(32), "x".repeat(6)]);
  });

  it("prefers a line break that fills the part to a paragraph break near its start", () => {
    const text = `a\n\n${"b".repeat(30)}\n${"c".repeat(30)}`;
    assert.deepEqual(splitDiscordMessage(text, 60), [`a\n\n${"b".repeat(30)}`, "c".repeat(30)]);
  });

  it("closes a code block cut in two and opens it again with its language", () => {
    const text = `intro\n\`\`\`py\n${"print(1)\n".repeat(8)}\`\`\`\nafter`;
    assert.deepEqual(splitDiscordMessage(text, 48), [
      "intro\n```py\nprint(1)\nprint(1)\nprint(1)\n```",
      "```py\nprint(1)\nprint(1)\nprint(1)\nprint(1)\n```",
      "```py\nprint(1)\n```\nafter",
    ]);
  });

  it("does not leave a code block's opening line alone at the end of a part", () => {
    const parts = splitDiscordMessage(`${"t".repeat(20)}\n\`\`\`js\n${"y".repeat(30)}\n\`\`\``, 40);
    assert.equal(parts[0], "t".repeat(20));
    assert.ok(parts.slice(1).every((p) => p.startsWith("```js\n")));
  });

  it("goes on quoting: a >>> quote in every later part, a > line cut in the middle", () => {
    assert.deepEqual(splitDiscordMessage(`>>> quoted ${"word ".repeat(14)}`, 40), [
      ">>> quoted word word word word word word",
      ">>> word word word word word word word",
      ">>> word",
    ]);
    assert.deepEqual(splitDiscordMessage(`> quoted ${"word ".repeat(11)}word\nplain`, 40), [
      "> quoted word word word word word word",
      "> word word word word word word\nplain",
    ]);
  });

  it("never cuts a surrogate pair, a backslash escape or a fence", () => {
    assert.deepEqual(splitDiscordMessage("😀".repeat(5), 3), ["😀", "😀", "😀", "😀", "😀"]);
    assert.deepEqual(splitDiscordMessage("ab\\*cd", 3), ["ab", "\\*c", "d"]);
    assert.deepEqual(splitDiscordMessage("ab```cd", 4), ["ab", "```c", "d"]);
  });

  it("refuses a limit that cannot hold a character", () => {
    assert.throws(() => splitDiscordMessage("abc", 1), RangeError);
    assert.throws(() => splitDiscordMessage("abc", Number.NaN), RangeError);
    assert.deepEqual(splitDiscordMessage("abc", 2.9), ["ab", "c"]);
  });

  it("is linear on long input, whatever it holds", () => {
    const text = `${"word ".repeat(20_000)}\n\`\`\`\n${"code\n".repeat(20_000)}\`\`\`\n${" ".repeat(100_000)}x`;
    const parts = splitDiscordMessage(text);
    assert.ok(parts.every((p) => p.length <= 2000 && p.trim() !== ""));
    assert.ok(splitDiscordMessage("a".repeat(100_000), 2).length === 50_000);
  });
});

// --- properties ------------------------------------------------------------------

const nonSpace = (s: string) => s.replace(/\s+/g, "");

/** Text as the writer makes it: paragraphs, quotes, lists and code blocks with languages. */
const markdown = fc
  .array(
    fc.oneof(
      fc
        .array(fc.constantFrom("word", "a", "**b**", "longerword", "😀", "x\\*y", " ", "\n"), { maxLength: 40 })
        .map((w): Block => ({ type: "paragraph", children: [{ type: "text", text: w.join(" ") } as Inline] })),
      fc
        .tuple(
          fc.constantFrom(undefined, "js", "py"),
          fc.array(fc.constantFrom("let x = 1;", "", "  indented"), { maxLength: 30 }),
        )
        .map(([lang, lines]): Block => ({ type: "code_block", text: `${lines.join("\n")}x`, ...(lang && { lang }) })),
      fc.array(fc.constantFrom("quoted words here", "more"), { minLength: 1, maxLength: 8 }).map(
        (l): Block => ({
          type: "quote",
          children: [{ type: "paragraph", children: [{ type: "text", text: l.join("\n") }] }],
        }),
      ),
    ),
    { maxLength: 8 },
  )
  .map((blocks): RichText => ({ blocks }))
  .map((d) => toDiscordMarkdown(d));

const anyText = fc.oneof(
  markdown,
  fc.string({ unit: fc.constantFrom("a", " ", "\n", "`", "```", ">>> ", "> ", "😀", "\\", "\t"), maxLength: 300 }),
  fc.string({ unit: "binary", maxLength: 200 }),
);

describe("splitDiscordMessage properties", () => {
  it("parts fit the limit, none is empty, and together they keep every other character in order", () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 2, max: 400 }), (text, limit) => {
        const parts = splitMessageParts(text, limit);
        for (const p of parts) {
          assert.ok(p.text.length <= limit, `${p.text.length} > ${limit}: ${JSON.stringify(p.text)}`);
          assert.match(p.text, /\S/);
          assert.equal(p.text, p.prefix + p.text.slice(p.prefix.length, p.text.length - p.suffix.length) + p.suffix);
        }
        const kept = parts.map((p) => p.text.slice(p.prefix.length, p.text.length - p.suffix.length)).join("");
        assert.equal(nonSpace(kept), nonSpace(text.replace(/\r/g, "")));
        assert.deepEqual(
          parts.map((p) => p.text),
          splitDiscordMessage(text, limit),
        );
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it("every part of written markdown has its code blocks closed", () => {
    fc.assert(
      fc.property(markdown, fc.integer({ min: 40, max: 400 }), (text, limit) => {
        for (const part of splitDiscordMessage(text, limit)) {
          const fences = part.split("```").length - 1;
          assert.equal(fences % 2, 0, JSON.stringify(part));
        }
      }),
      { numRuns: RUNS },
    );
  });
});
