/** Reading Matrix `formatted_body` HTML, as Element and other clients send it, into the rich-text tree. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Block, Inline, RichText } from "@parley/bridge";
import { fromMatrixHtml } from "../src/html/index.ts";

const t = (text: string): Inline => ({ type: "text", text });
const p = (...children: Inline[]): Block => ({ type: "paragraph", children });
const doc = (...blocks: Block[]): RichText => ({ blocks });
const br: Inline = { type: "linebreak" };
const user = (name: string, id: string): Inline => ({
  type: "mention",
  name,
  target: { kind: "user", network: "matrix", remoteId: id },
});

describe("fromMatrixHtml", () => {
  it("reads inline styles, including the spellings other clients use", () => {
    assert.deepEqual(
      fromMatrixHtml(
        "<b>a</b> <strong>b</strong> <i>c</i> <em>d</em> <u>e</u> <del>f</del> <s>g</s> <strike>h</strike>",
      ),
      doc(
        p(
          { type: "bold", children: [t("a")] },
          t(" "),
          { type: "bold", children: [t("b")] },
          t(" "),
          { type: "italic", children: [t("c")] },
          t(" "),
          { type: "italic", children: [t("d")] },
          t(" "),
          { type: "underline", children: [t("e")] },
          t(" "),
          { type: "strike", children: [t("f")] },
          t(" "),
          { type: "strike", children: [t("g")] },
          t(" "),
          { type: "strike", children: [t("h")] },
        ),
      ),
    );
  });

  it("reads spoilers, inline code and line breaks", () => {
    assert.deepEqual(
      fromMatrixHtml('run <code>ls -l</code><br />then <span data-mx-spoiler="plot">he lives</span>'),
      doc(
        p(t("run "), { type: "code", text: "ls -l" }, br, t("then "), { type: "spoiler", children: [t("he lives")] }),
      ),
    );
  });

  it("reads an Element message with paragraphs, a list, a code block and a quote", () => {
    const html =
      '<p>Plan:</p>\n<ol start="3">\n<li>one</li>\n<li>two\n<ul>\n<li>nested</li>\n</ul>\n</li>\n</ol>\n' +
      '<pre><code class="language-ts">const x = 1;\nreturn x;\n</code></pre>\n<blockquote>\n<p>quoted</p>\n</blockquote>\n';
    assert.deepEqual(
      fromMatrixHtml(html),
      doc(
        p(t("Plan:")),
        {
          type: "list",
          ordered: true,
          start: 3,
          items: [[p(t("one"))], [p(t("two")), { type: "list", ordered: false, items: [[p(t("nested"))]] }]],
        },
        { type: "code_block", lang: "ts", text: "const x = 1;\nreturn x;" },
        { type: "quote", children: [p(t("quoted"))] },
      ),
    );
  });

  it("reads headings, and a heading's line break as a space", () => {
    assert.deepEqual(fromMatrixHtml("<h1>Title</h1><h3>a<br>b</h3>text"), {
      blocks: [
        { type: "heading", level: 1, children: [t("Title")] },
        { type: "heading", level: 3, children: [t("a b")] },
        p(t("text")),
      ],
    });
  });

  it("collapses the line feeds between tags but keeps spaces the sender typed", () => {
    assert.deepEqual(fromMatrixHtml("<p>\n  a\n  b  c\n</p>\n<p>d</p>"), doc(p(t("a b  c")), p(t("d"))));
    assert.deepEqual(fromMatrixHtml("a<br />\nb"), doc(p(t("a"), br, t("b"))));
    assert.deepEqual(
      fromMatrixHtml("<b>a\n</b>\n<i>b</i>"),
      doc(p({ type: "bold", children: [t("a")] }, t(" "), { type: "italic", children: [t("b")] })),
    );
  });

  it("keeps a code block exactly, dropping only the line feeds HTML drops", () => {
    assert.deepEqual(fromMatrixHtml("<pre>\n  indented\n\n  <b>x</b> &lt;y&gt;<br>z</pre>"), {
      blocks: [{ type: "code_block", text: "  indented\n\n  x <y>\nz" }],
    });
    assert.deepEqual(fromMatrixHtml("<pre><code>\nfirst line is empty\n</code></pre>"), {
      blocks: [{ type: "code_block", text: "\nfirst line is empty" }],
    });
  });

  it("drops the reply fallback entirely", () => {
    const html =
      '<mx-reply><blockquote><a href="https://matrix.to/#/!room:example.org/$event">In reply to</a> ' +
      '<a href="https://matrix.to/#/@alice:example.org">@alice:example.org</a><br>original</blockquote></mx-reply>the answer';
    assert.deepEqual(fromMatrixHtml(html), doc(p(t("the answer"))));
  });

  it("reads user pills as Matrix mentions, named by the context or by the link text", () => {
    const html =
      '<a href="https://matrix.to/#/@alice:example.org">Alice</a>: hi <a href="https://matrix.to/#/%40bob%3Aexample.org">@bob</a>';
    assert.deepEqual(
      fromMatrixHtml(html),
      doc(p(user("Alice", "@alice:example.org"), t(": hi "), user("bob", "@bob:example.org"))),
    );
    const named = fromMatrixHtml(html, { userName: (id) => (id === "@bob:example.org" ? "Bobby" : undefined) });
    assert.deepEqual(named, doc(p(user("Alice", "@alice:example.org"), t(": hi "), user("Bobby", "@bob:example.org"))));
    assert.deepEqual(
      fromMatrixHtml('<a href="matrix:u/carol:example.org?action=chat"></a>'),
      doc(p(user("carol:example.org", "@carol:example.org"))),
    );
  });

  it("reads room links as channel mentions, and links to events as links", () => {
    assert.deepEqual(
      fromMatrixHtml(
        '<a href="https://matrix.to/#/#lobby:example.org?via=example.org">#lobby:example.org</a> ' +
          '<a href="https://matrix.to/#/!abc:example.org/$ev?via=example.org">this message</a>',
      ),
      doc(
        p(
          {
            type: "mention",
            name: "lobby:example.org",
            target: { kind: "channel", network: "matrix", remoteId: "#lobby:example.org" },
          },
          t(" "),
          {
            type: "link",
            url: "https://matrix.to/#/!abc:example.org/$ev?via=example.org",
            children: [t("this message")],
          },
        ),
      ),
    );
  });

  it("reads custom emoji with the http URL the context gives, and other images as links", () => {
    const html =
      '<img data-mx-emoticon src="mxc://example.org/cat" alt=":cat:" title=":cat:" height="32" /> ' +
      '<img src="mxc://example.org/photo" alt="a photo"> <img src="mxc://example.org/bare">';
    const mediaUrl = (mxc: string) => `https://media.example.org/${mxc.slice("mxc://".length)}`;
    assert.deepEqual(
      fromMatrixHtml(html, { mediaUrl }),
      doc(
        p(
          { type: "emoji", name: "cat", url: "https://media.example.org/example.org/cat" },
          t(" "),
          { type: "link", url: "https://media.example.org/example.org/photo", children: [t("a photo")] },
          t(" "),
          { type: "link", url: "https://media.example.org/example.org/bare", children: [] },
        ),
      ),
    );
    // Without a way to reach the media, an emoji keeps its name and an image its alt text.
    assert.deepEqual(fromMatrixHtml(html), doc(p({ type: "emoji", name: "cat" }, t(" a photo "))));
  });

  it("keeps links only to schemes a reader may follow", () => {
    assert.deepEqual(
      fromMatrixHtml(
        '<a href="https://example.org/?a=1&amp;b=2">site</a> <a href="javascript:alert(1)">click</a> <a href="data:text/html,x">d</a> <a>anchor</a>',
      ),
      doc(p({ type: "link", url: "https://example.org/?a=1&b=2", children: [t("site")] }, t(" click d anchor"))),
    );
  });

  it("decodes named and numeric character references, and leaves unknown ones as written", () => {
    assert.deepEqual(
      fromMatrixHtml("&lt;b&gt; &amp;&quot;&#39;&#x1F600;&nbsp;&hellip; &bogus; &amp &#xD800; &#0; & x"),
      doc(p(t("<b> &\"'😀\u00a0… &bogus; &amp \ufffd \ufffd & x"))),
    );
  });

  it("keeps the text of unknown tags and drops scripts and styles", () => {
    assert.deepEqual(
      fromMatrixHtml(
        "<marquee>hi</marquee><script>alert(1)</script><style>b{}</style> <sup>2</sup><font color=red>red</font>",
      ),
      doc(p(t("hi 2red"))),
    );
  });

  it("reads a table row by row", () => {
    assert.deepEqual(
      fromMatrixHtml(
        "<table><caption>Scores</caption><thead><tr><th>who</th><th>pts</th></tr></thead><tbody><tr><td>ana</td><td>3</td></tr></tbody></table>after",
      ),
      doc(p(t("Scores")), p(t("who | pts"), br, t("ana | 3")), p(t("after"))),
    );
  });

  it("reads details, summary, horizontal rules and divisions as paragraphs", () => {
    assert.deepEqual(
      fromMatrixHtml("<details><summary>More</summary>hidden</details><hr><div>x</div>"),
      doc(p(t("More")), p(t("hidden")), p(t("---")), p(t("x"))),
    );
  });

  it("closes what is left open, and a new item closes the previous one", () => {
    assert.deepEqual(
      fromMatrixHtml("<ul><li>a<li><b>b<li>c</ul>d<blockquote>e"),
      doc(
        { type: "list", ordered: false, items: [[p(t("a"))], [p({ type: "bold", children: [t("b")] })], [p(t("c"))]] },
        p(t("d")),
        { type: "quote", children: [p(t("e"))] },
      ),
    );
  });

  it("puts a list written straight inside another list into its last item", () => {
    assert.deepEqual(
      fromMatrixHtml("<ul><li>a</li><ul><li>b</li></ul></ul>"),
      doc({
        type: "list",
        ordered: false,
        items: [[p(t("a")), { type: "list", ordered: false, items: [[p(t("b"))]] }]],
      }),
    );
  });

  it("does not let the context break reading", () => {
    const throwing = {
      userName: () => {
        throw new Error("store down");
      },
      mediaUrl: () => {
        throw new Error("store down");
      },
    };
    assert.deepEqual(
      fromMatrixHtml(
        '<a href="https://matrix.to/#/@a:b">Ann</a><img data-mx-emoticon src="mxc://b/c" alt=":c:">',
        throwing,
      ),
      doc(p(user("Ann", "@a:b"), { type: "emoji", name: "c" })),
    );
  });

  it("reads nothing from empty or non-string input", () => {
    assert.deepEqual(fromMatrixHtml(""), doc());
    assert.deepEqual(fromMatrixHtml("<p></p><br><b> </b>"), doc());
    assert.deepEqual(fromMatrixHtml(undefined as unknown as string), doc());
  });
});
