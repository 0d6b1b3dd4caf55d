/**
 * Properties of the rich-text readers and writers over random documents and
 * random strings: nothing throws, Markdown survives a round trip exactly (up
 * to the normalization below), XEP-0393 keeps the text a reader sees, plain
 * text carries no markup of ours, and the styling reader agrees with
 * @parley/stanza's parseStyling.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { codePointSlice, parseStyling, type Reference, type StyledBlock, type StyledSpan } from "@parley/stanza";
import fc from "fast-check";
import { isEmptyText } from "../src/engine/mentions.ts";
import {
  type Block,
  fromMarkdown,
  fromStyling,
  type Inline,
  type MentionTarget,
  mentionLabel,
  mentionsOf,
  normalizeRichText,
  plainRichText,
  type RichText,
  toMarkdown,
  toPlainText,
  toStyling,
} from "../src/format/index.ts";
import { canonicalTree, type Run, runsToInlines, STYLE_BIT, tidyRuns, treeInlines } from "../src/format/inline-runs.ts";
import { writeMarkdown } from "../src/format/markdown.ts";
import { type BlockAt, parseStylingAt, type SpanAt } from "../src/format/styling-parse.ts";

const RUNS = Number(process.env.FC_RUNS ?? 300);

// --- generators ------------------------------------------------------------------

const chars = (alphabet: string, maxLength = 8) =>
  fc.string({ unit: fc.constantFrom(...Array.from(alphabet)), minLength: 1, maxLength });

/** Text for Markdown: every character that means something in Markdown, and some that look like it. */
const markdownText = fc.oneof(
  { weight: 5, arbitrary: chars("ab Zé9 *_~`|[]()<>#-+.!:/\\\t@😀") },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "http://x.org/a_b",
      "1. ",
      "- ",
      "# ",
      "> ",
      "```",
      "<@12>",
      "\\",
      "  ",
      "2)",
      "||",
      "~~",
    ),
  },
);
/** Text for XEP-0393, which has no escapes: no directive, quote or spoiler characters. */
const stylingText = chars("ab Zé9.,!?()#-+:/@😀\t");
/** Text with no markup character of either syntax. */
const quietText = chars("ab Zé9.,!?()-+:/@😀");

const urlArb = fc.constantFrom(
  "http://x.org",
  "https://example.com/a_b?q=1&r=(2)",
  "https://example.com/path)",
  "http://x.org/end.",
  "xmpp:room@muc.example.org?join",
  "https://example.com/a b",
  "mailto:anna@example.org",
  "ftp://host/<file>",
);
const quietUrl = fc.constantFrom("http://x.org", "https://example.com/a-b?q=1", "xmpp:room@muc.example.org");

const nameArb = chars("AnaBobé9", 6);
const targetArb: fc.Arbitrary<MentionTarget> = fc.oneof(
  fc.record({ jid: fc.constantFrom("anna@example.org", "bob@discord.example.org") }),
  fc.record({
    remoteId: fc.constantFrom("80351110224678912", "U024BE7LH", "bad id!"),
    kind: fc.constantFrom("user", "role", "channel", "everyone", undefined),
  }),
);

interface Alphabet {
  readonly text: fc.Arbitrary<string>;
  readonly code: fc.Arbitrary<string>;
  readonly url: fc.Arbitrary<string>;
}

function docArb(a: Alphabet): fc.Arbitrary<RichText> {
  const { tree } = fc.letrec<{ inline: Inline; block: Block; tree: RichText }>((tie) => ({
    inline: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      a.text.map((text): Inline => ({ type: "text", text })),
      a.code.map((text): Inline => ({ type: "code", text })),
      fc.constant<Inline>({ type: "linebreak" }),
      fc.record({ name: nameArb, target: targetArb }).map((m): Inline => ({ type: "mention", ...m })),
      nameArb.map((name): Inline => ({ type: "emoji", name })),
      fc
        .tuple(
          fc.constantFrom("bold", "italic", "underline", "strike", "spoiler" as const),
          fc.array(tie("inline"), { maxLength: 3 }),
        )
        .map(([type, children]): Inline => ({ type, children })),
      fc
        .tuple(a.url, fc.array(tie("inline"), { maxLength: 2 }))
        .map(([url, children]): Inline => ({ type: "link", url, children })),
    ),
    block: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc
        .array(tie("inline"), { minLength: 1, maxLength: 5 })
        .map((children): Block => ({ type: "paragraph", children })),
      fc
        .tuple(fc.array(a.code, { maxLength: 3 }), fc.constantFrom(undefined, "js", "c++"))
        .map(([lines, lang]): Block => ({ type: "code_block", text: lines.join("\n"), ...(lang && { lang }) })),
      fc
        .tuple(fc.constantFrom(1, 2, 3, 6 as const), fc.array(tie("inline"), { minLength: 1, maxLength: 3 }))
        .map(([level, children]): Block => ({ type: "heading", level, children })),
      fc.array(tie("block"), { minLength: 1, maxLength: 3 }).map((children): Block => ({ type: "quote", children })),
      fc
        .tuple(
          fc.boolean(),
          fc.constantFrom(undefined, 0, 1, 7, 12),
          fc.array(fc.array(tie("block"), { maxLength: 2 }), { minLength: 1, maxLength: 3 }),
        )
        .map(
          ([ordered, start, items]): Block => ({ type: "list", ordered, ...(start !== undefined && { start }), items }),
        ),
    ),
    tree: fc.array(tie("block"), { maxLength: 4 }).map((blocks) => ({ blocks })),
  }));
  return tree;
}

const markdownDocs = docArb({ text: markdownText, code: markdownText, url: urlArb });
const stylingDocs = docArb({ text: stylingText, code: stylingText, url: quietUrl });
const quietDocs = docArb({ text: quietText, code: quietText, url: quietUrl });

// --- views -----------------------------------------------------------------------

function mapDoc(doc: RichText, f: (n: Inline) => Inline): RichText {
  const inl = (ns: readonly Inline[]): Inline[] =>
    ns.map((n) => {
      const m = f(n);
      if (m.type === "link") return { ...m, children: inl(m.children) };
      if ("children" in m) return { type: m.type, children: inl(m.children) };
      return m;
    });
  const blk = (bs: readonly Block[]): Block[] =>
    bs.map((b): Block => {
      switch (b.type) {
        case "paragraph":
        case "heading":
          return { ...b, children: inl(b.children) };
        case "quote":
          return { type: "quote", children: blk(b.children) };
        case "list":
          return { ...b, items: b.items.map(blk) };
        default:
          return b;
      }
    });
  return { blocks: blk(doc.blocks) };
}

/**
 * What Markdown can carry: mentions as their ids (a mention without a usable
 * id becomes its `@name` text), custom emoji as `:name:` text, no spaces at
 * the ends of lines.
 */
function markdownView(doc: RichText): RichText {
  const mapped = mapDoc(doc, (n) => {
    if (n.type === "emoji") return { type: "text", text: `:${n.name}:` };
    if (n.type !== "mention") return n;
    const id = n.target.remoteId;
    if (id === undefined || !/^[A-Za-z0-9_.-]{1,64}$/.test(id) || n.target.kind === "everyone") {
      return { type: "text", text: mentionLabel(n.name, n.target) };
    }
    const kind = n.target.kind === "role" || n.target.kind === "channel" ? n.target.kind : "user";
    return { type: "mention", name: id, target: { remoteId: id, kind } };
  });
  return normalizeRichText(mapped, { trimLineEdges: true });
}

const collapse = (s: string) => s.replace(/\s+/g, " ").trim();
const jidsOf = (doc: RichText) => [...new Set(mentionsOf(doc).flatMap((t) => (t.jid ? [t.jid] : [])))].sort();

const hostileString = fc.oneof(
  fc.string({ unit: fc.constantFrom(...Array.from("*_~`|>[]()<>#-+.1 \n\\@:/h")), maxLength: 60 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom("**", "__", "||", "~~", "```", "> ", "- ", "1. ", "[a](", "http://x", "<@1>", "\n", " ", "a"),
    maxLength: 30,
  }),
);

const referenceArb: fc.Arbitrary<Reference> = fc.record({
  type: fc.constantFrom("mention", "data" as const),
  uri: fc.constantFrom("xmpp:anna@example.org", "xmpp:", "https://example.org", "xmpp:bob@x?message"),
  begin: fc.integer({ min: -2, max: 40 }),
  end: fc.integer({ min: -2, max: 40 }),
});

// --- properties ------------------------------------------------------------------

describe("format properties", () => {
  it("never throws on any string, and whatever it reads can be written again", () => {
    fc.assert(
      fc.property(hostileString, fc.array(referenceArb, { maxLength: 4 }), (s, refs) => {
        for (const doc of [fromMarkdown(s), fromStyling(s, refs), plainRichText(s)]) {
          toMarkdown(doc);
          toStyling(doc);
          toPlainText(doc);
          mentionsOf(doc);
        }
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it("fromMarkdown(toMarkdown(doc)) gives back the document (or keeps its text where Markdown has no spelling)", () => {
    let inexact = 0;
    fc.assert(
      fc.property(markdownDocs, (doc) => {
        const { text: md, exact } = writeMarkdown(doc);
        assert.equal(md, toMarkdown(doc));
        const back = fromMarkdown(md);
        if (exact) assert.deepEqual(markdownView(back), markdownView(doc), `written as ${JSON.stringify(md)}`);
        else {
          inexact++;
          assert.equal(collapse(toPlainText(back)), collapse(toPlainText(markdownView(doc))), JSON.stringify(md));
        }
      }),
      { numRuns: RUNS },
    );
    // Unspellable documents are rare corner cases (about 1 in 30,000 here), not a way out.
    assert.ok(inexact <= RUNS / 50, `${inexact} of ${RUNS} documents were not written exactly`);
  });

  it("Markdown written from any reading reads back the same", () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        const doc = fromMarkdown(s);
        const md = toMarkdown(doc);
        assert.deepEqual(fromMarkdown(md), doc, `${JSON.stringify(s)} written as ${JSON.stringify(md)}`);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("fromStyling(toStyling(doc)) keeps the text a reader sees and every mention of a JID", () => {
    fc.assert(
      fc.property(stylingDocs, (doc) => {
        const { body, references } = toStyling(doc);
        const back = fromStyling(body, references);
        assert.equal(collapse(toPlainText(back)), collapse(toPlainText(doc)), `written as ${JSON.stringify(body)}`);
        assert.deepEqual(jidsOf(back), jidsOf(doc));
        for (const r of references) {
          assert.ok(r.begin !== undefined && r.end !== undefined && r.begin < r.end);
          assert.notEqual(codePointSlice(body, r.begin, r.end).trim(), "");
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("toPlainText adds no markup character", () => {
    fc.assert(
      fc.property(quietDocs, (doc) => {
        const plain = toPlainText(doc);
        assert.doesNotMatch(plain, /[*_~`|>[\]\\]/);
        assert.doesNotMatch(plain, /^#{1,6} /m);
      }),
      { numRuns: RUNS },
    );
  });

  it("isEmptyText says what the plain text says: nothing but white space", () => {
    const blank = chars(" \t\n\u00a0", 3);
    const blankDocs = docArb({ text: blank, code: blank, url: fc.constant("") });
    fc.assert(
      fc.property(fc.oneof(markdownDocs, blankDocs), (doc) => {
        assert.equal(isEmptyText(doc), toPlainText(doc).trim() === "");
      }),
      { numRuns: RUNS },
    );
    const p = (...children: Inline[]): Block => ({ type: "paragraph", children });
    assert.equal(isEmptyText({ blocks: [p({ type: "text", text: " \t" }), p({ type: "bold", children: [] })] }), true);
    assert.equal(isEmptyText({ blocks: [p({ type: "emoji", name: "tada" })] }), false);
    assert.equal(isEmptyText({ blocks: [{ type: "list", ordered: false, items: [[]] }] }), false);
    assert.equal(isEmptyText({ blocks: [{ type: "quote", children: [p({ type: "code", text: " x " })] }] }), false);
  });

  it("readers return normalized documents, and normalizing twice changes nothing", () => {
    fc.assert(
      fc.property(markdownDocs, hostileString, (doc, s) => {
        const once = normalizeRichText(doc);
        assert.deepEqual(normalizeRichText(once), once);
        const md = fromMarkdown(s);
        assert.deepEqual(normalizeRichText(md, { trimLineEdges: true }), md);
        const st = fromStyling(s);
        assert.deepEqual(normalizeRichText(st), st);
      }),
      { numRuns: RUNS },
    );
  });

  it("runs without style or link take the short way to their tree, and it is the long way's", () => {
    const plainRun = fc.oneof(
      markdownText.map((text): Run => ({ styles: 0, link: undefined, leaf: { type: "text", text } })),
      fc
        .constantFrom("", " ", "a  ")
        .map((text): Run => ({ styles: 0, link: undefined, leaf: { type: "text", text } })),
      markdownText.map((text): Run => ({ styles: 0, link: undefined, leaf: { type: "code", text } })),
      fc.constant<Run>({ styles: 0, link: undefined, leaf: { type: "linebreak" } }),
      urlArb.map((url): Run => ({ styles: 0, link: undefined, leaf: { type: "autolink", url } })),
      fc
        .record({ name: nameArb, target: targetArb })
        .map((m): Run => ({ styles: 0, link: undefined, leaf: { type: "mention", ...m } })),
      nameArb.map((name): Run => ({ styles: 0, link: undefined, leaf: { type: "emoji", name } })),
    );
    // An empty bold text shows nothing and is dropped, but sends the runs the long way.
    const styledNothing: Run = { styles: STYLE_BIT.bold, link: undefined, leaf: { type: "text", text: "" } };
    fc.assert(
      fc.property(fc.array(plainRun, { maxLength: 8 }), (runs) => {
        assert.deepEqual(tidyRuns(runs), tidyRuns([...runs, styledNothing]));
        assert.deepEqual(runsToInlines(runs), runsToInlines([...runs, styledNothing]));
        assert.deepEqual(runsToInlines(runs), treeInlines(canonicalTree(runs)));
      }),
      { numRuns: RUNS },
    );
  });

  it("plainRichText keeps every character of text laid out in paragraphs", () => {
    const line = chars("ab Zé9*_>#-`|[:/😀", 12).filter((l) => l.trim() !== "");
    fc.assert(
      fc.property(fc.array(fc.array(line, { minLength: 1, maxLength: 3 }), { maxLength: 4 }), (paras) => {
        const text = paras.map((p) => p.join("\n")).join("\n\n");
        assert.equal(toPlainText(plainRichText(text)), text);
      }),
      { numRuns: RUNS },
    );
  });

  it("the XEP-0393 reader agrees with @parley/stanza's parseStyling", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...Array.from("*_~` >\na|")), maxLength: 40 }), (s) => {
        assert.deepEqual(ours(s, parseStylingAt(s)), theirs(parseStyling(s)), JSON.stringify(s));
      }),
      { numRuns: RUNS * 3 },
    );
  });
});

type Shape = { t: string; text?: string; c?: Shape[]; lines?: string[]; closed?: boolean };

function ours(s: string, blocks: readonly BlockAt[]): Shape[] {
  const spans = (sp: readonly SpanAt[]): Shape[] =>
    sp.map((x) =>
      "children" in x ? { t: x.type, c: spans(x.children) } : { t: x.type, text: s.slice(x.start, x.end) },
    );
  return blocks.map((b) => {
    if (b.type === "line") return { t: "plain", c: spans(b.spans) };
    if (b.type === "pre") {
      return { t: "pre", text: b.info, lines: b.lines.map((l) => s.slice(l.start, l.end)), closed: b.closed };
    }
    return { t: "quote", c: ours(s, b.children) };
  });
}

function theirs(blocks: readonly StyledBlock[]): Shape[] {
  const spans = (sp: readonly StyledSpan[]): Shape[] =>
    sp.map((x) => ("children" in x ? { t: x.type, c: spans(x.children) } : { t: x.type, text: x.text }));
  return blocks.map((b) => {
    if (b.type === "plain") return { t: "plain", c: spans(b.spans) };
    if (b.type === "pre") return { t: "pre", text: b.open.slice(3), lines: [...b.lines], closed: b.closed };
    return { t: "quote", c: theirs(b.children) };
  });
}
