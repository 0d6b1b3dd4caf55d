/**
 * What one Slack post holds, as the connector declares it to the engine
 * (`SLACK_LIMITS`): chat.postMessage cuts text past 40,000 characters, so the
 * engine sends a longer message as parts of at most that much mrkdwn.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fitsLimits, fromStyling, splitRichText } from "@parley/bridge";
import { mrkdwnOf, SLACK_LIMITS, SLACK_TEXT_LIMIT } from "../src/outgoing-posts.ts";

describe("Slack's limit on a post", () => {
  it("has the engine cut a message past 40,000 characters of mrkdwn into posts Slack keeps whole", () => {
    // `&` is written `&amp;`: the mrkdwn is what counts, not the text.
    const paragraph = (k: number) => `${k} ${"a & b ".repeat(1500).trim()}`;
    const text = fromStyling(Array.from({ length: 4 }, (_, k) => paragraph(k)).join("\n\n"));
    assert.ok((SLACK_LIMITS.textLength?.(text) ?? 0) > SLACK_TEXT_LIMIT);
    const parts = splitRichText(text, fitsLimits(SLACK_LIMITS));
    assert.equal(parts.length, 2);
    for (const part of parts) {
      const mrkdwn = mrkdwnOf(part);
      assert.ok(mrkdwn.length <= SLACK_TEXT_LIMIT, `${mrkdwn.length} characters`);
      assert.ok(!mrkdwn.endsWith("…"), "nothing cut off");
    }
    assert.equal(
      parts.map((p) => mrkdwnOf(p)).join("\n\n"),
      Array.from({ length: 4 }, (_, k) => paragraph(k).replaceAll("&", "&amp;")).join("\n\n"),
    );
  });
});
