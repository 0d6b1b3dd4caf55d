/**
 * Properties of the Slack readers and writer over random documents and
 * random input: nothing throws, readings are normalized, what the writer
 * produces for a document Slack can show reads back as that document, and
 * text with `&`, `<`, `>` never turns into markup.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Block, type Inline, normalizeRichText, type RichText } from "@parley/bridge";
import fc from "fast-check";
import { fromMrkdwn, fromRichTextBlocks, type SlackWriteContext, toMrkdwn } from "../src/format/index.ts";

const RUNS = Number(process.env.FC_RUNS ?? 300);
const names = { user: (id: string) => `name-${id}`, channel: (id: string) => `chan-${id}` };
const writeCtx: SlackWriteContext = {
  mentionOf: (t) => (t.network === "slack" && t.kind === "user" && t.remoteId ? `<@${t.remoteId}>` : undefined),
};

/** A `>` starting a line is a quote in Slack whatever its escaping, so no word starts with one. */
const word = fc
  .string({ unit: fc.constantFrom(..."abcXYZé9&<>.,!?'\"()#/ü漢😀"), minLength: 1, maxLength: 6 })
  .filter((w) => !w.startsWith(">"));
/** Words separated by single spaces: text as Slack can delimit it. */
const words = fc.array(word, { minLength: 1, maxLength: 4 }).map((ws) => ws.join(" "));
const text = words.map((t): Inline => ({ type: "text", text: t }));
const styled = fc
  .tuple(fc.constantFrom("bold", "italic", "strike") as fc.Arbitrary<"bold" | "italic" | "strike">, words)
  .map(([style, t]): Inline => ({ type: style, children: [{ type: "text", text: t }] }));
const code = fc
  .string({ unit: fc.constantFrom(..."ab *_~&<>"), minLength: 1, maxLength: 6 })
  .filter((s) => s.trim() === s && s !== "")
  .map((t): Inline => ({ type: "code", text: t }));
const link = fc
  .tuple(
    fc.constantFrom("https://x.org/a?b=1&c=2", "https://example.com", "mailto:a@b.c"),
    fc.option(words, { nil: undefined }),
  )
  .map(
    ([url, label]): Inline => ({
      type: "link",
      url,
      children: label === undefined ? [] : [{ type: "text", text: label }],
    }),
  );
const mention = fc
  .constantFrom("U1", "U22", "W3")
  .map(
    (id): Inline => ({ type: "mention", name: `name-${id}`, target: { network: "slack", remoteId: id, kind: "user" } }),
  );
/** One line: pieces separated by spaces (Slack's delimiters need a boundary). */
const line = fc.array(fc.oneof(text, styled, code, link, mention), { minLength: 1, maxLength: 5 }).map((pieces) => {
  const out: Inline[] = [];
  pieces.forEach((p, k) => {
    if (k > 0) out.push({ type: "text", text: " " });
    out.push(p);
  });
  return out;
});
const paragraph = fc.array(line, { minLength: 1, maxLength: 3 }).map(
  (lines): Block => ({
    type: "paragraph",
    children: lines.flatMap((l, k) => (k === 0 ? l : [{ type: "linebreak" } as Inline, ...l])),
  }),
);
const codeBlock = fc
  .array(fc.string({ unit: fc.constantFrom(..."ab *_&<>"), minLength: 1, maxLength: 8 }), {
    minLength: 1,
    maxLength: 3,
  })
  .map((ls): Block => ({ type: "code_block", text: ls.join("\n") }));
const quote = fc
  .array(paragraph, { minLength: 1, maxLength: 2 })
  .map((children): Block => ({ type: "quote", children }));
const showable = fc
  .array(fc.oneof(paragraph, codeBlock, quote), { minLength: 1, maxLength: 4 })
  .map((blocks): RichText => ({ blocks }));

describe("Slack formatting properties", () => {
  it("a document Slack can show reads back as itself", () => {
    fc.assert(
      fc.property(showable, (doc) => {
        const written = toMrkdwn(doc, writeCtx);
        assert.deepEqual(fromMrkdwn(written, names), normalizeRichText(doc, { trimLineEdges: true }), written);
      }),
      { numRuns: RUNS },
    );
  });

  it("plain text with &, < and > survives the trip", () => {
    const plain = fc.string({ unit: fc.constantFrom(..."ab &<>;#!@|amp;lt"), maxLength: 40 });
    fc.assert(
      fc.property(
        plain.filter((s) => !s.trimStart().startsWith(">")),
        (s) => {
          const doc = normalizeRichText(
            { blocks: [{ type: "paragraph", children: [{ type: "text", text: s }] }] },
            { trimLineEdges: true },
          );
          assert.deepEqual(fromMrkdwn(toMrkdwn(doc)), doc);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("never throws on hostile mrkdwn and reads it in normal form", () => {
    const hostile = fc.string({ unit: fc.constantFrom(..."ab *_~`<>|@#!^:&;gtlamp\n> U1C1subte"), maxLength: 200 });
    fc.assert(
      fc.property(fc.oneof(hostile, fc.string({ maxLength: 100 })), (s) => {
        const doc = fromMrkdwn(s, names);
        assert.deepEqual(normalizeRichText(doc, { trimLineEdges: true }), doc);
        toMrkdwn(doc, writeCtx);
      }),
      { numRuns: RUNS },
    );
  });

  it("never throws on hostile rich_text blocks", () => {
    const element = fc.record(
      {
        type: fc.constantFrom(
          "text",
          "link",
          "user",
          "channel",
          "usergroup",
          "broadcast",
          "emoji",
          "date",
          "color",
          "zzz",
        ),
        text: fc.oneof(fc.string(), fc.integer()),
        url: fc.string(),
        user_id: fc.oneof(fc.string(), fc.constant(null)),
        name: fc.string(),
        unicode: fc.string(),
        skin_tone: fc.integer(),
        style: fc.oneof(fc.anything(), fc.record({ bold: fc.boolean(), code: fc.boolean() })),
      },
      { requiredKeys: [] },
    );
    const container = fc.record(
      {
        type: fc.constantFrom("rich_text_section", "rich_text_list", "rich_text_quote", "rich_text_preformatted", "x"),
        elements: fc.oneof(
          fc.array(element),
          fc.array(fc.record({ type: fc.constant("rich_text_section"), elements: fc.array(element) })),
          fc.anything(),
        ),
        indent: fc.oneof(fc.integer(), fc.double(), fc.anything()),
        style: fc.constantFrom("bullet", "ordered", 3),
        offset: fc.anything(),
      },
      { requiredKeys: ["type"] },
    );
    const blocks = fc.oneof(
      fc.anything(),
      fc.array(fc.record({ type: fc.constant("rich_text"), elements: fc.oneof(fc.array(container), fc.anything()) })),
    );
    fc.assert(
      fc.property(blocks, (b) => {
        const doc = fromRichTextBlocks(b, names);
        if (doc !== undefined) toMrkdwn(doc, writeCtx);
      }),
      { numRuns: RUNS },
    );
  });

  it("hostile nesting costs no recursion", () => {
    const deep = `${"*a _b ~c ".repeat(20_000)}${"x~ y_ z* ".repeat(20_000)}`;
    assert.ok(fromMrkdwn(deep, names).blocks.length > 0);
    assert.ok(fromMrkdwn("&gt; ".repeat(50_000), names).blocks.length >= 0);
  });
});
