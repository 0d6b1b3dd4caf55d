/**
 * XMPP messages on a network that limits its posts (`RemoteParts`), with a
 * connector in memory and a real SQLite store: a long message goes as parts
 * with keys derived from its own, each mapped; a crash between parts posts
 * only what is missing; corrections edit every part and post or delete the
 * difference; retractions delete every part; the first part is the one
 * replies and reactions find.
 */
import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import type {
  ChannelLimits,
  Connector,
  DeleteRequest,
  EditRequest,
  FindPostedRequest,
  OutgoingMessage,
  XmppSender,
} from "../src/connector/connector.ts";
import { TransientError } from "../src/delivery/delivery-errors.ts";
import type { EngineContext } from "../src/engine/context.ts";
import { EchoGuard } from "../src/engine/echo-guard.ts";
import { RemoteParts, type WholePost } from "../src/engine/remote-parts.ts";
import { RemotePosts } from "../src/engine/remote-posts.ts";
import { fromMarkdown, toMarkdown } from "../src/format/index.ts";
import { silentLogger } from "../src/ops/logger-types.ts";
import type { BridgeStore } from "../src/store/index.ts";
import { storePerTest } from "./store-per-test.ts";

const ROOM = "lobby@muc.parley.test";
const SENDER: XmppSender = { jid: "alice@parley.test", nick: "alice" };

/** A network whose posts hold 20 characters of Markdown (or what a test says): what was posted, edited and deleted. */
class PartsConnector implements Connector {
  readonly network = "acme";
  readonly displayName = "Acme";
  readonly capabilities = { replies: true, attachments: true, threads: false, presence: false };
  /** Live posts by id. */
  readonly posts = new Map<string, { key: string; text: string; message: OutgoingMessage }>();
  readonly sent: OutgoingMessage[] = [];
  readonly edits: EditRequest[] = [];
  readonly deletes: DeleteRequest[] = [];
  /** The send of this key posts, then fails as a lost answer would. */
  loseAnswerOf: string | undefined;
  /** The send of this key fails before posting (a 5xx that did nothing). */
  failBefore: string | undefined;
  canDelete = true;
  maxTextLength = 20;
  private n = 0;

  limits(): ChannelLimits {
    return { maxTextLength: this.maxTextLength, textLength: (t) => toMarkdown(t).length, maxAttachments: 1 };
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async send(m: OutgoingMessage): Promise<{ id: string }> {
    if (this.failBefore === m.key) {
      this.failBefore = undefined;
      throw new TransientError("a 503");
    }
    const length = toMarkdown(m.text).length;
    assert.ok(length <= this.maxTextLength, `a post of ${length} characters`);
    const id = `m${++this.n}`;
    this.sent.push(m);
    this.posts.set(id, { key: m.key, text: toMarkdown(m.text), message: m });
    if (this.loseAnswerOf === m.key) {
      this.loseAnswerOf = undefined;
      throw new TransientError("the connection dropped before the answer came");
    }
    return { id };
  }

  async findPosted(r: FindPostedRequest): Promise<{ id: string } | undefined> {
    for (const [id, p] of this.posts) if (p.key === r.message.key) return { id };
    return undefined;
  }

  async edit(o: EditRequest): Promise<void> {
    this.edits.push(o);
    const p = this.posts.get(o.id);
    if (p) p.text = toMarkdown(o.text);
  }

  /** Set to false to have a network without deletions (its method reads as absent). */
  get delete(): ((o: DeleteRequest) => Promise<void>) | undefined {
    if (!this.canDelete) return undefined;
    return async (o) => {
      this.deletes.push(o);
      this.posts.delete(o.id);
    };
  }

  /** The texts on the network, in the order posted. */
  texts(): string[] {
    return [...this.posts.values()].map((p) => p.text);
  }
}

const LONG = "part one is here\n\npart two is here\n\npart three here";

function whole(key: string, text = LONG, over: Partial<WholePost["message"]> = {}): WholePost {
  return {
    message: { channel: "c1", sender: SENDER, text: fromMarkdown(text), attachments: [], key, ...over },
    room: ROOM,
    xmppId: `sid-${key}`,
    stanzaId: `sid-${key}`,
    originId: `oid-${key}`,
    author: "occupant:alice",
    createdAt: 1_700_000_000_000,
    attempt: 1,
    replay: false,
  };
}

describe("a message in parts", () => {
  const world = storePerTest("parley-remote-parts-");
  let connector: PartsConnector;
  let store: BridgeStore;
  let echoes: EchoGuard;
  let maxPostsPerMessage = 5;
  const parts = () => {
    const limits = { maxPostsPerMessage };
    const ctx = { network: "acme", connector, store, echoes, limits } as unknown as EngineContext;
    const posts = new RemotePosts({ network: "acme", connector, store, logger: silentLogger, keepMs: 86_400_000 });
    return new RemoteParts(ctx, posts);
  };
  const mapped = async (key: string) =>
    (await store.partsByXmppId("acme", ROOM, `sid-${key}`, "c1")).map((r) => [r.part ?? 0, r.remoteId]);

  beforeEach(() => {
    store = world.store;
    connector = new PartsConnector();
    echoes = new EchoGuard();
    maxPostsPerMessage = 5;
  });

  it("posts each part in order with its own key, maps every part, and answers with the first", async () => {
    const first = await parts().post(
      whole("k1", LONG, {
        replyTo: { id: "r0" },
        attachments: [{ url: "https://x.example/a.png" }, { url: "https://x.example/b.png" }],
      }),
    );
    assert.equal(first, "m1");
    assert.deepEqual(connector.texts(), ["part one is here", "part two is here", "part three here", ""]);
    assert.deepEqual(
      connector.sent.map((m) => [m.key, m.attachments.length, m.replyTo?.id, m.partOf]),
      [
        ["k1", 1, "r0", undefined],
        ["k1#2", 0, undefined, "m1"],
        ["k1#3", 0, undefined, "m1"],
        ["k1#f1", 1, undefined, "m1"],
      ],
    );
    assert.deepEqual(await mapped("k1"), [
      [0, "m1"],
      [1, "m2"],
      [2, "m3"],
      [-1, "m4"],
    ]);
    // Replies and reactions find the first part; a reply to any part on the network finds the XMPP message.
    assert.equal((await store.byXmppId("acme", ROOM, "sid-k1"))?.remoteId, "m1");
    assert.equal((await store.byXmppId("acme", ROOM, "oid-k1", "c1"))?.remoteId, "m1");
    const [second] = await store.byRemoteId("acme", "m2");
    assert.equal(second?.stanzaId, "sid-k1");
    assert.equal(second?.room, ROOM);
  });

  it("after a crash between parts, posts only the parts missing, each once", async () => {
    connector.loseAnswerOf = "k2#2";
    await assert.rejects(parts().post(whole("k2")), TransientError);
    assert.deepEqual(connector.texts(), ["part one is here", "part two is here"]);
    assert.deepEqual(await mapped("k2"), [[0, "m1"]], "the second part's answer was lost: not mapped");
    // The next run reads the message again from the room's archive.
    const first = await parts().post({ ...whole("k2"), replay: true });
    assert.equal(first, "m1");
    assert.deepEqual(connector.texts(), ["part one is here", "part two is here", "part three here"]);
    assert.deepEqual(
      connector.sent.map((m) => m.key),
      ["k2", "k2#2", "k2#3"],
      "nothing posted twice",
    );
    assert.deepEqual(await mapped("k2"), [
      [0, "m1"],
      [1, "m2"],
      [2, "m3"],
    ]);
  });

  it("retries a part the network refused, without posting the ones before it again", async () => {
    connector.failBefore = "k3#3";
    await assert.rejects(parts().post(whole("k3")), TransientError);
    await parts().post({ ...whole("k3"), attempt: 2 });
    assert.deepEqual(
      connector.sent.map((m) => m.key),
      ["k3", "k3#2", "k3#3"],
    );
  });

  it("edits every part of a correction, posting the parts a longer text needs", async () => {
    await parts().post(whole("k4", "one\n\ntwo"));
    assert.deepEqual(connector.texts(), ["one\n\ntwo"]);
    const records = await store.partsByXmppId("acme", ROOM, "sid-k4", "c1");
    await parts().edit({
      room: ROOM,
      channel: "c1",
      parts: records,
      xmppId: "sid-k4",
      sender: SENDER,
      text: fromMarkdown(`${LONG} again`),
      key: "edit-1",
      attempt: 1,
      replay: false,
    });
    assert.deepEqual(connector.texts(), ["part one is here", "part two is here", "part three here", "again"]);
    assert.deepEqual(
      connector.edits.map((e) => [e.id, e.key]),
      [["m1", "edit-1"]],
    );
    assert.deepEqual(
      connector.sent.slice(1).map((m) => [m.key, m.partOf]),
      [
        ["edit-1#2", "m1"],
        ["edit-1#3", "m1"],
        ["edit-1#4", "m1"],
      ],
    );
    assert.deepEqual((await mapped("k4")).length, 4);
    assert.ok(echoes.consume("edit", "m1"), "the network's echo of the edit is expected");
  });

  it("deletes the parts a shorter correction leaves over, and forgets them", async () => {
    await parts().post(whole("k5"));
    const records = await store.partsByXmppId("acme", ROOM, "sid-k5", "c1");
    const edit = { room: ROOM, channel: "c1", xmppId: "sid-k5", sender: SENDER, attempt: 1, replay: false };
    await parts().edit({ ...edit, parts: records, text: fromMarkdown("short now"), key: "edit-2" });
    assert.deepEqual(connector.texts(), ["short now"]);
    assert.deepEqual(
      connector.deletes.map((d) => [d.id, d.key]),
      [
        ["m2", "edit-2#2"],
        ["m3", "edit-2#3"],
      ],
    );
    assert.deepEqual(await mapped("k5"), [[0, "m1"]]);
  });

  it("blanks the parts a shorter correction leaves over where the network cannot delete", async () => {
    connector.canDelete = false;
    await parts().post(whole("k6"));
    const records = await store.partsByXmppId("acme", ROOM, "sid-k6", "c1");
    const edit = { room: ROOM, channel: "c1", xmppId: "sid-k6", sender: SENDER, attempt: 1, replay: false };
    await parts().edit({ ...edit, parts: records, text: fromMarkdown("short now"), key: "edit-3" });
    assert.deepEqual(connector.texts(), ["short now", "…", "…"]);
    assert.equal((await mapped("k6")).length, 3, "still there, so a longer correction uses them again");
  });

  it("deletes every part of a retracted message, files too", async () => {
    await parts().post(
      whole("k7", LONG, { attachments: [{ url: "https://x.example/a.png" }, { url: "https://x.example/b.png" }] }),
    );
    const records = await store.partsByXmppId("acme", ROOM, "sid-k7", "c1");
    await parts().delete({ parts: records, sender: SENDER, moderator: false, key: "del-1" });
    assert.deepEqual(connector.texts(), []);
    assert.deepEqual(
      connector.deletes.map((d) => [d.id, d.key]),
      [
        ["m1", "del-1"],
        ["m2", "del-1#2"],
        ["m3", "del-1#3"],
        ["m4", "del-1#f1"],
      ],
    );
    for (const id of ["m1", "m2", "m3", "m4"]) assert.ok(echoes.consume("delete", id));
  });

  it("posts at most xmpp.limits.maxPostsPerMessage parts of a text, the last saying the rest was left out", async () => {
    maxPostsPerMessage = 2;
    connector.maxTextLength = 80;
    await parts().post(whole("k8", `${LONG}\n\n${"and more ".repeat(20)}`));
    const texts = connector.texts();
    assert.equal(texts.length, 2);
    assert.equal(texts[0], "part one is here\n\npart two is here\n\npart three here");
    assert.match(texts[1] ?? "", /^and more .*\n\n\\\[… the rest of this message was too long to relay\\\]$/s);
  });
});
