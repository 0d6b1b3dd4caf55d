/** The tree written as mrkdwn for chat.postMessage: escapes, mentions as <@U…>, Slack's spelling of each block. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fromMarkdown } from "@parley/bridge";
import { toMrkdwn } from "../src/format/index.ts";

describe("toMrkdwn", () => {
  it("writes styles, code, links and escapes", () => {
    assert.equal(
      toMrkdwn(fromMarkdown("**b** *i* ~~s~~ `c<d` [site](https://x.org/?a&b) a < b & c > d")),
      "*b* _i_ ~s~ `c&lt;d` <https://x.org/?a&amp;b|site> a &lt; b &amp; c &gt; d",
    );
  });

  it("writes mentions of Slack users as <@U…> and others as @name", () => {
    const doc = {
      blocks: [
        {
          type: "paragraph" as const,
          children: [
            {
              type: "mention" as const,
              name: "Anna",
              target: { network: "slack", remoteId: "U1", kind: "user" as const },
            },
            { type: "text" as const, text: " " },
            { type: "mention" as const, name: "bob", target: { jid: "bob@example.org" } },
          ],
        },
      ],
    };
    const ctx = {
      mentionOf: (t: { network?: string; remoteId?: string }) =>
        t.network === "slack" ? `<@${t.remoteId}>` : undefined,
    };
    assert.equal(toMrkdwn(doc, ctx), "<@U1> @bob");
  });

  it("writes quotes, code blocks, headings and lists in Slack's terms", () => {
    assert.equal(
      toMrkdwn(fromMarkdown("# Title\n\n> said\n\n```\nx < y\n```\n\n- one\n- two\n\n1. first")),
      "*Title*\n> said\n```\nx &lt; y\n```\n• one\n• two\n\n1. first",
    );
  });
});
