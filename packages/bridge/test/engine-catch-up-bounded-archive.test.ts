/**
 * Nothing lost to a bounded room archive, on real Prosody (which keeps a
 * room's last `storage_archive_item_limit` messages and drops the oldest):
 * after an outage in which XMPP users spoke in a linked room, over more than
 * one archive page, while the network piled up a backlog larger than the
 * archive holds, the bridge reads the room's archive before it writes that
 * backlog into the room. Every XMPP message reaches the network once and in
 * order, and the backlog reaches the room. What the archive no longer reaches
 * back to is told to the admins, with its range.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { buildDiscoInfoRequest, buildMessage, type Message } from "@parley/stanza";
import { isMessage, stanzaId } from "@parley/testkit";
import type { RefMessage } from "../src/index.ts";
import { CatchingUpConnector } from "./catching-up-connector.ts";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";

/** Messages the room's archive holds. */
const ARCHIVE = 150;
/** Said in the room while the bridge was away: more than one page of the archive (Prosody answers 50 at most). */
const SAID = 80;
/** Posted on the network meanwhile: more than the archive holds. */
const BACKLOG = 200;

const NOT_RELAYED = /^What (\S+) said from (\S+) to (\S+) was not relayed: (.*)\.$/;

describe("catch-up through a bounded room archive, with a network backlog (Prosody)", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness("prosody", { server: { archiveItemLimit: ARCHIVE } });
  });
  after(async () => {
    await h?.close();
  });

  /** Alice says `body` in the room; resolves once the room has it. */
  async function say(body: string): Promise<Message> {
    const id = stanzaId("c");
    const back = h.alice.waitFor(isMessage((m) => m.id === id && m.type === "groupchat"));
    await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id, body }));
    return (await back).stanza as Message;
  }

  /** The texts the bridge posted on the network since call `from` that start with `prefix`, in order. */
  function posted(from: number, prefix: string): string[] {
    return h.net.calls
      .slice(from)
      .filter((c) => c.method === "post" && String(c.args.text).startsWith(prefix))
      .map((c) => String(c.args.text));
  }

  /** An admin notice saying what was not relayed, as the bridge's admin (alice) got it. */
  const isNotRelayed = isMessage((m) => m.type === "chat" && NOT_RELAYED.test(m.body ?? ""));

  /**
   * Whether alice has an admin notice of something not relayed, once all the
   * bridge wrote to her so far has arrived: a disco query answered by the
   * bridge comes after it on the same streams.
   */
  async function noticedNotRelayed(): Promise<string | undefined> {
    await h.alice.iq(buildDiscoInfoRequest({ id: stanzaId("disco"), to: h.domain }));
    const got = await h.alice.waitFor(isNotRelayed, { timeoutMs: 1 }).catch(() => undefined);
    return (got?.stanza as Message | undefined)?.body;
  }

  it("reads what the room said before it writes the network's backlog in: nothing lost, nothing twice, in order", async () => {
    await say("said before the outage");
    await apiCall(h, (c) => c.method === "post" && c.args.text === "said before the outage");
    await h.bridge.stop();
    const said: string[] = [];
    for (let i = 1; i <= SAID; i++) {
      said.push(`away ${i}`);
      await say(`away ${i}`);
    }
    const backlog: RefMessage[] = [];
    for (let i = 1; i <= BACKLOG; i++) backlog.push(h.net.post(i % 2 === 1 ? "u1" : "u2", "general", `backlog ${i}`));
    // The network takes the first of the room's messages only once the whole backlog is in the room: by then
    // the bridge must have read what the room said, or the archive has dropped it.
    const connector = new CatchingUpConnector(h.net, backlog);
    const send = connector.send.bind(connector);
    const backlogIn = Promise.withResolvers<void>();
    let first = true;
    connector.send = async (m) => {
      if (first) {
        first = false;
        await backlogIn.promise;
      }
      return send(m);
    };
    const from = h.net.calls.length;
    await h.restartBridge(connector);
    for (let i = 1; i <= BACKLOG; i++) {
      await h.alice.waitFor(
        isMessage((m) => m.type === "groupchat" && m.body === `backlog ${i}`),
        {
          timeoutMs: 30_000,
          description: `backlog ${i} in the room`,
        },
      );
    }
    backlogIn.resolve();
    // What was lost never comes: then the comparison below says what is missing.
    await apiCall(h, (c) => c.method === "post" && c.args.text === `away ${SAID}`, 30_000).catch(() => undefined);
    assert.deepEqual(posted(from, "away "), said, "every message said in the room, once and in order");
    assert.equal(await noticedNotRelayed(), undefined, "nothing is reported lost");
    assert.deepEqual(posted(from, "backlog "), [], "the backlog is not echoed back");
  });

  it("tells the admins exactly which range the archive no longer reaches back to, and relays the rest", async () => {
    const handledFrom = Date.now();
    await say("said before the second outage");
    await apiCall(h, (c) => c.method === "post" && c.args.text === "said before the second outage");
    await h.bridge.stop();
    const stoppedAt = Date.now();
    const said: string[] = [];
    const count = ARCHIVE + 20; // the archive drops the last handled message and the first said after it
    for (let i = 1; i <= count; i++) {
      said.push(`gone ${i}`);
      await say(`gone ${i}`);
    }
    const from = h.net.calls.length;
    await h.restartBridge();
    const notice = await h.alice.waitFor(isNotRelayed, { timeoutMs: 30_000, description: "the notice" });
    await apiCall(h, (c) => c.method === "post" && c.args.text === `gone ${count}`, 60_000);
    const [, room, rangeFrom, rangeTo, why] = NOT_RELAYED.exec((notice.stanza as Message).body ?? "") ?? [];
    assert.equal(room, h.room.toLowerCase());
    assert.equal(why, "the room's archive no longer has it");
    const relayed = posted(from, "gone ");
    assert.ok(relayed.length > 0 && relayed.length < count, `part relayed: ${relayed.length} of ${count}`);
    assert.deepEqual(relayed, said.slice(count - relayed.length), "what the archive still has, once and in order");
    // From the last message the bridge handled to the oldest the archive still has: the first one relayed.
    const fromMs = Date.parse(rangeFrom ?? "");
    assert.ok(fromMs >= handledFrom && fromMs <= stoppedAt, `from ${rangeFrom}: when the last message was handled`);
    const firstRelayed = [...h.net.messages.values()].find((m) => m.text === relayed[0]);
    assert.ok(firstRelayed);
    assert.equal(Date.parse(rangeTo ?? ""), firstRelayed.createdAt, `to ${rangeTo}: when the oldest archived was said`);
  });
});
