/** XEP-0393 message styling and XEP-0372 mention references, to and from the rich-text tree. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { codePointSlice, type Reference } from "@parley/stanza";
import { fromStyling, MAX_BLOCK_DEPTH, type RichText, toPlainText, toStyling } from "../src/format/index.ts";
import { b, br, doc, i, p, t } from "./format-builders.ts";

const mention = (begin: number, end: number, jid = "anna@example.org"): Reference => ({
  type: "mention",
  uri: `xmpp:${jid}`,
  begin,
  end,
});

describe("fromStyling: the examples of XEP-0393", () => {
  const cases: Array<[string, RichText]> = [
    ["plain span", doc(p(t("plain span")))],
    ["*strong span*", doc(p(b(t("strong span"))))],
    ["plain _emphasis_ plain", doc(p(t("plain "), i(t("emphasis")), t(" plain")))],
    ["`pre` plain *strong*", doc(p({ type: "code", text: "pre" }, t(" plain "), b(t("strong"))))],
    ["*strong*plain*", doc(p(b(t("strong")), t("plain*")))],
    ["* plain *strong*", doc(p(t("* plain "), b(t("strong"))))],
    ["Everyone ~dis~likes cake.", doc(p(t("Everyone "), { type: "strike", children: [t("dis")] }, t("likes cake.")))],
    ["This is `*monospace*`", doc(p(t("This is "), { type: "code", text: "*monospace*" }))],
    ["This is *`monospace and bold`*", doc(p(t("This is "), b({ type: "code", text: "monospace and bold" })))],
    [
      "The full title is _Twelfth Night, or What You Will_ but\n_most_ people shorten it.",
      doc(
        p(
          t("The full title is "),
          i(t("Twelfth Night, or What You Will")),
          t(" but"),
          br,
          i(t("most")),
          t(" people shorten it."),
        ),
      ),
    ],
    [
      "There are three blocks in this body, one per line,\nbut there is no *formatting\nas spans* may not escape blocks.",
      doc(
        p(
          t("There are three blocks in this body, one per line,"),
          br,
          t("but there is no *formatting"),
          br,
          t("as spans* may not escape blocks."),
        ),
      ),
    ],
    [
      '```ignored\n(println "Hello, world!")\n```\nThis should show up as monospace, preformatted text ⤴',
      doc(
        { type: "code_block", lang: "ignored", text: '(println "Hello, world!")' },
        p(t("This should show up as monospace, preformatted text ⤴")),
      ),
    ],
    [
      '> ```\n> (println "Hello, world!")\nThe entire blockquote is a preformatted text block, but this line\nis plaintext!',
      doc(
        { type: "quote", children: [{ type: "code_block", text: '(println "Hello, world!")' }] },
        p(t("The entire blockquote is a preformatted text block, but this line"), br, t("is plaintext!")),
      ),
    ],
    [
      "> That that is, is.\nSaid the old hermit of Prague.",
      doc({ type: "quote", children: [p(t("That that is, is."))] }, p(t("Said the old hermit of Prague."))),
    ],
    [
      ">> That that is, is.\n> Said the old hermit of Prague.\nWho?",
      doc(
        {
          type: "quote",
          children: [{ type: "quote", children: [p(t("That that is, is."))] }, p(t("Said the old hermit of Prague."))],
        },
        p(t("Who?")),
      ),
    ],
  ];
  for (const [body, expected] of cases) {
    it(JSON.stringify(body), () => assert.deepEqual(fromStyling(body), expected));
  }

  it("styles nothing in the XEP's counter-examples", () => {
    for (const body of ["not strong*", "*not strong", "*not *strong", "**", "***", "****"]) {
      assert.deepEqual(fromStyling(body), doc(p(t(body))), body);
    }
    assert.deepEqual(fromStyling("*not \n strong*"), doc(p(t("*not "), br, t(" strong*"))));
  });
});

describe("fromStyling: beyond the XEP", () => {
  it("reads ||text|| as a spoiler (only where no styling directive is inside it)", () => {
    assert.deepEqual(
      fromStyling("a ||secret|| b"),
      doc(p(t("a "), { type: "spoiler", children: [t("secret")] }, t(" b"))),
    );
    assert.deepEqual(fromStyling("*||secret||*"), doc(p(b({ type: "spoiler", children: [t("secret")] }))));
    assert.deepEqual(fromStyling("|| not || and ||||"), doc(p(t("|| not || and ||||"))));
  });

  it("reads bare URLs as links, without the punctuation that ends the sentence", () => {
    assert.deepEqual(
      fromStyling("see https://en.wikipedia.org/wiki/Foo_(bar)."),
      doc(p(t("see "), { type: "link", url: "https://en.wikipedia.org/wiki/Foo_(bar)", children: [] }, t("."))),
    );
  });

  it("separates paragraphs at empty lines and keeps :name: as text", () => {
    assert.deepEqual(fromStyling("a\n\n\nb :party:"), doc(p(t("a")), p(t("b :party:"))));
  });

  it("reads quotes nested past MAX_BLOCK_DEPTH as text, without recursion limits or quadratic time", () => {
    const deep = fromStyling(`${">".repeat(100_000)} x`);
    let depth = 0;
    let blocks = deep.blocks;
    while (blocks[0]?.type === "quote") {
      depth++;
      blocks = blocks[0].children;
    }
    assert.equal(depth, MAX_BLOCK_DEPTH);
    assert.equal(toPlainText({ blocks }), `${">".repeat(100_000 - MAX_BLOCK_DEPTH)} x`);
    assert.equal(toPlainText(fromStyling("*_".repeat(50_000))), "*_".repeat(50_000));
    assert.equal(toPlainText(fromStyling(" *a".repeat(30_000))), " *a".repeat(30_000));
  });

  it("handles a message of 200,000 lines (no argument-list or stack limits)", () => {
    const body = "> *a* Anna\n".repeat(200_000).slice(0, -1);
    const refs = Array.from({ length: 1000 }, (_, k) => mention(k * 11 + 6, k * 11 + 10));
    const read = fromStyling(body, refs);
    const written = toStyling(read);
    assert.equal(written.body, body);
    assert.equal(written.references.length, 1000);
    assert.deepEqual(written.references[999], mention(999 * 11 + 6, 999 * 11 + 10));
  });
});

describe("fromStyling: mention references", () => {
  it("makes a mention of each reference, counting code points (astral characters before it)", () => {
    const body = "😀 hi Anna and 𝔹ob";
    const refs = [mention(5, 9), mention(14, 17, "bob@example.org")];
    assert.equal(codePointSlice(body, 5, 9), "Anna");
    assert.equal(codePointSlice(body, 14, 17), "𝔹ob");
    assert.deepEqual(
      fromStyling(body, refs),
      doc(
        p(t("😀 hi "), { type: "mention", name: "Anna", target: { jid: "anna@example.org" } }, t(" and "), {
          type: "mention",
          name: "𝔹ob",
          target: { jid: "bob@example.org" },
        }),
      ),
    );
  });

  it("keeps the mention inside styling and spoilers, and drops a leading @ from the name", () => {
    assert.deepEqual(
      fromStyling("*@Anna* ||Anna||", [mention(1, 6), mention(10, 14)]),
      doc(
        p(b({ type: "mention", name: "Anna", target: { jid: "anna@example.org" } }), t(" "), {
          type: "spoiler",
          children: [{ type: "mention", name: "Anna", target: { jid: "anna@example.org" } }],
        }),
      ),
    );
  });

  it("ignores references it cannot place, and never throws on them", () => {
    const body = "Anna `Anna` *Anna*\n```\nAnna\n```";
    const bad: Reference[] = [
      mention(0, 99), // past the end
      mention(3, 1), // inverted
      mention(2, 2), // empty
      mention(6, 10), // inside a pre span
      mention(12, 18), // covers the directives
      mention(29, 33), // inside a pre block
      { type: "mention", uri: "https://example.org/anna", begin: 0, end: 4 }, // not a JID
      { type: "data", uri: "xmpp:anna@example.org", begin: 0, end: 4 },
      { type: "mention", uri: "xmpp:anna@example.org" }, // no range
      { type: "mention", uri: "xmpp:anna@example.org", begin: 0.5, end: 4 },
    ];
    const read = fromStyling(body, bad);
    assert.deepEqual(read, fromStyling(body));
  });

  it("ignores overlapping references, keeping the others", () => {
    const read = fromStyling("Anna Bob Eve", [mention(0, 4), mention(2, 8, "x@y"), mention(9, 12, "eve@example.org")]);
    assert.deepEqual(
      read,
      doc(p(t("Anna Bob "), { type: "mention", name: "Eve", target: { jid: "eve@example.org" } })),
    );
  });
});

describe("toStyling", () => {
  it("writes every node kind", () => {
    const d = doc(
      { type: "heading", level: 1, children: [t("Title "), i(t("here"))] },
      p(
        b(t("bold")),
        t(" "),
        i(t("it")),
        t(" "),
        { type: "strike", children: [t("gone")] },
        t(" "),
        { type: "underline", children: [t("under")] },
        t(" "),
        { type: "spoiler", children: [b(t("secret"))] },
        t(" "),
        { type: "code", text: "x = 1" },
        br,
        { type: "link", url: "https://a.example", children: [] },
        t(" "),
        { type: "link", url: "https://b.example", children: [t("docs")] },
        t(" "),
        { type: "emoji", name: "party", url: "https://cdn.example/p.png" },
        t(" "),
        { type: "mention", name: "everyone", target: { kind: "everyone" } },
      ),
      { type: "quote", children: [p(t("quoted")), { type: "code_block", text: "in quote" }] },
      { type: "code_block", lang: "js", text: "let a;\n```\n" },
      {
        type: "list",
        ordered: false,
        items: [[p(t("one"))], [p(t("two")), { type: "list", ordered: true, start: 3, items: [[p(t("sub"))]] }]],
      },
      { type: "list", ordered: false, items: [[{ type: "quote", children: [p(t("q"))] }], []] },
    );
    const { body, references } = toStyling(d);
    assert.equal(
      body,
      [
        "*Title _here_*",
        "*bold* _it_ ~gone~ under *||secret||* `x = 1`",
        "https://a.example docs (https://b.example) :party: @everyone",
        "> quoted",
        "> ```",
        "> in quote",
        "> ```",
        "```js",
        "let a;",
        "``` ",
        "",
        "```",
        "- one",
        "- two",
        "  3. sub",
        "",
        "-",
        "> q",
        "-",
      ].join("\n"),
    );
    assert.deepEqual(references, []);
  });

  it("writes a mention as the name alone, with a reference over it in code points", () => {
    const d = doc(
      p(
        t("😀 "),
        { type: "mention", name: "Anna", target: { jid: "anna@example.org" } },
        t(" "),
        b({ type: "mention", name: "𝔹ob", target: { jid: "bob@example.org", remoteId: "1" } }),
        t(" "),
        { type: "mention", name: "Eve", target: { remoteId: "9" } },
      ),
      { type: "quote", children: [p({ type: "mention", name: "Anna", target: { jid: "anna@example.org" } })] },
    );
    const { body, references } = toStyling(d);
    assert.equal(body, "😀 Anna *𝔹ob* @Eve\n> Anna");
    assert.deepEqual(references, [mention(2, 6), mention(8, 11, "bob@example.org"), mention(20, 24)]);
    for (const r of references) assert.match(codePointSlice(body, r.begin ?? -1, r.end), /^(Anna|𝔹ob)$/);
    assert.deepEqual(
      fromStyling(body, references),
      doc(
        p(
          t("😀 "),
          { type: "mention", name: "Anna", target: { jid: "anna@example.org" } },
          t(" "),
          b({ type: "mention", name: "𝔹ob", target: { jid: "bob@example.org" } }),
          t(" @Eve"),
        ),
        { type: "quote", children: [p({ type: "mention", name: "Anna", target: { jid: "anna@example.org" } })] },
      ),
    );
  });

  it("writes styling only where XEP-0393 lets a directive open, and the text always", () => {
    assert.equal(toStyling(doc(p(t("un"), b(t("believ")), t("able")))).body, "unbelievable");
    assert.equal(toStyling(doc(p(t("a "), { type: "code", text: " spaced " }, t(" b")))).body, "a  `spaced`  b");
    assert.equal(toStyling(doc(p(b(t("x*y"))))).body, "x*y");
    assert.equal(toStyling(doc(p(b(i(t("both")))))).body, "*_both_*");
  });

  it("is read back to the same document where XEP-0393 can say it all", () => {
    const d = doc(
      p(t("hi "), b(t("there")), t(" "), i(t("you")), t(" "), { type: "spoiler", children: [t("psst")] }),
      { type: "quote", children: [p(t("a"), br, t("b")), { type: "quote", children: [p(t("c"))] }] },
      { type: "code_block", lang: "py", text: "print(1)\n\nprint(2)" },
      p({ type: "link", url: "https://x.example/a_b", children: [] }, t(" "), { type: "code", text: "*raw*" }),
    );
    const { body, references } = toStyling(d);
    assert.deepEqual(fromStyling(body, references), d);
  });
});
