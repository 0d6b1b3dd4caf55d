/**
 * A message cut into parts that fit a channel's limits (`messageParts`,
 * `splitRichText`): where the cuts fall (paragraphs, then lines, then
 * words, then graphemes), what a cut does to code blocks, quotes and
 * lists, that no part is empty and nothing is lost, how files are given
 * out, and the parts' keys.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ChannelLimits } from "../src/connector/connector.ts";
import { cutText, fitsLimits, messageParts, partKey, splitRichText } from "../src/engine/message-parts.ts";
import { fromMarkdown, type RichText, toMarkdown, toPlainText } from "../src/format/index.ts";

/** Limits counted on the generic Markdown, as a connector counting its own markup would. */
const markdown = (max: number): ChannelLimits => ({ maxTextLength: max, textLength: (t) => toMarkdown(t).length });
const cut = (md: string, max: number) => splitRichText(fromMarkdown(md), fitsLimits(markdown(max))).map(toMarkdown);
/** The words of a text, whatever the cuts did to spaces and line breaks. */
const wordsOf = (s: string) => s.split(/\s+/).filter((w) => w !== "");

describe("cutting a message into parts", () => {
  it("leaves a text that fits as it is, in one part", () => {
    const doc = fromMarkdown("short **and** sweet");
    const parts = splitRichText(doc, fitsLimits(markdown(100)));
    assert.equal(parts.length, 1);
    assert.equal(parts[0], doc);
  });

  it("has no limit to mind without maxTextLength, and makes nothing of a blank text", () => {
    assert.equal(splitRichText(fromMarkdown("x ".repeat(10_000)), fitsLimits(undefined)).length, 1);
    assert.deepEqual(splitRichText(fromMarkdown("   \n\n  "), fitsLimits(markdown(5))), []);
    assert.deepEqual(splitRichText({ blocks: [] }, fitsLimits(markdown(5))), []);
  });

  it("cuts between paragraphs where it can, packing as many whole paragraphs as fit", () => {
    assert.deepEqual(cut("one para\n\ntwo para\n\nthree para\n\nfour", 20), [
      "one para\n\ntwo para",
      "three para\n\nfour",
    ]);
  });

  it("cuts a paragraph too long for a post between its lines, then between words", () => {
    assert.deepEqual(cut("line one\nline two\nline three has **bold words here**", 20), [
      "line one\nline two",
      "line three has",
      "**bold words here**",
    ]);
  });

  it("cuts a word longer than a post between characters, never inside a grapheme", () => {
    assert.deepEqual(cut("abcdefghijklmnopqrstuvwxyz", 10), ["abcdefghij", "klmnopqrst", "uvwxyz"]);
    const family = "👨‍👩‍👧";
    const parts = cut(family.repeat(5), family.length * 2);
    assert.deepEqual(parts, [family.repeat(2), family.repeat(2), family]);
  });

  it("cuts a bare link or a mention longer than a post as its text", () => {
    const url = `https://example.org/${"x".repeat(50)}`;
    const parts = splitRichText(
      { blocks: [{ type: "paragraph", children: [{ type: "link", url, children: [] }] }] },
      fitsLimits({ maxTextLength: 20 }),
    ).map(toPlainText);
    assert.ok(parts.length >= 4);
    assert.ok(parts.every((x) => Array.from(x).length <= 20));
    assert.equal(parts.join(""), url);
  });

  it("cuts a code block between lines into code blocks with their fences and language", () => {
    const parts = cut("```js\nconst a = 1;\nconst b = 2;\nconst c = 3;\n```", 35);
    assert.deepEqual(parts, ["```js\nconst a = 1;\nconst b = 2;\n```", "```js\nconst c = 3;\n```"]);
  });

  it("cuts quotes into quotes and goes on counting an ordered list", () => {
    assert.deepEqual(cut("> quoted line one\n>\n> quoted line two", 20), ["> quoted line one", "> quoted line two"]);
    assert.deepEqual(cut("3. first item\n4. second item\n5. third item", 30), [
      "3. first item\n4. second item",
      "5. third item",
    ]);
  });

  it("gives every part within the limit, none empty, and loses no word", () => {
    const words = Array.from({ length: 600 }, (_, k) => `word${k}`);
    const lines = [];
    for (let k = 0; k < words.length; k += 7) lines.push(words.slice(k, k + 7).join(" "));
    const md = `${lines.slice(0, 20).join("\n")}\n\n\`\`\`\n${lines.slice(20, 40).join("\n")}\n\`\`\`\n\n${lines.slice(40).join("\n\n")}`;
    const doc = fromMarkdown(md);
    const parts = splitRichText(doc, fitsLimits(markdown(300)));
    assert.ok(parts.length > 5);
    for (const part of parts) {
      const shown = toMarkdown(part);
      assert.ok(shown.length <= 300, `a part of ${shown.length} characters`);
      assert.notEqual(toPlainText(part).trim(), "");
    }
    assert.deepEqual(wordsOf(parts.map(toPlainText).join(" ")), wordsOf(toPlainText(doc)));
  });

  it("makes at most maxParts parts, the last cut again to end with a notice that the rest was left out", () => {
    const doc = fromMarkdown(
      "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen",
    );
    assert.equal(splitRichText(doc, fitsLimits(markdown(30))).length, 4);
    const parts = splitRichText(doc, fitsLimits(markdown(70)), 1).map(toMarkdown);
    assert.equal(parts.length, 1);
    assert.ok(parts.every((x) => x.length <= 70));
    assert.match(parts[0] ?? "", /^one two \S.*\n\n\\\[… the rest of this message was too long to relay\\\]$/s);
    const two = splitRichText(doc, fitsLimits(markdown(30)), 2).map(toMarkdown);
    assert.deepEqual(two[0], "one two three four five six", "the parts before the last as they were");
    assert.equal(
      two[1],
      "seven eight nine ten eleven",
      "where even the notice does not fit, the last part goes without",
    );
    assert.deepEqual(splitRichText(doc, fitsLimits(markdown(100)), 1), [doc], "a text that fits is left whole");
  });

  it("leaves firstPartRoom free in the first part only", () => {
    const doc = fromMarkdown("aaaa bbbb cccc dddd eeee ffff gggg hhhh");
    const limits = { ...markdown(20), firstPartRoom: 10 };
    assert.deepEqual(cutText(doc, limits).map(toMarkdown), ["aaaa bbbb", "cccc dddd", "eeee ffff gggg hhhh"]);
    assert.deepEqual(cutText(fromMarkdown("aaaa"), limits).map(toMarkdown), ["aaaa"]);
    assert.deepEqual(cutText(doc, markdown(20)).map(toMarkdown), ["aaaa bbbb cccc dddd", "eeee ffff gggg hhhh"]);
  });

  it("counts with the connector's measure, else the code points of the plain text", () => {
    const doc = fromMarkdown("**ab** **cd**");
    assert.equal(splitRichText(doc, fitsLimits({ maxTextLength: 6 })).length, 1, "plain text: 'ab cd'");
    assert.deepEqual(splitRichText(doc, fitsLimits(markdown(6))).map(toMarkdown), ["**ab**", "**cd**"]);
  });
});

describe("the posts of a message", () => {
  const text: RichText = fromMarkdown("first part\n\nsecond part");
  const limits = markdown(12);

  it("puts the files with the first part, at most maxAttachments to a post, the rest in posts of their own", () => {
    const parts = messageParts(text, ["f1", "f2", "f3", "f4", "f5"], { ...limits, maxAttachments: 2 });
    assert.deepEqual(
      parts.map((x) => [x.part, toMarkdown(x.text), x.attachments]),
      [
        [0, "first part", ["f1", "f2"]],
        [1, "second part", []],
        [-1, "", ["f3", "f4"]],
        [-2, "", ["f5"]],
      ],
    );
  });

  it("posts the files after the text, each alone, where a post cannot carry both", () => {
    const parts = messageParts(text, ["f1", "f2"], { ...limits, maxAttachments: 1, textWithAttachments: false });
    assert.deepEqual(
      parts.map((x) => [x.part, toMarkdown(x.text), x.attachments]),
      [
        [0, "first part", []],
        [1, "second part", []],
        [-1, "", ["f1"]],
        [-2, "", ["f2"]],
      ],
    );
  });

  it("makes one post of files without text, and one of everything without limits", () => {
    assert.deepEqual(
      messageParts({ blocks: [] }, ["f1", "f2", "f3"], { maxAttachments: 2 }).map((x) => [x.part, x.attachments]),
      [
        [0, ["f1", "f2"]],
        [-1, ["f3"]],
      ],
    );
    const all = messageParts(text, ["f1", "f2"], undefined);
    assert.equal(all.length, 1);
    assert.equal(all[0]?.text, text);
    assert.deepEqual(all[0]?.attachments, ["f1", "f2"]);
  });

  it("keys the first post with the message's key and the others after it", () => {
    assert.equal(partKey("to-remote x", 0), "to-remote x");
    assert.equal(partKey("to-remote x", 1), "to-remote x#2");
    assert.equal(partKey("to-remote x", 2), "to-remote x#3");
    assert.equal(partKey("to-remote x", -1), "to-remote x#f1");
  });
});
