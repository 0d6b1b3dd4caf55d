/**
 * What the first round of delivery confirmation left open: reactions and
 * retractions sent to a room count once the room reflects them (and a crash
 * or a stop leaves them to the next start's reconcile), an XMPP user's
 * reaction set is saved only once the network has it, a room's catch-up mark
 * never passes a message still on its way, and retention prunes unconfirmed
 * deliveries only past the reconcile's reach.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildMessage, type Element, type Message, stanzaIdBy } from "@parley/stanza";
import { isMessage, stanzaId } from "@parley/testkit";
import { RoomCatchUp } from "../src/engine/room-catch-up.ts";
import { silentLogger } from "../src/ops/logger-types.ts";
import { ReferenceConnector } from "../src/reference/reference-connector.ts";
import { type BridgeStore, DAY_MS, openStore, StoreRetention } from "../src/store/index.ts";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";

describe("the catch-up mark and messages still on their way", () => {
  it("does not pass a message still on its way to a channel, whatever is read after it", async () => {
    const state = new Map<string, string>();
    const catchUp = new RoomCatchUp({
      store: {
        getState: async (scope, key) => state.get(`${scope} ${key}`),
        setState: async (scope, key, value) => void state.set(`${scope} ${key}`, value),
      },
      logger: silentLogger,
      archivedAfter: async () => ({ messages: [], more: false }),
      maxMessages: 1000,
      maxAgeMs: DAY_MS,
      now: () => 1_000,
    });
    const mark = () => {
      const saved = state.get("engine xmpp-seen room@muc.example");
      return saved === undefined ? undefined : (JSON.parse(saved) as { id: string }).id;
    };
    catchUp.read("room@muc.example", "s0");
    await catchUp.flush();
    assert.equal(mark(), "s0");
    // s1 goes to two channels and is still on its way to the second; s2 and the reflection of a puppet's
    // message (own-3) are dealt with meanwhile.
    catchUp.live("room@muc.example", "s1");
    catchUp.live("room@muc.example", "s2");
    catchUp.read("room@muc.example", "s2");
    catchUp.read("room@muc.example", "own-3");
    await catchUp.flush();
    assert.equal(mark(), "s0", "a crash now catches s1 up at the next start");
    catchUp.read("room@muc.example", "s1");
    await catchUp.flush();
    assert.equal(mark(), "own-3", "once s1 is dealt with, the mark moves past everything read since");
  });
});

describe("store retention of unconfirmed deliveries", () => {
  let dir: string;
  let store: BridgeStore;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "parley-unconfirmed-retention-"));
    store = await openStore(`sqlite:${join(dir, "parley.db")}`);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("prunes them only past both the ledger's days and the reach of the next start's reconcile", async () => {
    const now = 1_000 * DAY_MS;
    const unconfirmed = (key: string, ageDays: number) =>
      store.recordUnconfirmed({
        key,
        network: "discord",
        target: "room@muc.example",
        sender: "p1",
        id: `id-${key}`,
        data: "<message/>",
        at: now - ageDays * DAY_MS,
        seq: 0,
      });
    await unconfirmed("forty-days", 40);
    await unconfirmed("ten-days", 10);
    await unconfirmed("an-hour", 1 / 24);
    const retention = (reachDays: number) =>
      new StoreRetention({
        store,
        policy: { messagesDays: 90, ledgerDays: 30 },
        logger: silentLogger,
        now: () => now,
        unconfirmedReachMs: reachDays * DAY_MS,
      });
    const keys = async () => (await store.unconfirmed("discord")).map((u) => u.key);
    // A reconcile that still sends again what is 50 days old: nothing goes.
    assert.equal((await retention(50).sweep()).unconfirmed, 0);
    assert.deepEqual(await keys(), ["forty-days", "ten-days", "an-hour"]);
    // Reaching back one day: only what is past the ledger's 30 days goes.
    assert.equal((await retention(1).sweep()).unconfirmed, 1);
    assert.deepEqual(await keys(), ["ten-days", "an-hour"]);
  });
});

describe("reactions and retractions to a room, confirmed by its reflection (Prosody)", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness("prosody", { server: { archiveItemLimit: 10_000 } });
  });
  after(async () => {
    await h?.close();
  });

  /** Anna's (u1's) message, as alice saw it, once the message map has the room's stanza-id. */
  async function annaPosts(text: string): Promise<{ remoteId: string; stanzaId: string }> {
    const seen = h.alice.waitFor(isMessage((m) => m.type === "groupchat" && m.body === text));
    const posted = h.net.post("u1", "general", text);
    const sid = stanzaIdBy((await seen).stanza as Message, h.room);
    assert.ok(sid, "the room gave a stanza-id");
    await waitUntil(
      "the message map has the stanza-id",
      async () => (await h.store.byRemoteId("reference", posted.id))[0]?.stanzaId === sid,
    );
    return { remoteId: posted.id, stanzaId: sid };
  }

  /** Loses the next stanza the bridge writes that `pred` picks, as a link dying under the write would. */
  function loseNext(pred: (el: Element) => boolean): Promise<void> {
    const session = h.bridge.session;
    const write = session.send.bind(session);
    const lost = Promise.withResolvers<void>();
    session.send = async (el: Element) => {
      if (!pred(el)) return write(el);
      session.send = write;
      lost.resolve();
    };
    return lost.promise;
  }

  async function stopAbruptly(): Promise<void> {
    await h.bridge.stop(300);
  }

  it("a reaction the room never saw stays unconfirmed and is sent again at the next start", async () => {
    const target = await annaPosts("react to this");
    const lost = loseNext((el) => el.getChild("reactions", "urn:xmpp:reactions:0") !== undefined);
    h.net.react("u2", target.remoteId, "👍");
    await lost;
    await stopAbruptly();
    const left = (await h.store.unconfirmed("reference")).filter((u) => u.key.startsWith("to-xmpp reaction "));
    assert.equal(left.length, 1, "written to the socket is not delivered: it waits for the room");
    const seen = h.alice.waitFor(
      isMessage((m) => m.type === "groupchat" && m.reactions?.id === target.stanzaId),
      { timeoutMs: 30_000 },
    );
    await h.restartBridge();
    assert.deepEqual(((await seen).stanza as Message).reactions?.emojis, ["👍"]);
    await waitUntil("the reaction confirmed", async () => (await h.store.unconfirmed("reference")).length === 0);
    assert.equal(await h.store.deliveredResult(left[0]?.key ?? ""), left[0]?.id, "confirmed by the room");
  });

  it("a retraction the room never saw stays unconfirmed and is sent again at the next start", async () => {
    const target = await annaPosts("take this back");
    const lost = loseNext((el) => el.getChild("retract", "urn:xmpp:message-retract:1") !== undefined);
    h.net.remove(target.remoteId);
    await lost;
    await stopAbruptly();
    const left = (await h.store.unconfirmed("reference")).filter((u) => u.key.startsWith("to-xmpp delete "));
    assert.equal(left.length, 1, "written to the socket is not delivered: it waits for the room");
    const seen = h.alice.waitFor(
      isMessage((m) => m.type === "groupchat" && m.retract !== undefined),
      { timeoutMs: 30_000 },
    );
    await h.restartBridge();
    assert.equal(((await seen).stanza as Message).retract?.id, target.stanzaId);
    await waitUntil("the retraction confirmed", async () => (await h.store.unconfirmed("reference")).length === 0);
  });

  it("a direct message in flight when the link dies is sent again at the next start, not lost", async () => {
    const puppet = `u2@${h.domain}`;
    await h.alice.send(buildMessage({ type: "chat", to: puppet, id: stanzaId("dm"), body: "are you there?" }));
    const call = await apiCall(h, (c) => c.method === "post" && c.args.dmWith === "u2");
    // The link dies as the answer is written: neither it nor anything after it reaches the server.
    const session = h.bridge.session;
    const write = session.send.bind(session);
    const dead = Promise.withResolvers<void>();
    let linkDead = false;
    session.send = async (el: Element) => {
      if (el.attrs.type === "chat" && el.getChildText("body") === "yes, here") {
        linkDead = true;
        dead.resolve();
      }
      if (!linkDead) return write(el);
    };
    h.net.directMessage("u2", call.args.channel as string, "yes, here");
    await dead.promise;
    await stopAbruptly();
    const left = (await h.store.unconfirmed("reference")).filter((u) => u.key.startsWith("to-xmpp dm "));
    assert.equal(left.length, 1, "written to the socket is not delivered: it waits for the user's server");
    const answer = h.alice.waitFor(
      isMessage((m) => m.type === "chat" && (m.from ?? "").startsWith(`${puppet}/`) && m.body === "yes, here"),
      { timeoutMs: 30_000 },
    );
    await h.restartBridge();
    await answer;
    await waitUntil("the direct message confirmed", async () => (await h.store.unconfirmed("reference")).length === 0);
    assert.equal(await h.store.deliveredResult(left[0]?.key ?? ""), left[0]?.id);
  });

  it("an XMPP user's reaction whose delivery a crash cut short is relayed after the restart", async () => {
    // A network whose first reaction call never answers (the bridge dies while it waits).
    class StuckOnce extends ReferenceConnector {
      readonly stuck = Promise.withResolvers<void>();
      private calls = 0;
      override async react(o: Parameters<ReferenceConnector["react"]>[0]): Promise<void> {
        if (this.calls++ === 0) {
          this.stuck.resolve();
          return new Promise<void>(() => undefined);
        }
        return super.react(o);
      }
    }
    const stuckOnce = new StuckOnce(h.net);
    await h.restartBridge(stuckOnce);
    const said = h.alice.waitFor(isMessage((m) => m.type === "groupchat" && m.body === "alice says hi"));
    await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("hi"), body: "alice says hi" }));
    const sid = stanzaIdBy((await said).stanza as Message, h.room);
    assert.ok(sid);
    await apiCall(h, (c) => c.method === "post" && c.args.text === "alice says hi");
    await h.alice.send(
      buildMessage({
        type: "groupchat",
        to: h.room,
        id: stanzaId("r"),
        reactions: { id: sid, emojis: ["🎉"] },
        hints: ["store"],
      }),
    );
    await stuckOnce.stuck.promise;
    await stopAbruptly();
    const from = h.net.calls.length;
    await h.restartBridge();
    await apiCall(h, (c) => c.method === "react" && c.args.emoji === "🎉" && c.args.action === "add", 30_000);
    assert.equal(
      h.net.calls.slice(from).filter((c) => c.method === "react").length,
      1,
      "read again from the archive, the reaction is still a change, and goes once",
    );
  });
});

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
