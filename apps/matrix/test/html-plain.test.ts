/** Reading a Matrix `body` (the Markdown a client's user typed) into the rich-text tree. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Block, Inline, RichText } from "@parley/bridge";
import { fromMatrixPlain } from "../src/html/index.ts";

const t = (text: string): Inline => ({ type: "text", text });
const p = (...children: Inline[]): Block => ({ type: "paragraph", children });
const doc = (...blocks: Block[]): RichText => ({ blocks });

describe("fromMatrixPlain", () => {
  it("reads the Markdown clients put in the body", () => {
    assert.deepEqual(
      fromMatrixPlain("**hi** see https://x.org\n\n> quoted\n- item"),
      doc(
        p({ type: "bold", children: [t("hi")] }, t(" see "), { type: "link", url: "https://x.org", children: [] }),
        { type: "quote", children: [p(t("quoted"))] },
        { type: "list", ordered: false, items: [[p(t("item"))]] },
      ),
    );
  });

  it("drops a reply fallback, also of an emote and over several lines", () => {
    assert.deepEqual(fromMatrixPlain("> <@alice:example.org> original\n\nthe answer"), doc(p(t("the answer"))));
    assert.deepEqual(
      fromMatrixPlain("> * <@alice:example.org> waves\n> and more\n\nhello\r\nthere"),
      doc(p(t("hello"), { type: "linebreak" }, t("there"))),
    );
  });

  it("keeps quotes that only look like a fallback", () => {
    assert.deepEqual(fromMatrixPlain("> <@alice:example.org> said no blank line after"), {
      blocks: [{ type: "quote", children: [p(t("<@alice:example.org> said no blank line after"))] }],
    });
    assert.deepEqual(fromMatrixPlain("> plain quote\n\nanswer"), {
      blocks: [{ type: "quote", children: [p(t("plain quote"))] }, p(t("answer"))],
    });
  });

  it("keeps Markdown mention syntax as text: on Matrix, mentions are pills", () => {
    assert.deepEqual(fromMatrixPlain("hi <@123> <@!456> <@&7> <#8>"), doc(p(t("hi <@123> <@456> <@&7> <#8>"))));
  });

  it("reads nothing from empty or non-string input", () => {
    assert.deepEqual(fromMatrixPlain(""), doc());
    assert.deepEqual(fromMatrixPlain(42 as unknown as string), doc());
  });
});
