/**
 * The connector's half of "once": a redelivered envelope (same event_id), a
 * message both delivered live and caught up (same channel and ts), and the
 * bot's own echoes are handed to the engine once or not at all, whatever
 * the engine would make of a second copy.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ConnectorHost, type ConnectorState, silentLogger } from "@parley/bridge";
import type { webApi } from "@slack/bolt";
import { SlackDirectory } from "../src/directory.ts";
import { HandledOnce } from "../src/handled-once.ts";
import { IncomingEvents } from "../src/incoming-events.ts";

function memoryState(): ConnectorState {
  const m = new Map<string, string>();
  return {
    get: async (k) => m.get(k),
    set: async (k, v) => {
      m.set(k, v);
    },
  };
}

function setUp(o: { apiUrl?: string } = {}) {
  const calls: string[] = [];
  const attachments: Array<{ url: string; headers?: Record<string, string>; ephemeral?: boolean }> = [];
  const state = memoryState();
  const host = {
    network: "slack",
    logger: silentLogger,
    state,
    linkedChannels: () => ["C1"],
    message: async (m: { id: string; text: unknown; attachments?: typeof attachments }) => {
      calls.push(`message ${m.id}`);
      attachments.push(...(m.attachments ?? []));
    },
    edit: async (e: { id: string }) => {
      calls.push(`edit ${e.id}`);
    },
    delete: async (d: { id: string }) => {
      calls.push(`delete ${d.id}`);
    },
    reaction: async (r: { id: string; emoji: string; action: string }) => {
      calls.push(`reaction ${r.action} ${r.emoji} ${r.id}`);
    },
  } as unknown as ConnectorHost;
  const client = {
    users: { info: async ({ user }: { user: string }) => ({ ok: true, user: { id: user, name: user.toLowerCase() } }) },
    conversations: { info: async () => ({ ok: true, channel: { name: "general" } }) },
  } as unknown as webApi.WebClient;
  const directory = new SlackDirectory(client, silentLogger);
  directory.bot = { userId: "UBOT", botId: "BBOT" };
  const events = new IncomingEvents({
    host,
    logger: silentLogger,
    directory,
    once: new HandledOnce(state, 60_000),
    botToken: "xoxb-secret",
    ...(o.apiUrl !== undefined && { apiUrl: o.apiUrl }),
    handed: () => undefined,
  });
  return { events, calls, attachments };
}

const message = { type: "message", channel: "C1", user: "U1", text: "hi", ts: "1700000000.000100" };

describe("IncomingEvents", () => {
  it("sends the bot token with a file's download only to Slack's file host, not to a host the payload names", async () => {
    const share = (ts: string, urls: string[]) => ({
      ...message,
      ts,
      subtype: "file_share",
      files: urls.map((u, i) => ({ id: `F${i}`, name: "a.png", url_private: u })),
    });
    const real = setUp();
    await real.events.handle(
      share("1700000000.000200", [
        "https://files.slack.com/files-pri/T1-F1/a.png",
        "https://attacker.example/a.png",
        "https://slack.com.attacker.example/a.png",
        "http://files.slack.com/a.png",
        "not a url",
      ]),
      "EvF1",
    );
    assert.deepEqual(
      real.attachments.map((a) => a.headers?.Authorization),
      ["Bearer xoxb-secret", undefined, undefined, undefined, undefined],
    );
    // Only Slack's own files are fetched and re-hosted; a file elsewhere is relayed as its link.
    assert.deepEqual(
      real.attachments.map((a) => a.ephemeral),
      [true, false, false, false, false],
    );
    // Entries of the wrong shape are passed over: the message and its good file still go.
    await real.events.handle(
      {
        ...share("1700000000.000250", ["https://files.slack.com/files-pri/T1-F2/b.png"]),
        files: [null, 42, "x", { id: "F9", url_private: "https://files.slack.com/files-pri/T1-F2/b.png" }],
      },
      "EvF3",
    );
    assert.ok(real.calls.includes("message 1700000000.000250"));
    assert.equal(real.attachments.at(-1)?.url, "https://files.slack.com/files-pri/T1-F2/b.png");
    // A Web API elsewhere (a test's fake Slack, a proxy): its own origin is where its files are.
    const local = setUp({ apiUrl: "http://127.0.0.1:4000/api/" });
    await local.events.handle(
      share("1700000000.000300", ["http://127.0.0.1:4000/files-pri/F1/a.png", "http://127.0.0.1:4001/a.png"]),
      "EvF2",
    );
    assert.deepEqual(
      local.attachments.map((a) => a.headers?.Authorization),
      ["Bearer xoxb-secret", undefined],
    );
  });

  it("hands a redelivered message, and one also caught up, over once", async () => {
    const { events, calls } = setUp();
    await events.handle(message, "Ev1");
    await events.handle(message, "Ev1"); // redelivered: retry_attempt 1
    await events.message({ ...message }); // and fetched again by catch-up
    assert.deepEqual(calls, ["message 1700000000.000100"]);
  });

  it("hands a redelivered reaction over once, and a later removal too", async () => {
    const { events, calls } = setUp();
    const reaction = {
      type: "reaction_added",
      user: "U2",
      reaction: "+1",
      item: { type: "message", channel: "C1", ts: "1.2" },
    };
    await events.handle(reaction, "Ev2");
    await events.handle(reaction, "Ev2");
    await events.handle({ ...reaction, type: "reaction_removed" }, "Ev3");
    assert.deepEqual(calls, ["reaction add 👍 1.2", "reaction remove 👍 1.2"]);
  });

  it("never relays the bot's own posts, edits or unlinked channels", async () => {
    const { events, calls } = setUp();
    await events.handle({ ...message, user: "UBOT", bot_id: "BBOT" }, "Ev4");
    await events.handle({ ...message, channel: "C9" }, "Ev5");
    await events.handle(
      {
        type: "message",
        subtype: "message_changed",
        channel: "C1",
        message: { ...message, bot_id: "BBOT", text: "x" },
      },
      "Ev6",
    );
    assert.deepEqual(calls, []);
  });

  it("skips a message_changed that changed nothing people read (a thread's reply count)", async () => {
    const { events, calls } = setUp();
    const changed = (text: string) => ({
      type: "message",
      subtype: "message_changed",
      channel: "C1",
      message: { ...message, text, reply_count: 1 },
      previous_message: message,
    });
    await events.handle(changed("hi"), "Ev7");
    await events.handle(changed("hi, edited"), "Ev8");
    assert.deepEqual(calls, ["edit 1700000000.000100"]);
  });

  // What was relayed lately (edit stamps, reactions, deletions) is noted by the engine from what it is handed,
  // and the engine drops an edit older than the one it relayed (its remote-catch-up tests): the connector hands
  // each edit over once, with the time of the edit.
  it("hands an edit over once however often it comes, and a tombstone once", async () => {
    const { events, calls } = setUp();
    await events.handle(message, "Ev9");
    const now = { ...message, text: "hi, edited", edited: { user: "U1", ts: "1700000005.000100" } };
    await events.handle(
      { type: "message", subtype: "message_changed", channel: "C1", message: now, previous_message: message },
      "Ev10",
    );
    await events.edit("C1", now); // the same edit, come again
    // An earlier edit delivered late: handed over with its own time, for the engine to drop.
    await events.edit("C1", { ...message, text: "hi, first", edited: { user: "U1", ts: "1700000003.000100" } });
    await events.handle(
      {
        type: "reaction_added",
        user: "U2",
        reaction: "tada",
        item: { type: "message", channel: "C1", ts: message.ts },
      },
      "Ev11",
    );
    // The thread's first message deleted while it has replies: Slack changes it to a tombstone.
    const tombstone = {
      type: "message",
      subtype: "tombstone",
      user: "USLACKBOT",
      text: "This message was deleted.",
      ts: message.ts,
      thread_ts: message.ts,
    };
    await events.handle(
      { type: "message", subtype: "message_changed", channel: "C1", message: tombstone, previous_message: now },
      "Ev12",
    );
    await events.deletion("C1", message.ts); // and come again
    assert.deepEqual(calls, [
      `message ${message.ts}`,
      `edit ${message.ts}`,
      `edit ${message.ts}`,
      `reaction add 🎉 ${message.ts}`,
      `delete ${message.ts}`,
    ]);
  });
});
