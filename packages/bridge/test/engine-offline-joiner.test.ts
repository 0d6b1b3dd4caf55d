/**
 * A member who joins a channel is evidently there: their puppet is seated in
 * the room even while their network reports them offline (a Matrix user whose
 * client does not sync stays "offline" on Synapse, which says so again after
 * each of their actions, a join among them), and an "offline" that changes
 * nothing does not take it out. A real change still does (present, then
 * offline), and so does leaving. A member only listed as already in the
 * channel is seated by their presence. On real Prosody and ejabberd, seen by
 * a real XMPP client.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { isPresence, type TestClient, XMPP_SERVER_KINDS } from "@parley/testkit";
import type { Bridge, RemoteUser } from "../src/index.ts";
import { type PresenceSetting, startPresenceSetting } from "./presence-setting.ts";

const carol: RemoteUser = { id: "carol", displayName: "Carol" };
const eve: RemoteUser = { id: "eve", displayName: "Eve" };
const fay: RemoteUser = { id: "fay", displayName: "Fay" };
const gus: RemoteUser = { id: "gus", displayName: "Gus" };

for (const kind of XMPP_SERVER_KINDS) {
  describe(`a member who joins while offline, on ${kind}`, () => {
    let setting: PresenceSetting;
    let bridge: Bridge;
    let alice: TestClient;
    let room: string;
    const occupant = (nick: string) => `${room}/${nick}`;
    const seated = () => setting.seated();
    const idle = () => bridge.connectorHost.roomPresence.idle();
    /** Resolves with the next presence of `nick`'s puppet of `type` alice gets (buffered ones first). */
    const next = (nick: string, type: "available" | "unavailable") =>
      alice.waitFor(isPresence((p) => p.from === occupant(nick) && p.type === type));

    before(async () => {
      setting = await startPresenceSetting(kind);
      ({ bridge, alice, room } = setting);
    });
    after(() => setting?.stop());

    it("seats a member reported offline who joins the channel, and keeps them through an offline that changes nothing", async () => {
      await bridge.connectorHost.memberPresence("general", eve, { status: "offline" });
      await idle();
      assert.deepEqual(seated(), [], "an offline member is not seated");

      const eveIn = next("Eve", "available");
      await bridge.connectorHost.membership("general", eve, "join");
      await eveIn;
      await idle();
      assert.deepEqual(seated(), ["eve"], "the member who joined sits in the room");
      // What Synapse says after the join of a user whose client does not sync, with and without a channel.
      await bridge.connectorHost.presence(eve, { status: "offline" });
      await bridge.connectorHost.memberPresence("general", eve, { status: "offline" });
      await idle();
      assert.deepEqual(seated(), ["eve"], "still offline: nothing changed, the puppet stays");
    });

    it("seats again a member who joined, stayed offline, left and joined again", async () => {
      const carolIn = next("Carol", "available");
      await bridge.connectorHost.membership("general", carol, "join");
      await carolIn;
      await bridge.connectorHost.presence(carol, { status: "offline" });
      await idle();
      assert.deepEqual(seated(), ["carol", "eve"], "the network's first word, offline, changes nothing");

      const carolOut = next("Carol", "unavailable");
      await bridge.connectorHost.membership("general", carol, "leave");
      await carolOut;
      await bridge.connectorHost.presence(carol, { status: "offline" });
      await idle();
      assert.deepEqual(seated(), ["eve"], "the member who left is out");

      const carolBack = next("Carol", "available");
      await bridge.connectorHost.membership("general", carol, "join");
      await carolBack;
      await idle();
      assert.deepEqual(seated(), ["carol", "eve"], "the member who joined again sits in the room");
      // Everything the room said of Carol before her second join reached alice before it: one leave, her own.
      const leftTwice = await alice
        .waitFor(
          isPresence((p) => p.from === occupant("Carol") && p.type === "unavailable"),
          { timeoutMs: 1 },
        )
        .then(
          () => true,
          () => false,
        );
      assert.equal(leftTwice, false, "the puppet left the room once, when Carol left");
    });

    it("takes out a member who joined when they go online and then offline for real", async () => {
      await bridge.connectorHost.presence(carol, { status: "online" });
      await idle();
      assert.deepEqual(seated(), ["carol", "eve"]);
      const carolOut = next("Carol", "unavailable");
      await bridge.connectorHost.presence(carol, { status: "offline" });
      await carolOut;
      await idle();
      assert.deepEqual(seated(), ["eve"]);
    });

    it("seats a member listed in the channel by their presence: not while offline; never reported, out on offline", async () => {
      // Listed: the members a connector finds in the channel at start or when it is linked, not seen joining.
      await bridge.connectorHost.memberPresence("general", fay, { status: "offline" });
      await bridge.connectorHost.membership("general", fay, "join", { listed: true });
      const gusIn = next("Gus", "available");
      await bridge.connectorHost.membership("general", gus, "join", { listed: true });
      await gusIn;
      await idle();
      assert.deepEqual(seated(), ["eve", "gus"], "the listed member reported offline is not seated");

      const gusOut = next("Gus", "unavailable");
      await bridge.connectorHost.presence(gus, { status: "offline" });
      await gusOut;
      await idle();
      assert.deepEqual(seated(), ["eve"]);
    });
  });
}
