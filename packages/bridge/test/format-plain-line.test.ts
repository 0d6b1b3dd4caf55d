/**
 * The plain-line shortcut of `fromMarkdown` and `toStyling` gives what the
 * long way gives: a trailing newline (Markdown) and a text split in two
 * (styling) send the same text the long way, for random strings over the
 * shortcut's alphabet and the characters just outside it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { fromMarkdown, type RichText, toStyling } from "../src/format/index.ts";
import { isPlainLine, plainLineDoc } from "../src/format/plain-line.ts";

const RUNS = Number(process.env.FC_RUNS ?? 2000);

/** Words, sentence punctuation and digits, with the characters that start markup or end a line. */
const PIECES = ["ab", "Zé", "語", " ", " ", "1", "9", ",", ".", "?", "!", "'", "-", "*", "_", "~", "`", "|", ">"];
PIECES.push("#", "<", "@", ":", "/", "\\", "[", "]", "(", ")", "\t", "\n", "+", "=", "&", "\u00a0", "http://x.y");
const text = fc.string({ unit: fc.constantFrom(...PIECES), maxLength: 12 });

const longWayStyling = (s: string): { body: string; references: unknown[] } => {
  const cut = Math.max(1, Math.floor(s.length / 2));
  const split: RichText = {
    blocks: [
      {
        type: "paragraph",
        children: [
          { type: "text", text: s.slice(0, cut) },
          { type: "text", text: s.slice(cut) },
        ],
      },
    ],
  };
  return toStyling(split);
};

describe("plain lines", () => {
  it("are told apart from text markup could change", () => {
    for (const s of ["bench e1 12 the quick brown fox, twice", "Zoë's café! Really?", "a", "x.y"]) {
      assert.equal(isPlainLine(s), true, s);
    }
    for (const s of ["", " a", "a ", "1. item", "- item", "a *b*", "a\nb", "see http://x.org", "<@1>", "# h", "a_b"]) {
      assert.equal(isPlainLine(s), false, s);
    }
  });

  it("read from Markdown as the long way reads them", () => {
    fc.assert(
      fc.property(text, (s) => {
        assert.deepEqual(fromMarkdown(s), fromMarkdown(`${s}\n`));
      }),
      { numRuns: RUNS },
    );
  });

  it("written as XEP-0393 bodies as the long way writes them", () => {
    fc.assert(
      fc.property(text, (s) => {
        if (s.length < 2) return;
        assert.deepEqual(toStyling(plainLineDoc(s)), longWayStyling(s));
      }),
      { numRuns: RUNS },
    );
  });

  it("take the shortcut for a bench message (the test would prove nothing if none did)", () => {
    assert.deepEqual(fromMarkdown("bench e1 12 the quick brown fox"), plainLineDoc("bench e1 12 the quick brown fox"));
    assert.deepEqual(toStyling(plainLineDoc("Hello, world.")), { body: "Hello, world.", references: [] });
  });
});
