/**
 * Properties of the Matrix HTML reader and writer over random documents and
 * random markup: written HTML reads back as the document, the body reads
 * back too, only Matrix tags and safe links are written, and the readers
 * return normalized documents without throwing on anything.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Block,
  type Inline,
  type MentionTarget,
  mentionLabel,
  normalizeRichText,
  type RichText,
  toPlainText,
} from "@parley/bridge";
import fc from "fast-check";
import { fromMatrixHtml, fromMatrixPlain, type MatrixWriteContext, toMatrixContent } from "../src/html/index.ts";

const RUNS = Number(process.env.FC_RUNS ?? 300);

// --- generators ------------------------------------------------------------------

const chars = (alphabet: string, maxLength = 8) =>
  fc.string({ unit: fc.constantFrom(...Array.from(alphabet)), minLength: 1, maxLength });

/** Text with everything that means something in HTML or Markdown, and white space HTML would collapse. */
const htmlText = fc.oneof(
  { weight: 5, arbitrary: chars("ab Zé9<>&\"';#*_~`|[]()\t\u00a0😀/:.\n\r\f\u0000-") },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "&amp;",
      "&#65;",
      "&lt;b&gt;",
      "<b>",
      "</p>",
      "<!--",
      "-->",
      "http://x.org/a_b",
      "  ",
      " \t ",
      "1. ",
      "> ",
      "```",
      "<@12>",
      "@room",
    ),
  },
);

const writableUrl = fc.constantFrom(
  "http://x.org",
  "https://example.com/a_b?q=1&r=(2)",
  "https://example.com/a b",
  'https://example.com/"q"<x>',
  "mailto:anna@example.org",
  "https://matrix.to/#/!room:example.org/$event",
);
const anyUrl = fc.oneof(
  writableUrl,
  fc.constantFrom("javascript:alert(1)", "xmpp:room@muc.example.org?join", "data:text/html,<b>x</b>", "/relative"),
);

const nameArb = chars("AnaBobé9 ", 6).filter((n) => n.trim() === n);
const matrixUser = fc.constantFrom("@ana:example.org", "@bob:matrix.example.org:8448", "@_xmpp_c=40d:example.org");
const matrixRoom = fc.constantFrom("#room:example.org", "!abcdef:example.org");

const matrixTarget = (kind: "user" | "channel", ids: fc.Arbitrary<string>) =>
  fc
    .record({ name: nameArb, id: ids })
    .map(({ name, id }): Inline => ({ type: "mention", name, target: { kind, network: "matrix", remoteId: id } }));
/** Mentions Matrix can carry: users (pills) and rooms (room links). */
const matrixMention: fc.Arbitrary<Inline> = fc.oneof(
  matrixTarget("user", matrixUser),
  matrixTarget("channel", matrixRoom),
);

/** Any mention: of Matrix, of XMPP users (which the write context maps to ghosts) and of other networks. */
const anyMention: fc.Arbitrary<Inline> = fc.oneof(
  matrixMention,
  fc
    .record({
      name: nameArb,
      target: fc.oneof(
        fc.record({ jid: fc.constantFrom("anna@example.org", "bob@discord.example.org") }),
        fc.record({
          remoteId: fc.constantFrom("80351110224678912", "U024BE7LH", "bad id!"),
          kind: fc.constantFrom("user", "role", "channel", "everyone", undefined),
        }),
      ),
    })
    .map(({ name, target }): Inline => ({ type: "mention", name, target })),
);

interface Alphabet {
  readonly url: fc.Arbitrary<string>;
  readonly mention: fc.Arbitrary<Inline>;
  readonly emojiUrl: fc.Arbitrary<string | undefined>;
}

function docArb(a: Alphabet): fc.Arbitrary<RichText> {
  const { tree } = fc.letrec<{ inline: Inline; block: Block; tree: RichText }>((tie) => ({
    inline: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      htmlText.map((text): Inline => ({ type: "text", text })),
      htmlText.map((text): Inline => ({ type: "code", text })),
      fc.constant<Inline>({ type: "linebreak" }),
      a.mention,
      fc
        .record({ name: nameArb, url: a.emojiUrl })
        .map(({ name, url }): Inline => (url === undefined ? { type: "emoji", name } : { type: "emoji", name, url })),
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
        .tuple(fc.array(htmlText, { maxLength: 3 }), fc.constantFrom(undefined, "js", "c++", 'a"b'))
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

/** Documents as a Matrix writer produces them: Matrix mentions, mxc:// emoji, http(s) and mailto links. */
const matrixDocs = docArb({
  url: writableUrl,
  mention: matrixMention,
  emojiUrl: fc.constant("mxc://example.org/cat"),
}).map((d) => mapDoc(d, (n, inLink) => (n.type === "mention" && inLink ? [textOf(n)] : [n])));
/** Documents from anywhere: any mention, emoji and link. */
const anyDocs = docArb({
  url: anyUrl,
  mention: anyMention,
  emojiUrl: fc.constantFrom(undefined, "mxc://example.org/cat", "https://cdn.example.org/cat.png"),
});

const hostileHtml = fc.oneof(
  fc.string({
    unit: fc.constantFrom(
      "<b>",
      "</b>",
      "<i>",
      "<p>",
      "</p>",
      "<ul>",
      "<ol start='5'>",
      "<li>",
      "</li>",
      "</ul>",
      "<blockquote>",
      "</blockquote>",
      "<pre>",
      '<code class="language-js">',
      "</code>",
      "</pre>",
      '<a href="https://matrix.to/#/@a:b">',
      '<a href="https://matrix.to/#/#r:b">',
      '<a href="javascript:x">',
      '<a href="http://x.org">',
      "</a>",
      "<br>",
      "<br/>",
      "&amp;",
      "&#",
      "&#x1F600;",
      "&lt",
      "<",
      ">",
      '"',
      "\n",
      " ",
      "a",
      '<img data-mx-emoticon src="mxc://a/b" alt=":x:">',
      '<img src="mxc://a/c" alt="pic">',
      "<mx-reply>",
      "</mx-reply>",
      "<span data-mx-spoiler>",
      "</span>",
      "<h2>",
      "</h2>",
      "<table><tr><td>",
      "</td><td>",
      "<hr>",
      "<!--",
      "-->",
      "<script>",
      "</script>",
    ),
    maxLength: 40,
  }),
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.string({ unit: fc.constantFrom(..."<>/=\"'&#;abpli x\n!-"), maxLength: 60 }),
);

// --- views -----------------------------------------------------------------------

function textOf(n: Extract<Inline, { type: "mention" }>): Inline {
  return { type: "text", text: mentionLabel(n.name, n.target) };
}

function mapDoc(doc: RichText, f: (n: Inline, inLink: boolean) => Inline[]): RichText {
  // Bottom up: `f` sees each node with its children already mapped.
  const inl = (ns: readonly Inline[], inLink: boolean): Inline[] =>
    ns.flatMap((n) => {
      if (n.type === "link") return f({ ...n, children: inl(n.children, true) }, inLink);
      if ("children" in n) return f({ type: n.type, children: inl(n.children, inLink) }, inLink);
      return f(n, inLink);
    });
  const blk = (bs: readonly Block[]): Block[] =>
    bs.map((b): Block => {
      switch (b.type) {
        case "paragraph":
        case "heading":
          return { ...b, children: inl(b.children, false) };
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

const GHOSTS: Readonly<Record<string, string>> = {
  "anna@example.org": "@_xmpp_anna:example.org",
  "bob@discord.example.org": "@_discord_bob:example.org",
};
const writeCtx: MatrixWriteContext = {
  mentionOf: (target) => (target.jid === undefined ? undefined : { userId: GHOSTS[target.jid] as string }),
};
const readCtx = { mediaUrl: (mxc: string) => mxc };

/**
 * What Matrix carries of a document written with `writeCtx`: XMPP users
 * become their ghosts, other networks' mentions and mentions inside links
 * become text, emoji without an mxc:// image become `:name:`, links other
 * than http(s) and mailto keep only their text.
 */
function matrixView(doc: RichText): RichText {
  const pillable = (t: MentionTarget): MentionTarget | undefined => {
    if (t.jid !== undefined) return { kind: "user", network: "matrix", remoteId: GHOSTS[t.jid] as string };
    return t.network === "matrix" ? t : undefined;
  };
  const first = normalizeRichText(doc);
  return normalizeRichText(
    mapDoc(first, (n, inLink) => {
      if (n.type === "mention") {
        const target = inLink ? undefined : pillable(n.target);
        return target === undefined ? [textOf(n)] : [{ ...n, target }];
      }
      if (n.type === "emoji") return n.url?.startsWith("mxc://") ? [n] : [{ type: "text", text: `:${n.name}:` }];
      if (n.type === "link" && !/^(https?:\/\/|mailto:)/.test(n.url)) {
        return n.children.length > 0 ? n.children : [{ type: "text", text: n.url }];
      }
      return [n];
    }),
  );
}

/** Bare links as their URL's text: a body's URLs are links in every client. */
function urlsAsText(doc: RichText): RichText {
  return normalizeRichText(
    mapDoc(doc, (n) => (n.type === "link" && n.children.length === 0 ? [{ type: "text", text: n.url }] : [n])),
  );
}

/** What the generic Markdown of a body carries: mentions and emoji as their text, no spaces at line ends. */
function bodyView(doc: RichText): RichText {
  const mapped = mapDoc(doc, (n) => {
    if (n.type === "mention") return [textOf(n)];
    if (n.type === "emoji") return [{ type: "text", text: `:${n.name}:` }];
    return [n];
  });
  return urlsAsText(normalizeRichText(mapped, { trimLineEdges: true }));
}

const ALLOWED_TAGS = new Set(
  "font del h1 h2 h3 h4 h5 h6 blockquote p a ul ol sup sub li b i u strong em s strike code hr br div table thead tbody tr th td caption pre span img details summary".split(
    " ",
  ),
);

const collapse = (s: string) => s.replace(/\s+/g, " ").trim();

// --- properties ------------------------------------------------------------------

describe("Matrix HTML properties", () => {
  it("fromMatrixHtml(toMatrixContent(doc).formatted_body) is the normalized document, for Matrix documents", () => {
    fc.assert(
      fc.property(matrixDocs, (doc) => {
        const content = toMatrixContent(doc);
        const expected = normalizeRichText(doc);
        if (content.formatted_body === undefined) {
          // Nothing to format: the body alone carries the document.
          assert.deepEqual(urlsAsText(fromMatrixPlain(content.body)), urlsAsText(expected), JSON.stringify(content));
          return;
        }
        assert.equal(content.format, "org.matrix.custom.html");
        assert.deepEqual(fromMatrixHtml(content.formatted_body, readCtx), expected, content.formatted_body);
      }),
      { numRuns: RUNS },
    );
  });

  it("any document reads back as what Matrix carries of it, and lists each mentioned user once", () => {
    fc.assert(
      fc.property(anyDocs, (doc) => {
        const content = toMatrixContent(doc, writeCtx);
        const view = matrixView(doc);
        const back =
          content.formatted_body === undefined
            ? urlsAsText(fromMatrixPlain(content.body))
            : fromMatrixHtml(content.formatted_body, readCtx);
        assert.deepEqual(back, content.formatted_body === undefined ? urlsAsText(view) : view, JSON.stringify(content));
        const users = new Set<string>();
        mapDoc(view, (n) => {
          if (n.type === "mention" && n.target.kind === "user") users.add(n.target.remoteId as string);
          return [n];
        });
        assert.deepEqual([...(content["m.mentions"]?.user_ids ?? [])].sort(), [...users].sort());
      }),
      { numRuns: RUNS },
    );
  });

  it("the body reads back as the document's text and structure", () => {
    fc.assert(
      fc.property(anyDocs, (doc) => {
        const content = toMatrixContent(doc, writeCtx);
        const back = fromMatrixPlain(content.body);
        if (content.formatted_body === undefined) assert.deepEqual(urlsAsText(back), urlsAsText(matrixView(doc)));
        else assert.equal(collapse(toPlainText(bodyView(back))), collapse(toPlainText(bodyView(matrixView(doc)))));
      }),
      { numRuns: RUNS },
    );
  });

  it("writes only Matrix tags, http(s) and mailto links, and mxc:// images", () => {
    fc.assert(
      fc.property(anyDocs, (doc) => {
        const html = toMatrixContent(doc, writeCtx).formatted_body ?? "";
        for (const m of html.matchAll(/<\/?([A-Za-z][A-Za-z0-9-]*)/g)) {
          assert.ok(ALLOWED_TAGS.has((m[1] as string).toLowerCase()), `<${m[1]}> in ${html}`);
        }
        for (const m of html.matchAll(/\shref="([^"]*)"/g)) assert.match(m[1] as string, /^(https?:\/\/|mailto:)/);
        for (const m of html.matchAll(/\ssrc="([^"]*)"/g)) assert.match(m[1] as string, /^mxc:\/\//);
        assert.doesNotMatch(html, /=\s*["']?\s*javascript:/i);
      }),
      { numRuns: RUNS },
    );
  });

  it("never throws on any markup, returns normalized documents, and what it reads is written back the same", () => {
    fc.assert(
      fc.property(hostileHtml, (s) => {
        const doc = fromMatrixHtml(s, readCtx);
        assert.deepEqual(normalizeRichText(doc), doc);
        const plain = fromMatrixPlain(s);
        assert.deepEqual(normalizeRichText(plain), plain);
        const content = toMatrixContent(doc);
        const back =
          content.formatted_body === undefined
            ? urlsAsText(fromMatrixPlain(content.body))
            : fromMatrixHtml(content.formatted_body, readCtx);
        const view = matrixView(doc);
        assert.deepEqual(back, content.formatted_body === undefined ? urlsAsText(view) : view, JSON.stringify(s));
      }),
      { numRuns: RUNS * 3 },
    );
  });
});
