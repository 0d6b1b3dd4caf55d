/**
 * An XMPP message posted to a channel once across retries and restarts
 * (`RemotePosts`), with a connector that counts its posts and look-ups and a
 * real SQLite store: a first attempt never looks anything up; a retry, or a
 * message read again from the archive after a restart, looks in the message
 * map and then, when an earlier attempt is on record, asks the connector
 * whether the post landed; found, it is mapped and not posted.
 */
import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import type {
  Connector,
  DirectRequest,
  FindDirectRequest,
  FindPostedRequest,
  OutgoingMessage,
  XmppSender,
} from "../src/connector/connector.ts";
import { PermanentError, TransientError } from "../src/delivery/delivery-errors.ts";
import { postRecordMsOf, type RemoteDirect, type RemotePost, RemotePosts } from "../src/engine/remote-posts.ts";
import { fromStyling } from "../src/format/index.ts";
import { silentLogger } from "../src/ops/logger-types.ts";
import type { BridgeStore } from "../src/store/index.ts";
import { storePerTest } from "./store-per-test.ts";

const ROOM = "lobby@muc.parley.test";
const SENDER: XmppSender = { jid: "alice@parley.test", nick: "alice" };

/** A network in memory: what was posted, by key; `findPosted` finds a post whose answer the test "lost". */
class CountingConnector {
  readonly network = "acme";
  readonly displayName = "Acme";
  readonly capabilities = {
    edits: false,
    deletes: false,
    replies: false,
    reactions: false,
    attachments: false,
    threads: false,
    typing: false,
    directMessages: false,
    presence: false,
  };
  /** Posts on the network, in order: [key, id]. */
  readonly posted: Array<[string, string]> = [];
  readonly lookups: FindPostedRequest[] = [];
  /** The next send posts, then fails as a lost answer would. */
  loseNextAnswer = false;
  /** What the next sends throw before posting anything (a 429, a 5xx...). */
  readonly refusals: unknown[] = [];
  /** What the next look-ups throw instead of looking. */
  lookupFails: unknown;
  private n = 0;

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async send(m: OutgoingMessage): Promise<{ id: string }> {
    if (this.refusals.length > 0) throw this.refusals.shift();
    const id = `m${++this.n}`;
    this.posted.push([m.key, id]);
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      throw new TransientError("the connection dropped before the answer came");
    }
    return { id };
  }

  async findPosted(r: FindPostedRequest): Promise<{ id: string } | undefined> {
    this.lookups.push(r);
    if (this.lookupFails !== undefined) throw this.lookupFails;
    const hit = this.posted.find(([key]) => key === r.message.key);
    return hit ? { id: hit[1] } : undefined;
  }

  readonly directLookups: FindDirectRequest[] = [];

  async sendDirect(o: DirectRequest): Promise<{ channel: string; id: string }> {
    const { id } = await this.send({
      channel: `D-${o.userId}`,
      sender: o.sender,
      text: o.text,
      attachments: [],
      key: o.key,
    });
    return { channel: `D-${o.userId}`, id };
  }

  async findDirectPosted(r: FindDirectRequest): Promise<{ channel: string; id: string } | undefined> {
    this.directLookups.push(r);
    if (this.lookupFails !== undefined) throw this.lookupFails;
    const hit = this.posted.find(([key]) => key === r.direct.key);
    return hit ? { channel: `D-${r.direct.userId}`, id: hit[1] } : undefined;
  }

  count(key: string): number {
    return this.posted.filter(([k]) => k === key).length;
  }
}

/** The same connector without a way to look. */
function withoutLookup(c: CountingConnector): Connector {
  return {
    network: c.network,
    displayName: c.displayName,
    capabilities: c.capabilities,
    start: () => c.start(),
    stop: () => c.stop(),
    send: (m) => c.send(m),
    sendDirect: (o) => c.sendDirect(o),
  };
}

const USER = "alice@parley.test";

function direct(key: string): RemoteDirect {
  return {
    request: { userId: "U1", sender: SENDER, text: fromStyling(`dm ${key}`), attachments: [], key },
    user: USER,
    xmppId: `oid-${key}`,
  };
}

function post(key: string, over: Partial<RemotePost> = {}, channel = "c1"): RemotePost {
  return {
    message: { channel, sender: SENDER, text: fromStyling(`text of ${key}`), attachments: [], key },
    room: ROOM,
    xmppId: `sid-${key}`,
    stanzaId: `sid-${key}`,
    originId: `oid-${key}`,
    author: "occupant:alice",
    createdAt: 1_700_000_000_000,
    attempt: 1,
    replay: false,
    ...over,
  };
}

function remotePosts(store: BridgeStore, connector: Connector, now: () => number): RemotePosts {
  return new RemotePosts({ network: "acme", connector, store, logger: silentLogger, keepMs: 86_400_000, now });
}

describe("posting an XMPP message to a channel once", () => {
  const world = storePerTest("parley-remote-posts-");
  let connector: CountingConnector;
  let clock = 1_800_000_000_000;
  let store: BridgeStore;
  const posts = (c: Connector = connector as Connector) => remotePosts(store, c, () => clock);

  beforeEach(() => {
    store = world.store;
    connector = new CountingConnector();
  });

  it("posts a message read live without looking anything up, and maps it", async () => {
    const r = await posts().post(post("k1"));
    assert.deepEqual(r, { id: "m1", outcome: "posted" });
    assert.equal(connector.lookups.length, 0, "a first attempt never looks");
    const mapped = await store.byXmppId("acme", ROOM, "sid-k1", "c1");
    assert.equal(mapped?.remoteId, "m1");
    assert.equal(mapped?.direction, "to-remote");
  });

  it("after a restart, finds the post whose answer was lost: maps it and does not post again", async () => {
    clock = 1_800_000_000_000;
    connector.loseNextAnswer = true;
    await assert.rejects(posts().post(post("k2")), TransientError);
    assert.equal(connector.count("k2"), 1, "the post landed");
    assert.equal(await store.byXmppId("acme", ROOM, "sid-k2"), undefined, "its answer never came: nothing mapped");
    // The next run reads the message again from the room's archive.
    clock += 60_000;
    const r = await posts().post(post("k2", { replay: true }));
    assert.deepEqual(r, { id: "m1", outcome: "found" });
    assert.equal(connector.count("k2"), 1, "not posted again");
    assert.equal(connector.lookups.length, 1);
    assert.equal(connector.lookups[0]?.since, 1_800_000_000_000, "looked from the first attempt on");
    assert.equal(connector.lookups[0]?.message.key, "k2");
    assert.equal((await store.byXmppId("acme", ROOM, "sid-k2", "c1"))?.remoteId, "m1", "mapped");
    assert.equal((await store.byXmppId("acme", ROOM, "oid-k2", "c1"))?.remoteId, "m1", "by its origin-id too");
  });

  it("a retry after a refusal that did nothing (a 429) does not look again; after a 5xx it does", async () => {
    const p = posts();
    connector.refusals.push(new TransientError("rate limited", { retryAfterMs: 1000, nothingDone: true }));
    await assert.rejects(p.post(post("r1")), TransientError);
    assert.deepEqual(await p.post(post("r1", { attempt: 2 })), { id: "m1", outcome: "posted" });
    assert.equal(connector.lookups.length, 0, "nothing to look for after a 429");
    // A 5xx may have done the work: the next attempt looks.
    connector.refusals.push(new TransientError("HTTP 502"));
    await assert.rejects(p.post(post("r2")), TransientError);
    assert.deepEqual(await p.post(post("r2", { attempt: 2 })), { id: "m2", outcome: "posted" });
    assert.equal(connector.lookups.length, 1, "looked after the 5xx");
    // A lost answer (not a refusal): the retry looks, and finds the post.
    connector.loseNextAnswer = true;
    await assert.rejects(p.post(post("r3")), TransientError);
    assert.deepEqual(await p.post(post("r3", { attempt: 2 })), { id: "m3", outcome: "found" });
    assert.equal(connector.count("r3"), 1);
    // After a restart, a refusal in the last run is not known: the replay looks.
    connector.refusals.push(new TransientError("rate limited", { nothingDone: true }));
    await assert.rejects(p.post(post("r4")), TransientError);
    const lookupsBefore = connector.lookups.length;
    await posts().post(post("r4", { replay: true }));
    assert.equal(connector.lookups.length, lookupsBefore + 1, "a new run looks");
  });

  it("a direct message's retry after a 429 does not look again", async () => {
    const p = posts();
    connector.refusals.push(new TransientError("rate limited", { nothingDone: true }));
    await assert.rejects(p.direct(direct("rd1")), TransientError);
    const r = await p.direct(direct("rd1"));
    assert.equal(r.outcome, "posted");
    assert.equal(connector.directLookups.length, 0);
    connector.refusals.push(new TransientError("HTTP 503"));
    await assert.rejects(p.direct(direct("rd2")), TransientError);
    await p.direct(direct("rd2"));
    assert.equal(connector.directLookups.length, 1, "looked after the 503");
  });

  it("retries within a run look too: a post made before a failure is not made twice", async () => {
    connector.loseNextAnswer = true;
    const p = posts();
    await assert.rejects(p.post(post("k3")), TransientError);
    const r = await p.post(post("k3", { attempt: 2 }));
    assert.deepEqual(r, { id: "m1", outcome: "found" });
    assert.equal(connector.count("k3"), 1);
  });

  it("posts when an earlier attempt is on record but the network does not have it", async () => {
    // The first attempt got as far as its record: the process died before the request went out.
    const p = posts();
    connector.loseNextAnswer = true;
    await assert.rejects(p.post(post("k4")), TransientError);
    connector.posted.length = 0; // the network never had it
    const r = await p.post(post("k4", { replay: true }));
    assert.equal(r.outcome, "posted");
    assert.equal(connector.count("k4"), 1);
    assert.equal(connector.lookups.length, 1, "looked once, then posted");
  });

  it("does not look for a message read from the archive that was never attempted", async () => {
    const r = await posts().post(post("k5", { replay: true }));
    assert.equal(r.outcome, "posted");
    assert.equal(connector.lookups.length, 0, "nothing on record: nothing to look for");
    // ...but its attempt is on record now, so a later replay would look.
    assert.ok((await store.getState("engine", "post-attempt k5")) !== undefined);
  });

  it("takes the message map's word when the ledger's mark was lost: no look-up, no post", async () => {
    await store.recordMessage({
      network: "acme",
      channel: "c1",
      remoteId: "earlier",
      room: ROOM,
      stanzaId: "sid-k6",
      originId: "oid-k6",
      sender: "occupant:alice",
      direction: "to-remote",
      createdAt: 1,
    });
    const r = await posts().post(post("k6", { replay: true }));
    assert.deepEqual(r, { id: "earlier", outcome: "mapped" });
    assert.equal(connector.posted.length, 0);
    assert.equal(connector.lookups.length, 0);
  });

  it("a mapping in another channel of the room does not count for this one", async () => {
    await store.recordMessage({
      network: "acme",
      channel: "c1",
      remoteId: "in-c1",
      room: ROOM,
      stanzaId: "sid-k7",
      sender: "occupant:alice",
      direction: "to-remote",
      createdAt: 1,
    });
    const r = await posts().post(post("k7", { replay: true }, "c2"));
    assert.equal(r.outcome, "posted");
    assert.equal(connector.count("k7"), 1);
    assert.equal((await store.byXmppId("acme", ROOM, "sid-k7", "c2"))?.remoteId, "m1");
    assert.equal((await store.byXmppId("acme", ROOM, "sid-k7", "c1"))?.remoteId, "in-c1");
  });

  it("a connector without findPosted is never asked, and no attempt is recorded for it", async () => {
    const c = withoutLookup(connector);
    connector.loseNextAnswer = true;
    await assert.rejects(posts(c).post(post("k8")), TransientError);
    const r = await posts(c).post(post("k8", { replay: true }));
    assert.equal(r.outcome, "posted");
    assert.equal(connector.count("k8"), 2, "nothing to look with: posted again");
    assert.equal(await store.getState("engine", "post-attempt k8"), undefined);
  });

  it("posts when the look-up fails for good, and retries later when it fails for now", async () => {
    connector.loseNextAnswer = true;
    await assert.rejects(posts().post(post("k9")), TransientError);
    connector.lookupFails = new TransientError("rate limited");
    await assert.rejects(posts().post(post("k9", { replay: true })), TransientError);
    assert.equal(connector.count("k9"), 1, "not posted while the network cannot be read");
    connector.lookupFails = new PermanentError("no permission to read the channel");
    const r = await posts().post(post("k9", { replay: true }));
    assert.equal(r.outcome, "posted", "a duplicate rather than a loss");
    assert.equal(connector.count("k9"), 2);
  });
});

describe("sending an XMPP user's direct message once", () => {
  const world = storePerTest("parley-remote-directs-");
  let connector: CountingConnector;
  let clock = 1_800_000_000_000;
  let store: BridgeStore;
  const posts = (c: Connector = connector as Connector) => remotePosts(store, c, () => clock);

  beforeEach(() => {
    store = world.store;
    connector = new CountingConnector();
  });

  it("sends a first direct message without asking the network, its attempt on record", async () => {
    const r = await posts().direct(direct("d1"));
    assert.deepEqual(r, { channel: "D-U1", id: "m1", outcome: "posted" });
    assert.equal(connector.directLookups.length, 0, "nothing on record: the network is not asked");
    assert.ok((await store.getState("engine", "post-attempt d1")) !== undefined, "the attempt is on record");
  });

  it("after a restart, finds the direct message whose answer was lost and does not send it again", async () => {
    clock = 1_800_000_000_000;
    connector.loseNextAnswer = true;
    await assert.rejects(posts().direct(direct("d2")), TransientError);
    assert.equal(connector.count("d2"), 1, "the message was sent");
    // The same message comes again in the next run (its sender's client sends it again): attempt 1 there.
    clock += 60_000;
    const r = await posts().direct(direct("d2"));
    assert.deepEqual(r, { channel: "D-U1", id: "m1", outcome: "found" });
    assert.equal(connector.count("d2"), 1, "not sent again");
    assert.equal(connector.directLookups.length, 1);
    assert.equal(connector.directLookups[0]?.since, 1_800_000_000_000, "looked from the first attempt on");
    assert.equal(connector.directLookups[0]?.direct.key, "d2");
  });

  it("sends when the earlier attempt never reached the network", async () => {
    connector.loseNextAnswer = true;
    await assert.rejects(posts().direct(direct("d3")), TransientError);
    connector.posted.length = 0;
    const r = await posts().direct(direct("d3"));
    assert.equal(r.outcome, "posted");
    assert.equal(connector.count("d3"), 1);
    assert.equal(connector.directLookups.length, 1, "looked once, then sent");
  });

  it("takes the message map's word: a DM mapped before is neither looked for nor sent", async () => {
    await store.recordMessage({
      network: "acme",
      channel: "dm:D-U1",
      remoteId: "earlier",
      room: USER,
      originId: "oid-d4",
      sender: USER,
      direction: "to-remote",
      createdAt: 1,
    });
    const r = await posts().direct(direct("d4"));
    assert.deepEqual(r, { channel: "D-U1", id: "earlier", outcome: "mapped" });
    assert.equal(connector.posted.length, 0);
    assert.equal(connector.directLookups.length, 0);
  });

  it("waits while the network cannot be read, sends after a lasting look-up failure; without findDirectPosted, sends again", async () => {
    connector.loseNextAnswer = true;
    await assert.rejects(posts().direct(direct("d5")), TransientError);
    connector.lookupFails = new TransientError("rate limited");
    await assert.rejects(posts().direct(direct("d5")), TransientError);
    assert.equal(connector.count("d5"), 1, "not sent while the network cannot be read");
    connector.lookupFails = new PermanentError("no permission");
    assert.equal((await posts().direct(direct("d5"))).outcome, "posted", "a duplicate rather than a loss");
    assert.equal(connector.count("d5"), 2);

    connector.lookupFails = undefined;
    const c = withoutLookup(connector);
    connector.loseNextAnswer = true;
    await assert.rejects(posts(c).direct(direct("d6")), TransientError);
    assert.equal((await posts(c).direct(direct("d6"))).outcome, "posted");
    assert.equal(connector.count("d6"), 2, "nothing to look with: sent again");
    assert.equal(await store.getState("engine", "post-attempt d6"), undefined, "no attempt recorded for it");
  });
});

describe("how long a post's first attempt stays on record", () => {
  it("outlasts the catch-up age and the retries, whatever they are configured to", () => {
    for (const [hours, retrySeconds] of [
      [24, 600],
      [72, 600],
      [168, 3600],
      [0.5, 1.5],
    ] as const) {
      const ms = postRecordMsOf(hours, retrySeconds);
      assert.ok(ms >= hours * 3_600_000 + retrySeconds * 1000, `${hours} h, ${retrySeconds} s: ${ms} ms`);
      assert.ok(Number.isSafeInteger(ms) && ms > 0, "a whole number of milliseconds, as a state TTL must be");
    }
    assert.ok(postRecordMsOf(72, 600) > 24 * 3_600_000, "longer than a day when the catch-up reaches further");
  });
});
