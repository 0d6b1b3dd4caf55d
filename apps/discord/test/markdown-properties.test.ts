/**
 * Properties of the Discord markdown reader and writer over random
 * documents and random strings: nothing throws, readings are normalized,
 * what the writer produces reads back as the same document (exactly, for
 * documents Discord can show; as Discord shows them, for any document),
 * and text never turns into formatting.
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
import {
  type DiscordReadContext,
  type DiscordWriteContext,
  fromDiscordMarkdown,
  writeDiscordMarkdown,
} from "../src/markdown/index.ts";

const RUNS = Number(process.env.FC_RUNS ?? 300);
const TRIM = { trimLineEdges: true } as const;

const readCtx: DiscordReadContext = {
  resolveUser: (id) => `U${id}`,
  resolveRole: (id) => `R${id}`,
  resolveChannel: (id) => `C${id}`,
  emojiUrl: (id, animated) => `https://cdn.example/${id}.${animated ? "gif" : "png"}`,
};
const writeCtx: DiscordWriteContext = {
  mentionOf: (t: MentionTarget) => {
    if (t.network !== "discord" || t.remoteId === undefined) return undefined;
    if (t.kind === "everyone") return t.remoteId === "here" ? "@here" : "@everyone";
    if (!/^\d+$/.test(t.remoteId)) return undefined;
    return t.kind === "role" ? `<@&${t.remoteId}>` : t.kind === "channel" ? `<#${t.remoteId}>` : `<@${t.remoteId}>`;
  },
};
const read = (s: string) => fromDiscordMarkdown(s, readCtx);

// --- generators ------------------------------------------------------------------

const chars = (alphabet: string, maxLength = 8) =>
  fc.string({ unit: fc.constantFrom(...Array.from(alphabet)), minLength: 1, maxLength });

/** Text with every character that means something in Discord markdown, and pieces that look like markup. */
const markupText = fc.oneof(
  { weight: 5, arbitrary: chars("ab Zé9 *_~`|[]()<>#-+.!:/\\\t@😀") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "http://x.org/a_b",
      "HTTPS://X.ORG",
      "1. ",
      "- ",
      "* ",
      "# ",
      "-# ",
      "> ",
      ">>> ",
      "```",
      "``",
      "<@12>",
      "<#3>",
      "<:e:1>",
      "<t:1:R>",
      "@everyone",
      "@here",
      "\\",
      "  ",
      "||",
      "~~",
      "¯\\_(ツ)_/¯",
      "\u200b",
      "`\u200b`",
    ),
  },
);

const linkableUrl = fc.constantFrom(
  "http://x.org",
  "https://example.com/a_b?q=1&r=(2)",
  "https://example.com/path)",
  "http://x.org/end.",
  "https://example.com/a b",
  "HTTPS://X.ORG/Up",
  "https://x.org/a\\b*c",
);
const anyUrl = fc.oneof(
  linkableUrl,
  fc.constantFrom(
    "xmpp:room@muc.example.org?join",
    "mailto:anna@example.org",
    "ftp://host/<file>",
    "https://x.org/<a>",
  ),
);

const discordIds = fc.constantFrom("80351110224678912", "42", "7");
/** Mentions as a Discord reading gives them back: the name is what the read context resolves. */
const discordMention: fc.Arbitrary<Inline> = fc.oneof(
  fc.tuple(discordIds, fc.constantFrom("user", "role", "channel" as const)).map(([id, kind]): Inline => {
    const name = kind === "role" ? `R${id}` : kind === "channel" ? `C${id}` : `U${id}`;
    return { type: "mention", name, target: { network: "discord", remoteId: id, kind } };
  }),
  fc
    .constantFrom("everyone", "here")
    .map((w): Inline => ({ type: "mention", name: w, target: { network: "discord", remoteId: w, kind: "everyone" } })),
);
const anyMention: fc.Arbitrary<Inline> = fc.oneof(
  discordMention,
  fc
    .record({
      name: chars("AnaBobé9 *", 6),
      target: fc.oneof(
        fc.record({ jid: fc.constantFrom("anna@example.org", "bob@discord.example.org") }),
        fc.record({
          network: fc.constantFrom("discord", "slack"),
          remoteId: fc.constantFrom("80351110224678912", "U024BE7LH", "bad id!"),
          kind: fc.constantFrom("user", "role", "channel", "everyone", undefined),
        }),
      ),
    })
    .map((m): Inline => ({ type: "mention", ...m })),
);

interface Shape {
  readonly text: fc.Arbitrary<string>;
  readonly url: fc.Arbitrary<string>;
  readonly mention: fc.Arbitrary<Inline>;
  /** Only what Discord can show: no emoji, no quote in a quote, headings 1-3, code blocks Discord reads. */
  readonly discordOnly: boolean;
}

function docArb(s: Shape): fc.Arbitrary<RichText> {
  const codeLang = s.discordOnly
    ? fc.constantFrom(undefined, "js", "c++", "f#")
    : fc.constantFrom(undefined, "js", "c++", "a/b");
  const codeText = s.discordOnly
    ? fc.array(s.text, { minLength: 1, maxLength: 3 }).map((l) => l.join("\n").replace(/^\n+|\n+$/g, "") || "x")
    : fc.array(s.text, { maxLength: 3 }).map((l) => l.join("\n"));
  const { tree } = fc.letrec<{ inline: Inline; block: Block; quoted: Block; tree: RichText }>((tie) => {
    const leaves: Array<fc.Arbitrary<Inline>> = [
      s.text.map((text): Inline => ({ type: "text", text })),
      s.text.map((text): Inline => ({ type: "code", text })),
      fc.constant<Inline>({ type: "linebreak" }),
      s.mention,
    ];
    if (!s.discordOnly) leaves.push(chars("ab_é9", 6).map((name): Inline => ({ type: "emoji", name })));
    const blockArb = (inQuote: boolean): fc.Arbitrary<Block> =>
      fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        fc
          .array(tie("inline"), { minLength: 1, maxLength: 5 })
          .map((children): Block => ({ type: "paragraph", children })),
        fc
          .tuple(codeText, codeLang)
          .map(([text, lang]): Block => ({ type: "code_block", text, ...(lang !== undefined && { lang }) })),
        fc
          .tuple(
            s.discordOnly ? fc.constantFrom(1, 2, 3 as const) : fc.constantFrom(1, 3, 4, 6 as const),
            fc.array(tie("inline"), { minLength: 1, maxLength: 3 }),
          )
          .map(([level, children]): Block => ({ type: "heading", level, children })),
        fc
          .array(s.discordOnly ? tie("quoted") : tie("block"), { minLength: 1, maxLength: 3 })
          .map((children): Block => ({ type: "quote", children })),
        fc
          .tuple(
            fc.boolean(),
            fc.constantFrom(undefined, 0, 1, 7, 12),
            fc.array(fc.array(inQuote ? tie("quoted") : tie("block"), { maxLength: 2 }), {
              minLength: 1,
              maxLength: 3,
            }),
          )
          .map(
            ([ordered, start, items]): Block => ({
              type: "list",
              ordered,
              ...(start !== undefined && { start }),
              items,
            }),
          ),
      );
    return {
      inline: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        ...leaves,
        fc
          .tuple(
            fc.constantFrom("bold", "italic", "underline", "strike", "spoiler" as const),
            fc.array(tie("inline"), { maxLength: 3 }),
          )
          .map(([type, children]): Inline => ({ type, children })),
        fc
          .tuple(s.url, fc.array(tie("inline"), { maxLength: 2 }))
          .map(([url, children]): Inline => ({ type: "link", url, children })),
      ),
      block: blockArb(false),
      // Blocks inside a quote: for Discord-only documents, no quote at any depth below.
      quoted: s.discordOnly
        ? fc.oneof(
            { depthSize: "small", withCrossShrink: true },
            fc
              .array(tie("inline"), { minLength: 1, maxLength: 4 })
              .map((children): Block => ({ type: "paragraph", children })),
            fc
              .tuple(codeText, codeLang)
              .map(([text, lang]): Block => ({ type: "code_block", text, ...(lang !== undefined && { lang }) })),
            fc
              .tuple(fc.boolean(), fc.array(fc.array(tie("quoted"), { maxLength: 2 }), { minLength: 1, maxLength: 2 }))
              .map(([ordered, items]): Block => ({ type: "list", ordered, items })),
          )
        : blockArb(true),
      tree: fc.array(tie("block"), { maxLength: 4 }).map((blocks) => ({ blocks })),
    };
  });
  return tree;
}

const discordDocs = docArb({ text: markupText, url: linkableUrl, mention: discordMention, discordOnly: true });
const anyDocs = docArb({ text: markupText, url: anyUrl, mention: anyMention, discordOnly: false });

const hostileString = fc.oneof(
  fc.string({ unit: fc.constantFrom(...Array.from("*_~`|>[]()<>#-+.1 \n\\@:/ht")), maxLength: 60 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom(
      "**",
      "__",
      "||",
      "~~",
      "```",
      "```js\n",
      "> ",
      ">>> ",
      "- ",
      "  ",
      "1. ",
      "# ",
      "[a](",
      "](https://x.org)",
      "http://x",
      "<@1>",
      "<:e:2>",
      "<t:3>",
      "@here",
      "\n",
      "\n\n",
      " ",
      "a",
    ),
    maxLength: 30,
  }),
);

// --- what Discord carries ----------------------------------------------------------

const LANG = /^[a-z0-9_+\-.#]+$/i;
const linkable = (url: string) => /^https?:\/\/[^\s<>]+$/i.test(url) && !/^https?:\/\/$/i.test(url);

/**
 * A document as it reads back from Discord: written independently of the
 * writer's own pass, from what the syntax allows.
 */
function discordView(d: RichText): RichText {
  const inl = (ns: readonly Inline[]): Inline[] =>
    ns.flatMap((n): Inline[] => {
      switch (n.type) {
        case "mention": {
          const markup = writeCtx.mentionOf?.(n.target);
          if (markup === undefined) return [{ type: "text", text: mentionLabel(n.name, n.target) }];
          if (n.target.kind === "everyone") {
            const w = markup.slice(1);
            return [{ type: "mention", name: w, target: { network: "discord", remoteId: w, kind: "everyone" } }];
          }
          const id = n.target.remoteId as string;
          const kind = n.target.kind === "role" || n.target.kind === "channel" ? n.target.kind : "user";
          const name = kind === "role" ? `R${id}` : kind === "channel" ? `C${id}` : `U${id}`;
          return [{ type: "mention", name, target: { network: "discord", remoteId: id, kind } }];
        }
        case "emoji":
          return [{ type: "text", text: `:${n.name}:` }];
        case "link":
          if (linkable(n.url)) return [{ type: "link", url: n.url, children: inl(n.children) }];
          if (n.children.length === 0) return [{ type: "text", text: n.url }];
          return [...inl(n.children), { type: "text", text: ` (${n.url})` }];
        case "bold":
        case "italic":
        case "underline":
        case "strike":
        case "spoiler":
          return [{ type: n.type, children: inl(n.children) }];
        default:
          return [n];
      }
    });
  const blk = (bs: readonly Block[], inQuote: boolean): Block[] =>
    bs.flatMap((b): Block[] => {
      switch (b.type) {
        case "paragraph":
          return [{ type: "paragraph", children: inl(b.children) }];
        case "heading":
          return [{ type: "heading", level: Math.min(3, b.level) as 1, children: inl(b.children) }];
        case "code_block": {
          const text = b.text.replace(/^\n+|\n+$/g, "");
          if (text === "") return [];
          return [
            b.lang !== undefined && LANG.test(b.lang)
              ? { type: "code_block", lang: b.lang, text }
              : { type: "code_block", text },
          ];
        }
        case "quote":
          return inQuote ? blk(b.children, true) : [{ type: "quote", children: blk(b.children, true) }];
        case "list":
          return [{ ...b, items: b.items.map((item) => blk(item, inQuote)) }];
        default:
          return [];
      }
    });
  return normalizeRichText({ blocks: blk(normalizeRichText(d, TRIM).blocks, false) }, TRIM);
}

const collapse = (s: string) => s.replace(/\s+/g, " ").trim();

const hasStyle = (d: RichText) =>
  /"type":"(bold|italic|underline|strike|spoiler|code|link|mention)"/.test(JSON.stringify(d));

// --- properties ------------------------------------------------------------------

describe("Discord markdown properties", () => {
  it("never throws on any string, returns normalized documents, and whatever it reads can be written again", () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        const d = read(s);
        assert.deepEqual(normalizeRichText(d), d);
        assert.deepEqual(normalizeRichText(d, TRIM), d);
        writeDiscordMarkdown(d, writeCtx);
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it("fromDiscordMarkdown(toDiscordMarkdown(d)) deep-equals normalizeRichText(d) for what Discord can show", () => {
    let inexact = 0;
    fc.assert(
      fc.property(discordDocs, (generated) => {
        // The writer's input as a connector hands it over: lines without edge spaces, which no markup keeps.
        const d = normalizeRichText(generated, TRIM);
        const { text, exact } = writeDiscordMarkdown(d, writeCtx);
        const back = read(text);
        if (exact) assert.deepEqual(back, normalizeRichText(d), `written as ${JSON.stringify(text)}`);
        else {
          inexact++;
          assert.equal(collapse(toPlainText(back)), collapse(toPlainText(d)), JSON.stringify(text));
        }
      }),
      { numRuns: RUNS },
    );
    // Documents with no exact spelling are rare corner cases, not a way out.
    assert.ok(inexact <= RUNS / 50, `${inexact} of ${RUNS} documents were not written exactly`);
  });

  it("any document reads back as Discord shows it: quotes folded, links to http(s) only, emoji as :name:", () => {
    let inexact = 0;
    fc.assert(
      fc.property(anyDocs, (d) => {
        const { text, exact } = writeDiscordMarkdown(d, writeCtx);
        const back = read(text);
        if (exact) assert.deepEqual(back, discordView(d), `written as ${JSON.stringify(text)}`);
        else {
          inexact++;
          assert.equal(collapse(toPlainText(back)), collapse(toPlainText(discordView(d))), JSON.stringify(text));
        }
      }),
      { numRuns: RUNS },
    );
    assert.ok(inexact <= RUNS / 50, `${inexact} of ${RUNS} documents were not written exactly`);
  });

  it("a Discord message read, written and read again reads the same", () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        const d = read(s);
        const { text, exact } = writeDiscordMarkdown(d, writeCtx);
        if (exact)
          assert.deepEqual(read(text), discordView(d), `${JSON.stringify(s)} written as ${JSON.stringify(text)}`);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("text never turns into formatting: every character comes back as text", () => {
    const line = fc.string({ unit: markupText, minLength: 1, maxLength: 6 }).map((s) => s.replace(/\n/g, ""));
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 4 }), (lines) => {
        const d = normalizeRichText(
          {
            blocks: [
              {
                type: "paragraph",
                children: lines.flatMap((l, k): Inline[] =>
                  k === 0 ? [{ type: "text", text: l }] : [{ type: "linebreak" }, { type: "text", text: l }],
                ),
              },
            ],
          },
          TRIM,
        );
        const { text } = writeDiscordMarkdown(d);
        const back = read(text);
        assert.ok(!hasStyle(back), `${JSON.stringify(lines)} written as ${JSON.stringify(text)}`);
        assert.deepEqual(back, d);
      }),
      { numRuns: RUNS },
    );
  });
});
