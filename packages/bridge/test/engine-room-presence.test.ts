/**
 * Presence that matches the network: members reported present in a linked
 * channel sit in its room as puppets without having spoken, show idle as away
 * and dnd as dnd, leave with an unavailable presence when they go offline, and
 * a room holds at most `roomPresence.maxOccupants` of them, the most recently
 * active first. On real Prosody and ejabberd, seen by a real XMPP client.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Presence } from "@parley/stanza";
import { isPresence, type TestClient, XMPP_SERVER_KINDS } from "@parley/testkit";
import { type Bridge, plainRichText, type RemoteUser } from "../src/index.ts";
import { type PresenceSetting, startPresenceSetting } from "./presence-setting.ts";

const MAX_OCCUPANTS = 2;

const ada: RemoteUser = { id: "ada", displayName: "Ada" };
const grace: RemoteUser = { id: "grace", displayName: "Grace" };
const linus: RemoteUser = { id: "linus", displayName: "Linus" };

for (const kind of XMPP_SERVER_KINDS) {
  describe(`room presence on ${kind}`, () => {
    let setting: PresenceSetting;
    let bridge: Bridge;
    let alice: TestClient;
    let room: string;
    const occupant = (nick: string) => `${room}/${nick}`;
    const seated = () => setting.seated();

    before(async () => {
      setting = await startPresenceSetting(kind, { maxOccupants: MAX_OCCUPANTS });
      ({ bridge, alice, room } = setting);
    });
    after(() => setting?.stop());

    it("seats members who are present without their having spoken, idle as away and dnd as dnd", async () => {
      const adaIn = alice.waitFor(isPresence((p) => p.from === occupant("Ada") && p.type === "available"));
      const graceAway = alice.waitFor(
        isPresence((p) => p.from === occupant("Grace") && p.type === "available" && p.show === "away"),
      );
      await bridge.connectorHost.memberPresence("general", ada, { status: "online" });
      await bridge.connectorHost.memberPresence("general", grace, { status: "idle", message: "lunch" });
      assert.equal(((await adaIn).stanza as Presence).show, undefined);
      assert.equal(((await graceAway).stanza as Presence).status, "lunch");
      const graceDnd = alice.waitFor(isPresence((p) => p.from === occupant("Grace") && p.show === "dnd"));
      await bridge.connectorHost.memberPresence("general", grace, { status: "dnd" });
      await graceDnd;
      assert.deepEqual(seated(), ["ada", "grace"]);
    });

    it("keeps a member waiting past the cap, and seats them in place of the least active one when they speak", async () => {
      await bridge.connectorHost.memberPresence("general", linus, { status: "online" });
      await bridge.connectorHost.roomPresence.idle();
      assert.deepEqual(seated(), ["ada", "grace"], `the room holds at most ${MAX_OCCUPANTS} puppets`);

      // Ada spoke before: she is more active than Grace, who gives her seat to Linus when he speaks.
      await bridge.connectorHost.message({ channel: "general", id: "m1", author: ada, text: plainRichText("hi") });
      const graceOut = alice.waitFor(isPresence((p) => p.from === occupant("Grace") && p.type === "unavailable"));
      const linusIn = alice.waitFor(isPresence((p) => p.from === occupant("Linus") && p.type === "available"));
      await bridge.connectorHost.message({
        channel: "general",
        id: "m2",
        author: linus,
        text: plainRichText("hello"),
      });
      await linusIn;
      await graceOut;
      await bridge.connectorHost.roomPresence.idle();
      assert.deepEqual(seated(), ["ada", "linus"]);
    });

    it("takes a member going offline out with an unavailable presence (not show=xa), and gives the seat to one waiting", async () => {
      // What Ada's puppet says first once she is offline: an unavailable presence, not an available show=xa one.
      const adaLeft = alice.waitFor(
        isPresence((p) => p.from === occupant("Ada") && (p.type === "unavailable" || p.show === "xa")),
      );
      const graceBack = alice.waitFor(isPresence((p) => p.from === occupant("Grace") && p.type === "available"));
      await bridge.connectorHost.presence(ada, { status: "offline" });
      const left = (await adaLeft).stanza as Presence;
      assert.equal(left.type, "unavailable");
      assert.equal(left.show, undefined);
      await graceBack;
      await bridge.connectorHost.roomPresence.idle();
      assert.deepEqual(seated(), ["grace", "linus"]);
    });

    it("seats a member again in the channels they belong to when they come back online", async () => {
      const linusOut = alice.waitFor(isPresence((p) => p.from === occupant("Linus") && p.type === "unavailable"));
      await bridge.connectorHost.presence(linus, { status: "offline" });
      await linusOut;
      const adaBack = alice.waitFor(isPresence((p) => p.from === occupant("Ada") && p.type === "available"));
      // A presence that names no channel: the engine remembers where Ada is a member.
      await bridge.connectorHost.presence(ada, { status: "online" });
      await adaBack;
      await bridge.connectorHost.roomPresence.idle();
      assert.deepEqual(seated(), ["ada", "grace"]);
    });

    it("takes a member who leaves the channel out, and does not seat them again when they come online", async () => {
      const graceLeft = alice.waitFor(isPresence((p) => p.from === occupant("Grace") && p.type === "unavailable"));
      await bridge.connectorHost.membership("general", grace, "leave");
      await graceLeft;
      await bridge.connectorHost.presence(grace, { status: "online" });
      await bridge.connectorHost.roomPresence.idle();
      assert.deepEqual(seated(), ["ada"]);
    });
  });
}
