/**
 * The parts the format module exports for connectors' own converters: a
 * Markdown-like reader built from `readInlineRuns` with a dialect of its
 * own, the writing helpers, block layout and the character tests.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Block,
  blockLines,
  buildTree,
  characterAt,
  characterBefore,
  escapeMarkupText,
  flattenInlines,
  type Inline,
  type InlineDialect,
  linkDestination,
  listLines,
  type MarkupPiece,
  mapInlineContent,
  readInlineRuns,
  removeEscapes,
  resolveItalics,
  runsToInlines,
  type TreeOptions,
  treeInlines,
  trimRunLineEdges,
} from "../src/format/index.ts";
import { tidyRuns } from "../src/format/inline-runs.ts";
import { isAsciiPunct } from "../src/format/text-chars.ts";
import { b, br, i, link, p, t } from "./format-builders.ts";

/** A toy dialect: `!name` mentions, ASCII punctuation escapes, any `(url)` links. */
function toyDialect(options: Partial<InlineDialect> = {}): InlineDialect {
  return {
    codePoints: false,
    retireSpentPairs: false,
    linkNeedsText: false,
    triggers: "\\!",
    read(src, at, tokens) {
      if (src[at] === "\\") {
        if (!isAsciiPunct(src[at + 1])) return at + 1;
        tokens.skip(at, at + 1);
        return at + 2;
      }
      const name = /^!([a-z]+)/.exec(src.slice(at))?.[1];
      if (name === undefined) return at + 1;
      return tokens.leaf(at, { type: "mention", name, target: { remoteId: name } }, at + 1 + name.length);
    },
    codeText: (raw) => raw.trim(),
    linkTarget(src, at) {
      const d = linkDestination(src, at, isAsciiPunct);
      return d && { url: removeEscapes(d.raw, isAsciiPunct), end: d.end };
    },
    ...options,
  };
}

const read = (src: string, options?: Partial<InlineDialect>) => runsToInlines(readInlineRuns(src, toyDialect(options)));
const mention = (name: string): Inline => ({ type: "mention", name, target: { remoteId: name } });

describe("readInlineRuns", () => {
  it("pairs delimiters, links and code spans, and hands the dialect's own constructs to it", () => {
    assert.deepEqual(read("**hi** !ana, *see* [the `docs`](http://x.example/a\\)b)\n\\*no\\*"), [
      b(t("hi")),
      t(" "),
      mention("ana"),
      t(", "),
      i(t("see")),
      t(" "),
      link("http://x.example/a)b", t("the "), { type: "code", text: "docs" }),
      br,
      t("*no*"),
    ]);
  });

  it("keeps unpaired delimiters, brackets and backticks as text", () => {
    assert.deepEqual(read("**open [a] `b ~c~ x_y_z"), [t("**open [a] `b ~c~ x_y_z")]);
  });

  it("retires a pair run that gave its two characters only where the dialect says so", () => {
    const src = "~~x ~~a~~~ y~~";
    const strike = (...children: Inline[]): Inline => ({ type: "strike", children });
    assert.deepEqual(read(src), [t("~~x "), strike(t("a")), t("~ y~~")]);
    // The `~` left over is text inside the strike that the last `~~` closes.
    assert.deepEqual(read(src, { retireSpentPairs: true }), [strike(t("x a~ y"))]);
  });

  it("keeps a link without text as text only where the dialect says so", () => {
    assert.deepEqual(read("[](http://x.example) a"), [t(" a")]);
    assert.deepEqual(read("[](http://x.example) a", { linkNeedsText: true }), [t("[](http://x.example) a")]);
  });

  it("looks at whole code points next to a `_` only where the dialect says so", () => {
    // U+1D400 is a letter outside the BMP: with code points it makes the `_` intraword.
    assert.deepEqual(read("\u{1d400}_b_"), [t("\u{1d400}"), i(t("b"))]);
    assert.deepEqual(read("\u{1d400}_b_", { codePoints: true }), [t("\u{1d400}_b_")]);
  });
});

describe("linkDestination and removeEscapes", () => {
  it("reads `(url)` and `(<url>)` with their escapes still in", () => {
    assert.deepEqual(linkDestination("x( a\\)b )y", 1, isAsciiPunct), { raw: "a\\)b", end: 9 });
    assert.deepEqual(linkDestination("(<a b>)", 0, isAsciiPunct), { raw: "a b", end: 7 });
    assert.deepEqual(linkDestination("(a(b)c)", 0, isAsciiPunct), { raw: "a(b)c", end: 7 });
  });

  it("finds no destination where the parentheses do not close", () => {
    assert.equal(linkDestination("(a(b)", 0, isAsciiPunct), undefined);
    assert.equal(linkDestination("(<a\nb>)", 0, isAsciiPunct), undefined);
    assert.equal(linkDestination("a(b)", 0, isAsciiPunct), undefined);
    assert.equal(linkDestination(`(${"(".repeat(40)}a${")".repeat(40)})`, 0, isAsciiPunct), undefined);
  });

  it("takes out exactly the escapes the dialect has, left to right", () => {
    assert.equal(removeEscapes("a\\*b\\\\*c\\d", isAsciiPunct), "a*b\\*c\\d");
    assert.equal(
      removeEscapes("\\😀\\a", (ch) => ch !== "a"),
      "😀\\a",
    );
  });
});

describe("writing helpers", () => {
  it("escapes markup characters, URLs and line-start markers", () => {
    assert.equal(
      escapeMarkupText("*a* _b_ `c` [d] <e> ~f~ |g| \\", false),
      "\\*a\\* \\_b\\_ \\`c\\` \\[d\\] \\<e> \\~f\\~ \\|g\\| \\\\",
    );
    assert.equal(escapeMarkupText("see http://x.org", false), "see http\\://x.org");
    assert.equal(escapeMarkupText("# a", true), "\\# a");
    assert.equal(escapeMarkupText("# a", false), "# a");
    assert.equal(escapeMarkupText("1) a", true), "1\\) a");
    assert.equal(escapeMarkupText("1) a", true, "."), "1) a");
    assert.equal(escapeMarkupText("12. a", true, "."), "12\\. a");
  });

  it("spells an italic pair `_` outside words and `*` inside them", () => {
    const pieces = (before: string): MarkupPiece[] => [
      { s: before },
      { italic: "open", pair: 0 },
      { s: "x" },
      { italic: "close", pair: 0 },
      { s: " " },
    ];
    const spelled = (before: string, codePoints: boolean) =>
      resolveItalics(pieces(before), "underscore", codePoints)
        .map((piece) => ("s" in piece ? piece.s : "?"))
        .join("");
    assert.equal(spelled("a ", false), "a _x_ ");
    assert.equal(spelled("a", false), "a*x* ");
    // Only a reader that looks at whole code points sees a letter before the `_`.
    assert.equal(spelled("\u{1d400}", false), "\u{1d400}_x_ ");
    assert.equal(spelled("\u{1d400}", true), "\u{1d400}*x* ");
  });

  it("spells italic `*` next to `__` and `_` next to `**` when asked for the star spelling", () => {
    const around = (d: string): MarkupPiece[] => [
      { s: d, delim: true },
      { italic: "open", pair: 0 },
      { s: "x" },
      { italic: "close", pair: 0 },
      { s: d, delim: true },
    ];
    const spelled = (d: string) =>
      resolveItalics(around(d), "star", false)
        .map((piece) => ("s" in piece ? piece.s : "?"))
        .join("");
    assert.equal(spelled("**"), "**_x_**");
    assert.equal(spelled("__"), "__*x*__");
  });
});

describe("block layout", () => {
  const lines = (blocks: readonly Block[]): string[] =>
    blockLines(blocks, (block) => {
      if (block.type === "paragraph") return [block.children.map((c) => ("text" in c ? c.text : "")).join("")];
      if (block.type === "list") return listLines(block, lines, (marker) => `${marker}!`);
      return [block.type];
    });

  it("puts an empty line only between blocks that would run together", () => {
    assert.deepEqual(lines([p(t("a")), p(t("b")), { type: "code_block", text: "" }, p(t("c"))]), [
      "a",
      "",
      "b",
      "code_block",
      "c",
    ]);
    assert.deepEqual(
      blockLines(
        [p(t("a")), p(t("b"))],
        () => ["x"],
        () => false,
      ),
      ["x", "x"],
    );
  });

  it("marks list items, indents their other lines to the marker and writes empty items as asked", () => {
    const inner: Block = { type: "list", ordered: false, items: [[p(t("x"))], [p(t("y"))]] };
    const list: Block = { type: "list", ordered: true, start: 9, items: [[p(t("a")), inner], [], [p(t("b"))]] };
    assert.deepEqual(lines([list]), ["9. a", "   - x", "   - y", "10.!", "11. b"]);
  });
});

describe("run and tree helpers", () => {
  it("builds trees in a given order, ending wrappers early next to spaces unless told not to", () => {
    const strike = (...children: Inline[]): Inline => ({ type: "strike", children });
    const runs = tidyRuns(flattenInlines([b(t("w"), strike(t("x"))), strike(t(" y"))]));
    const tree = (options: TreeOptions) => treeInlines(buildTree(runs, ["link", "bold", "strike"], options));
    // Bold cannot end between x and the space without closing the strike on that space: it ends before x.
    assert.deepEqual(tree({ byOrder: true }), [b(t("w")), b(strike(t("x"))), strike(t(" y"))]);
    assert.deepEqual(tree({ byOrder: true, endAtSpaces: true }), [b(t("w"), strike(t("x"))), strike(t(" y"))]);
  });

  it("trims spaces and tabs at the ends of every line of runs", () => {
    const runs = trimRunLineEdges(flattenInlines([t(" \ta "), br, b(t(" b\t")), t("  "), br, t("\t")]));
    assert.deepEqual(runsToInlines(runs), [t("a"), br, b(t("b")), br]);
  });

  it("maps the inline content of paragraphs and headings at any depth, and nothing else", () => {
    const upper = (children: Inline[]) => children.map((c) => (c.type === "text" ? t(c.text.toUpperCase()) : c));
    const code: Block = { type: "code_block", text: "code" };
    const blocks: Block[] = [
      { type: "heading", level: 2, children: [t("h")] },
      { type: "quote", children: [{ type: "list", ordered: false, items: [[p(t("a")), code]] }] },
    ];
    assert.deepEqual(mapInlineContent(blocks, upper), [
      { type: "heading", level: 2, children: [t("H")] },
      { type: "quote", children: [{ type: "list", ordered: false, items: [[p(t("A")), code]] }] },
    ]);
  });
});

describe("characters", () => {
  it("takes surrogate pairs whole and lone halves alone", () => {
    const s = "a😀b";
    assert.equal(characterAt(s, 1), "😀");
    assert.equal(characterBefore(s, 3), "😀");
    assert.equal(characterAt(s, 3), "b");
    assert.equal(characterAt(s, 4), undefined);
    assert.equal(characterBefore(s, 0), undefined);
    assert.equal(characterAt("\ud83dx", 0), "\ud83d");
    assert.equal(characterBefore("x\ude00", 2), "\ude00");
  });
});
