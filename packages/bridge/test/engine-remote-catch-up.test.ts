/**
 * The engine's catch-up of the network, end to end (Prosody, the reference
 * network): what was said, edited and deleted on the network while the
 * bridge was down reaches the room once, in order, with its original time,
 * and a second restart brings nothing again.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Message } from "@parley/stanza";
import { assertNoMoreInRoom, collectRoomMessages, inRoom, postAndSeeInRoom } from "@parley/testkit";
import type { ConnectorHost } from "../src/connector/connector.ts";
import { ReferenceConnector } from "../src/reference/reference-connector.ts";
import type { ReferenceNetwork } from "../src/reference/reference-network.ts";
import { type Harness, startHarness } from "./engine-harness.ts";

/** A reference connector that lets `away` happen on the network before it listens, then asks for a catch-up. */
class BackFromAway extends ReferenceConnector {
  private readonly away: () => void;
  constructor(net: ReferenceNetwork, away: () => void) {
    super(net, "reference", { catchUp: true });
    this.away = away;
  }
  override async start(host: ConnectorHost): Promise<void> {
    this.away();
    await super.start(host);
  }
}

describe("catching up on the network (prosody)", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness("prosody");
  });
  after(async () => {
    await h?.close();
  });

  const see = (nick: string, shown: string, post: () => unknown) =>
    postAndSeeInRoom(h.alice, { room: h.room, nick, shown, timeoutMs: 15_000 }, post);

  it("relays what was said, edited and deleted while the bridge was down, once, in order, dated", async () => {
    const edited = await see("Anna", "before: to be edited", () => h.net.post("u1", "general", "before: to be edited"));
    const deleted = await see("Bob", "before: to be deleted", () =>
      h.net.post("u2", "general", "before: to be deleted"),
    );
    const said: string[] = [];
    await h.restartBridge(
      new BackFromAway(h.net, () => {
        said.push(h.net.post("u1", "general", "away: one", { createdAt: Date.now() - 60_000 }).id);
        said.push(h.net.post("u2", "general", "away: two", { createdAt: Date.now() - 30_000 }).id);
        h.net.edit((edited.posted as { id: string }).id, "before: edited while away");
        h.net.remove((deleted.posted as { id: string }).id);
      }),
    );
    // A correction names the message by the id it was sent with (its origin-id).
    const original = edited.seen.originId ?? edited.seen.id;
    const correction = await h.alice.waitFor(
      inRoom(h.room, "Anna", (m) => m.replace?.id === original),
      { timeoutMs: 15_000, description: "the correction made while away" },
    );
    assert.equal((correction.stanza as Message).body, "before: edited while away");
    await h.alice.waitFor(
      inRoom(h.room, "Bob", (m) => m.retract !== undefined),
      { timeoutMs: 15_000, description: "the retraction made while away" },
    );
    const one = await collectRoomMessages(h.alice, {
      room: h.room,
      nick: "Anna",
      prefix: "away: one",
      count: 1,
      timeoutMs: 15_000,
    });
    const two = await collectRoomMessages(h.alice, {
      room: h.room,
      nick: "Bob",
      prefix: "away: two",
      count: 1,
      timeoutMs: 15_000,
    });
    assert.ok(one[0]?.delay && two[0]?.delay, "dated with when they were said");
    assert.ok(
      (one[0]?.delay?.stamp.getTime() ?? 0) < (two[0]?.delay?.stamp.getTime() ?? 0),
      "in the order they were said",
    );
    // What goes live now comes after the catch-up: seen, everything caught up came before it.
    await see("Anna", "live after", () => h.net.post("u1", "general", "live after"));
    await assertNoMoreInRoom(h.alice, h.room, "away:");
    await assertNoMoreInRoom(h.alice, h.room, "before:");
    assert.equal(said.length, 2);
  });

  it("brings nothing again at the next restart", async () => {
    await h.restartBridge(new ReferenceConnector(h.net, "reference", { catchUp: true }));
    await see("Bob", "sentinel", () => h.net.post("u2", "general", "sentinel"));
    await assertNoMoreInRoom(h.alice, h.room, "away:");
    await assertNoMoreInRoom(h.alice, h.room, "live after");
    await assert.rejects(
      h.alice.waitFor(
        inRoom(h.room, undefined, (m) => m.replace !== undefined || m.retract !== undefined),
        { timeoutMs: 300 },
      ),
      "no correction or retraction again",
    );
  });
});
