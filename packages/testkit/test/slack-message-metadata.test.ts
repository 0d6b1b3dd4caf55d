/**
 * Message metadata on the fake Slack, with the real WebClient: chat.postMessage
 * keeps `metadata` ({event_type, event_payload}), conversations.history and
 * conversations.replies give it back only with include_all_metadata, the
 * message event leaves it out, and a malformed one is refused as Slack does.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ErrorCode, LogLevel, type WebAPIPlatformError, WebClient } from "@slack/web-api";
import { type FakeSlack, startFakeSlack } from "../src/slack/index.ts";

async function slackError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    const err = e as WebAPIPlatformError;
    assert.equal(err.code, ErrorCode.PlatformError, String(e));
    return String(err.data.error);
  }
  assert.fail("the call succeeded");
}

describe("fake Slack: message metadata", () => {
  let fake: FakeSlack;
  let web: WebClient;
  let channel: string;
  const metadata = { event_type: "parley_relay", event_payload: { key: "k 1" } };
  before(async () => {
    fake = await startFakeSlack();
    web = new WebClient(fake.botToken, { slackApiUrl: fake.apiUrl, logLevel: LogLevel.ERROR });
    const alice = fake.createUser({ name: "alice" }).id;
    channel = fake.createChannel({ name: "general", members: [alice] }).id;
  });
  after(async () => {
    await fake.stop();
  });

  it("keeps a post's metadata and reads it back only to those who ask", async () => {
    const root = await web.chat.postMessage({ channel, text: "with metadata", metadata });
    assert.deepEqual(root.message?.metadata, metadata, "the answer's message has it");
    const plain = await web.conversations.history({ channel });
    const listed = plain.messages?.find((m) => m.ts === root.ts);
    assert.ok(listed, "listed");
    assert.equal(listed.metadata, undefined, "left out unless asked for");
    const asked = await web.conversations.history({ channel, include_all_metadata: true });
    assert.deepEqual(asked.messages?.find((m) => m.ts === root.ts)?.metadata, metadata);
    const ts = root.ts ?? "";
    const reply = await web.chat.postMessage({
      channel,
      text: "a reply",
      thread_ts: ts,
      metadata: { event_type: "parley_relay", event_payload: { key: "k 2" } },
    });
    const replies = await web.conversations.replies({ channel, ts, include_all_metadata: true });
    assert.deepEqual(
      replies.messages?.map((m) => m.metadata?.event_payload),
      [{ key: "k 1" }, { key: "k 2" }],
    );
    const bare = await web.conversations.replies({ channel, ts });
    assert.ok(bare.messages?.every((m) => m.metadata === undefined));
    assert.ok(reply.ok);
    assert.deepEqual(fake.violations, [], "answers as Slack's description allows");
  });

  it("leaves metadata out of the message event", async () => {
    const seen: Array<Record<string, unknown>> = [];
    fake.on("event", (p) => seen.push(p));
    const posted = await web.chat.postMessage({ channel, text: "evented", metadata });
    const event = await fake.waitFor(
      () => seen.map((p) => p.event as Record<string, unknown>).find((e) => e?.ts === posted.ts),
      { what: "the message event" },
    );
    assert.equal(event.metadata, undefined);
  });

  it("refuses metadata that is not JSON, or not an event type with a payload object", async () => {
    assert.equal(
      await slackError(web.apiCall("chat.postMessage", { channel, text: "x", metadata: "{not json" })),
      "invalid_metadata_format",
    );
    assert.equal(
      await slackError(web.apiCall("chat.postMessage", { channel, text: "x", metadata: { event_type: "t" } })),
      "invalid_metadata_schema",
    );
    assert.equal(
      await slackError(
        web.apiCall("chat.postMessage", { channel, text: "x", metadata: { event_type: "", event_payload: {} } }),
      ),
      "invalid_metadata_schema",
    );
  });
});
