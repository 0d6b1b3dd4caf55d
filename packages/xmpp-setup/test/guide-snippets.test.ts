/**
 * The guide cannot drift from what operators and tests get: every Prosody and
 * ejabberd block in it is one this package makes from the guide's example
 * values, and none is written by hand.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { GUIDE, guideSnippets, markedBlocks } from "../scripts/guide-snippets.ts";

const FIX = "run `npm run guide -w @parley/xmpp-setup` to rewrite them from @parley/xmpp-setup";

describe("the guide's configuration blocks", () => {
  const guide = readFileSync(GUIDE, "utf8");
  const blocks = markedBlocks(guide);
  const snippets = guideSnippets();

  it("show every snippet", () => {
    for (const name of Object.keys(snippets)) {
      assert.ok(
        blocks.some((b) => b.name === name),
        `the guide has no block marked <!-- xmpp-setup: ${name} -->`,
      );
    }
  });

  it("are exactly what @parley/xmpp-setup makes", () => {
    for (const block of blocks) {
      const snippet = snippets[block.name];
      assert.ok(snippet, `the guide marks a block "${block.name}", which @parley/xmpp-setup does not make`);
      assert.equal(block.language, snippet.language, `the ${block.name} block's language`);
      assert.equal(block.text, snippet.text, `the guide's ${block.name} block differs from the generated one: ${FIX}`);
    }
  });

  it("has no server configuration written by hand", () => {
    const marked = new Set(blocks.map((b) => b.text));
    for (const m of guide.matchAll(/```[a-z]*\n([\s\S]*?)```/g)) {
      const text = m[1] ?? "";
      if (/component_secret|ejabberd_service|modules_enabled/.test(text)) {
        assert.ok(marked.has(text), `a configuration block is not generated:\n${text.slice(0, 200)}\n${FIX}`);
      }
    }
  });
});
