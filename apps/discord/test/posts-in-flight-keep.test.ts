/**
 * How long the Discord connector keeps the record of a webhook post in
 * flight (what `findPosted` looks for after a lost answer): as long as the
 * engine may send the message again, which the host says (`postRecordMs`,
 * from `xmpp.catchUp.maxAgeHours` and the delivery retries), not a fixed
 * day: with a catch-up reaching three days back, a message caught up on the
 * third day still finds its post. A day only when the host does not say.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ConnectorHost, fromStyling, silentLogger } from "@parley/bridge";
import { postRecordMsOf } from "@parley/bridge/internals";
import { type FakeDiscord, startFakeDiscord } from "@parley/testkit";
import type { REST } from "discord.js";
import { DiscordConnector } from "../src/index.ts";
import type { ApiFailures } from "../src/permissions.ts";
import { DEFAULT_KEEP_MS, PostsInFlight } from "../src/posts-in-flight.ts";
import { MemoryState } from "./memory-state.ts";

const HOUR = 3_600_000;
const post = { where: "1", webhookId: "2", username: "alice", content: "hi" };

function inFlight(state: MemoryState, keepMs?: number): PostsInFlight {
  return new PostsInFlight({
    state,
    rest: {} as REST, // never read here: only `sending` is called
    failures: {} as ApiFailures,
    logger: silentLogger,
    isKnown: async () => false,
    ...(keepMs !== undefined && { keepMs }),
  });
}

describe("the record of a Discord post in flight", () => {
  it("is kept as long as it is told", async () => {
    const state = new MemoryState();
    const keep = postRecordMsOf(72, 600);
    await inFlight(state, keep).sending("k1", post);
    assert.equal(state.options.get("inflight:k1")?.ttlMs, keep);
    assert.ok(keep > 72 * HOUR, "beyond the catch-up age");
  });

  it("is kept a day when not told (or told nonsense)", async () => {
    const state = new MemoryState();
    await inFlight(state).sending("k2", post);
    await inFlight(state, 0).sending("k3", post);
    await inFlight(state, Number.NaN).sending("k4", post);
    assert.equal(DEFAULT_KEEP_MS, 24 * HOUR);
    for (const k of ["k2", "k3", "k4"]) assert.equal(state.options.get(`inflight:${k}`)?.ttlMs, DEFAULT_KEEP_MS, k);
  });
});

describe("the Discord connector's records of posts in flight", () => {
  let fake: FakeDiscord;
  let channel = "";
  before(async () => {
    fake = await startFakeDiscord({ botName: "Parley" });
    const guild = fake.createGuild({ name: "keep test" });
    channel = fake.createChannel(guild.id, { name: "general" }).id;
  });
  after(async () => {
    await fake?.stop();
  });

  /** Starts a connector for a host that says `postRecordMs` (or not), posts one message, and gives its record's TTL. */
  async function ttlOfAPost(postRecordMs: number | undefined): Promise<number | undefined> {
    const state = new MemoryState();
    const noop = async () => undefined;
    const host = {
      network: "discord",
      logger: silentLogger,
      state,
      ...(postRecordMs !== undefined && { postRecordMs }),
      linkedChannels: () => [channel],
      roomsOf: (c: string) => (c === channel ? ["general@muc.test"] : []),
      connected: () => undefined,
      notifyAdmins: noop,
      message: noop,
      edit: noop,
      delete: noop,
      reaction: noop,
      typing: noop,
      presence: noop,
      memberPresence: noop,
      profile: noop,
      membership: noop,
      read: noop,
      link: noop,
      unlink: async () => false,
      settled: noop,
    } as unknown as ConnectorHost;
    const connector = new DiscordConnector(
      {
        token: fake.token,
        apiUrl: fake.restUrl,
        cdnUrl: fake.cdnUrl,
        webhookName: "Parley",
        catchUpLimit: 5,
        catchUpMaxAgeHours: 24,
        rehostAttachments: true,
      },
      { logger: silentLogger },
    );
    try {
      await connector.start(host);
      const key = `key-${postRecordMs ?? "default"}`;
      await connector.send({
        channel,
        sender: { jid: "alice@example.org", nick: "alice" },
        text: fromStyling("a post in flight"),
        attachments: [],
        key,
      });
      return state.options.get(`inflight:${key}`)?.ttlMs;
    } finally {
      await connector.stop();
    }
  }

  it("keeps them as long as the host says: past a day when the catch-up reaches three days back", async () => {
    const keep = postRecordMsOf(72, 600);
    assert.equal(await ttlOfAPost(keep), keep);
  });

  it("keeps them a day for a host that does not say", async () => {
    assert.equal(await ttlOfAPost(undefined), DEFAULT_KEEP_MS);
  });
});
