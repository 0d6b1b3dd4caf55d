/** Writing the rich-text tree as Matrix message content: body, formatted_body and m.mentions. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Block, Inline, RichText } from "@parley/bridge";
import { fromMatrixHtml, toMatrixContent } from "../src/html/index.ts";

const t = (text: string): Inline => ({ type: "text", text });
const p = (...children: Inline[]): Block => ({ type: "paragraph", children });
const doc = (...blocks: Block[]): RichText => ({ blocks });
const br: Inline = { type: "linebreak" };

describe("toMatrixContent", () => {
  it("sends an unformatted message as a body alone, URLs and all", () => {
    assert.deepEqual(toMatrixContent(doc(p(t("hello snake_case, see http://x.org")), p(t("bye")))), {
      body: "hello snake_case, see http://x.org\n\nbye",
      "m.mentions": {},
    });
    assert.deepEqual(toMatrixContent(doc(p(t("a"), br, { type: "link", url: "https://x.org", children: [] }))), {
      body: "a\nhttps://x.org",
      "m.mentions": {},
    });
    assert.deepEqual(toMatrixContent(doc()), { body: "", "m.mentions": {} });
  });

  it("sends HTML when the body alone would read differently", () => {
    // Markdown marks typed as text must stay text for a reader of the body, so the HTML says what they are.
    const c = toMatrixContent(doc(p(t("use *stars* & <tags> as they are"))));
    assert.equal(c.format, "org.matrix.custom.html");
    assert.equal(c.formatted_body, "use *stars* &amp; &lt;tags&gt; as they are");
    assert.equal(c.body, "use \\*stars\\* & \\<tags> as they are");
  });

  it("writes styles with the tags Element uses, and the Markdown source as the body", () => {
    const c = toMatrixContent(
      doc(
        p(
          { type: "bold", children: [t("b")] },
          t(" "),
          { type: "italic", children: [t("i")] },
          t(" "),
          { type: "underline", children: [t("u")] },
          t(" "),
          { type: "strike", children: [t("s")] },
          t(" "),
          { type: "spoiler", children: [t("x")] },
          t(" "),
          { type: "code", text: "a<b" },
          br,
          { type: "link", url: "https://example.org/?a=1&b=2", children: [t("site")] },
        ),
      ),
    );
    assert.equal(
      c.formatted_body,
      '<strong>b</strong> <em>i</em> <u>u</u> <del>s</del> <span data-mx-spoiler>x</span> <code>a&lt;b</code><br><a href="https://example.org/?a=1&amp;b=2">site</a>',
    );
    assert.equal(c.body, "**b** _i_ __u__ ~~s~~ ||x|| `a<b`\n[site](https://example.org/?a=1&b=2)");
  });

  it("writes blocks one per line, as Element does", () => {
    const c = toMatrixContent(
      doc(
        { type: "heading", level: 2, children: [t("Plan")] },
        { type: "list", ordered: true, start: 3, items: [[p(t("one"))], [p(t("two")), p(t("more"))], []] },
        { type: "code_block", lang: "ts", text: "if (a < b) {}\n" },
        { type: "quote", children: [p(t("q"))] },
      ),
    );
    assert.equal(
      c.formatted_body,
      [
        "<h2>Plan</h2>",
        '<ol start="3">',
        "<li>one</li>",
        "<li>",
        "<p>two</p>",
        "<p>more</p>",
        "</li>",
        "<li></li>",
        "</ol>",
        '<pre><code class="language-ts">if (a &lt; b) {}',
        "",
        "</code></pre>",
        "<blockquote>",
        "<p>q</p>",
        "</blockquote>",
      ].join("\n"),
    );
    assert.equal(c.body, "## Plan\n3. one\n4. two\n\n   more\n5.\n```ts\nif (a < b) {}\n\n```\n> q");
  });

  it("escapes text and attributes so nothing reads as markup", () => {
    const nasty = '<script>alert("x")</script> & &amp; "quotes"';
    const c = toMatrixContent(
      doc(p({ type: "link", url: 'https://e.org/"><img src=x onerror=alert(1)>', children: [t(nasty)] })),
    );
    assert.equal(
      c.formatted_body,
      '<a href="https://e.org/&quot;&gt;&lt;img%20src=x%20onerror=alert(1)&gt;">&lt;script&gt;alert("x")&lt;/script&gt; &amp; &amp;amp; "quotes"</a>',
    );
    assert.deepEqual(
      fromMatrixHtml(c.formatted_body ?? ""),
      doc(p({ type: "link", url: 'https://e.org/"><img%20src=x%20onerror=alert(1)>', children: [t(nasty)] })),
    );
  });

  it("never writes a link to javascript: or any scheme but http(s) and mailto", () => {
    const c = toMatrixContent(
      doc(
        p(
          { type: "link", url: "javascript:alert(1)", children: [t("click")] },
          t(" "),
          { type: "link", url: "xmpp:room@muc.example.org?join", children: [] },
          t(" "),
          { type: "bold", children: [{ type: "link", url: "mailto:anna@example.org", children: [t("mail")] }] },
        ),
      ),
    );
    assert.equal(
      c.formatted_body,
      'click xmpp:room@muc.example.org?join <a href="mailto:anna@example.org"><strong>mail</strong></a>',
    );
  });

  it("writes mentions of Matrix users as pills and lists them in m.mentions", () => {
    const mentionOf = (target: { jid?: string }) =>
      target.jid === "anna@example.org" ? { userId: "@_xmpp_anna:example.org" } : undefined;
    const c = toMatrixContent(
      doc(
        p(
          { type: "mention", name: "Anna", target: { jid: "anna@example.org" } },
          t(" and "),
          { type: "mention", name: "Bob", target: { kind: "user", network: "matrix", remoteId: "@bob:example.org" } },
          t(" and "),
          { type: "mention", name: "Anna", target: { jid: "anna@example.org" } },
          t(" not "),
          { type: "mention", name: "Carl", target: { jid: "carl@example.org" } },
          t(" "),
          { type: "mention", name: "everyone", target: { kind: "everyone" } },
          t(" in "),
          {
            type: "mention",
            name: "lobby",
            target: { kind: "channel", network: "matrix", remoteId: "#lobby:example.org" },
          },
        ),
      ),
      { mentionOf },
    );
    assert.equal(
      c.formatted_body,
      '<a href="https://matrix.to/#/@_xmpp_anna:example.org">Anna</a> and <a href="https://matrix.to/#/@bob:example.org">Bob</a> and ' +
        '<a href="https://matrix.to/#/@_xmpp_anna:example.org">Anna</a> not @Carl @everyone in <a href="https://matrix.to/#/#lobby:example.org">#lobby</a>',
    );
    assert.equal(c.body, "@Anna and @Bob and @Anna not @Carl @everyone in #lobby");
    assert.deepEqual(c["m.mentions"], { user_ids: ["@_xmpp_anna:example.org", "@bob:example.org"] });
  });

  it("writes no pill for a user id the context makes up badly, nor inside a link", () => {
    const c = toMatrixContent(
      doc(
        p({ type: "mention", name: "X", target: { jid: "x@example.org" } }, t(" "), {
          type: "link",
          url: "https://example.org",
          children: [{ type: "mention", name: "Bob", target: { network: "matrix", remoteId: "@bob:example.org" } }],
        }),
      ),
      { mentionOf: () => ({ userId: 'not a user" id' }) },
    );
    assert.equal(c.formatted_body, '@X <a href="https://example.org">@Bob</a>');
    assert.deepEqual(c["m.mentions"], {});
  });

  it("percent-encodes a user id's characters that would change the link", () => {
    const c = toMatrixContent(
      doc(p({ type: "mention", name: "Odd", target: { network: "matrix", remoteId: "@a?b%c#d:example.org" } })),
    );
    assert.equal(c.formatted_body, '<a href="https://matrix.to/#/@a%3Fb%25c%23d:example.org">Odd</a>');
    assert.deepEqual(
      fromMatrixHtml(c.formatted_body ?? ""),
      doc(
        p({
          type: "mention",
          name: "Odd",
          target: { kind: "user", network: "matrix", remoteId: "@a?b%c#d:example.org" },
        }),
      ),
    );
  });

  it("writes custom emoji with an mxc:// image as Matrix emoticons, others as :name:", () => {
    const c = toMatrixContent(
      doc(
        p({ type: "emoji", name: "cat", url: "mxc://example.org/cat" }, t(" "), {
          type: "emoji",
          name: "dog",
          url: "https://cdn.example.org/dog.png",
        }),
      ),
    );
    assert.equal(
      c.formatted_body,
      '<img data-mx-emoticon src="mxc://example.org/cat" alt=":cat:" title=":cat:" height="32"> :dog:',
    );
    assert.equal(c.body, ":cat: :dog:");
    assert.deepEqual(toMatrixContent(doc(p({ type: "emoji", name: "dog" }))), { body: ":dog:", "m.mentions": {} });
  });

  it("keeps unusual white space and control characters through the HTML", () => {
    const d = doc(
      { type: "heading", level: 1, children: [t("\u2028a\fb")] },
      p(t("\t x\u0000\u00a0 "), br, { type: "code", text: "  \t " }),
    );
    const c = toMatrixContent(d);
    assert.deepEqual(fromMatrixHtml(c.formatted_body ?? ""), d);
  });

  it("does not throw on documents that are not well formed", () => {
    const bad = {
      blocks: [null, { type: "paragraph" }, { type: "list", items: "x" }, { type: "nope" }],
    } as unknown as RichText;
    assert.deepEqual(toMatrixContent(bad), { body: "", "m.mentions": {} });
    assert.deepEqual(toMatrixContent(undefined as unknown as RichText), { body: "", "m.mentions": {} });
  });
});
