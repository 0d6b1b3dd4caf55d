/**
 * Presence that matches Discord: members who are online when the bridge
 * starts, or who come online later, sit in the linked channels' rooms as
 * puppets before they say anything; idle shows as away, dnd as dnd, and
 * going offline makes the puppet leave (unavailable). A room holds at most
 * `roomPresence.maxOccupants` of them. Real discord.js against the fake
 * Discord, real Prosody, a real XMPP client.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ConfigError } from "@parley/bridge";
import type { Presence } from "@parley/stanza";
import { isPresence } from "@parley/testkit";
import { parseDiscordOptions } from "../src/index.ts";
import { type DiscordHarness, startHarness } from "./harness.ts";

const MAX_OCCUPANTS = 3;

describe("Discord members' presence in the rooms", () => {
  let h: DiscordHarness;
  const names = ["Ada", "Grace", "Linus", "Ken"];
  const ids = new Map<string, string>();
  const from = (room: string, nick: string) => `${room}/${nick}`;
  const settled = async () => {
    await h.connector?.idle();
    await h.bridge?.connectorHost.roomPresence.idle();
  };
  const seatedIn = (room: string) => h.bridge?.occupancy.localsIn(room).length ?? 0;

  before(async () => {
    h = await startHarness({ discord: { roomPresence: { maxOccupants: MAX_OCCUPANTS } } });
    // Four members online while the bridge is down: it finds them in GUILD_CREATE when it starts.
    await h.stopBridge();
    for (const name of names) {
      const m = h.fake.addMember(h.guild.id, { username: name.toLowerCase(), globalName: name });
      ids.set(name, m.user.id);
      h.fake.setPresence(m.user.id, { status: "online" });
    }
  });
  after(async () => {
    await h?.close();
  });

  it("seats the members online at start in every linked channel's room, up to the cap, without their speaking", async () => {
    const adaIn = h.alice.waitFor(
      isPresence((p) => p.from === from(h.room, "Ada") && p.type === "available"),
      {
        timeoutMs: 15_000,
      },
    );
    const adaIn2 = h.alice.waitFor(
      isPresence((p) => p.from === from(h.room2, "Ada") && p.type === "available"),
      {
        timeoutMs: 15_000,
      },
    );
    await h.startBridge();
    await adaIn;
    await adaIn2;
    await settled();
    assert.equal(seatedIn(h.room), MAX_OCCUPANTS, `the room holds ${MAX_OCCUPANTS} of the 4 online members`);
    assert.equal(seatedIn(h.room2), MAX_OCCUPANTS);
  });

  it("shows idle as away and dnd as dnd, with the custom status", async () => {
    const away = h.alice.waitFor(
      isPresence((p) => p.from === from(h.room, "Ada") && p.show === "away"),
      {
        timeoutMs: 10_000,
      },
    );
    h.fake.setPresence(ids.get("Ada") ?? "", { status: "idle" });
    await away;
    const busy = h.alice.waitFor(
      isPresence((p) => p.from === from(h.room, "Ada") && p.show === "dnd"),
      {
        timeoutMs: 10_000,
      },
    );
    h.fake.setPresence(ids.get("Ada") ?? "", { status: "dnd", customStatus: "deep work" });
    assert.equal(((await busy).stanza as Presence).status, "deep work");
  });

  it("takes a member going offline out with an unavailable presence, and seats the one who waited", async () => {
    const left = h.alice.waitFor(
      isPresence((p) => p.from === from(h.room, "Ada") && (p.type === "unavailable" || p.show === "xa")),
      { timeoutMs: 10_000 },
    );
    const kenIn = h.alice.waitFor(
      isPresence((p) => p.from === from(h.room, "Ken") && p.type === "available"),
      {
        timeoutMs: 10_000,
      },
    );
    h.fake.setPresence(ids.get("Ada") ?? "", { status: "offline" });
    const presence = (await left).stanza as Presence;
    assert.equal(presence.type, "unavailable", "offline is a departure, not show=xa");
    await kenIn;
    await settled();
    assert.equal(seatedIn(h.room), MAX_OCCUPANTS);
  });

  it("seats a member as they come online", async () => {
    // Grace goes offline first so there is a seat; then Ada comes back and takes it.
    const graceOut = h.alice.waitFor(
      isPresence((p) => p.from === from(h.room, "Grace") && p.type === "unavailable"),
      { timeoutMs: 10_000 },
    );
    h.fake.setPresence(ids.get("Grace") ?? "", { status: "offline" });
    await graceOut;
    const adaBack = h.alice.waitFor(
      isPresence((p) => p.from === from(h.room, "Ada") && p.type === "available"),
      {
        timeoutMs: 10_000,
      },
    );
    h.fake.setPresence(ids.get("Ada") ?? "", { status: "online" });
    await adaBack;
    await settled();
    assert.equal(seatedIn(h.room), MAX_OCCUPANTS);
  });

  it("seats the present members in a channel linked at runtime", async () => {
    const channel = h.fake.createChannel(h.guild.id, { name: "later" });
    const room3 = `later-${process.pid}-${Date.now()}@${h.server.mucDomain}`;
    await h.alice.joinRoom(room3, "alice");
    const adaIn = h.alice.waitFor(
      isPresence((p) => p.from === from(room3, "Ada") && p.type === "available"),
      {
        timeoutMs: 10_000,
      },
    );
    await h.bridge?.connectorHost.link(channel.id, room3);
    await settled();
    await adaIn;
    await settled();
    assert.equal(seatedIn(room3), MAX_OCCUPANTS);
  });
});

describe("connectors.discord.roomPresence", () => {
  it("takes maxOccupants and names the field when it is out of range", () => {
    const token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.secret-token-value";
    assert.deepEqual(parseDiscordOptions({ token, roomPresence: { maxOccupants: 7 } }).roomPresence, {
      maxOccupants: 7,
    });
    assert.deepEqual(parseDiscordOptions({ token, roomPresence: {} }).roomPresence, { maxOccupants: 50 });
    assert.throws(
      () => parseDiscordOptions({ token, roomPresence: { maxOccupants: -1 } }),
      (e: unknown) => e instanceof ConfigError && /connectors\.discord\.roomPresence/.test(e.message),
    );
  });
});
