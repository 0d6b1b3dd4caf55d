/**
 * A member whose network keeps them offline while they speak (a Matrix user
 * whose client does not sync: Synapse repeats "offline" after each of their
 * messages) sits in the room because they spoke, and an "offline" that
 * changes nothing does not take their puppet out: no leave and join around
 * every message. Nor does the network's first "offline" for a member seated
 * as listed in the channel who then spoke. A real change still does: present,
 * then offline, and the puppet leaves with an unavailable presence. On real
 * Prosody and ejabberd, seen by a real XMPP client.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Presence } from "@parley/stanza";
import { isMessage, isPresence, type TestClient, XMPP_SERVER_KINDS } from "@parley/testkit";
import { type Bridge, plainRichText, type RemoteUser } from "../src/index.ts";
import { type PresenceSetting, startPresenceSetting } from "./presence-setting.ts";

const bob: RemoteUser = { id: "bob", displayName: "Bob" };
const cy: RemoteUser = { id: "cy", displayName: "Cy" };
const dee: RemoteUser = { id: "dee", displayName: "Dee" };

for (const kind of XMPP_SERVER_KINDS) {
  describe(`a member who speaks while offline, on ${kind}`, () => {
    let setting: PresenceSetting;
    let bridge: Bridge;
    let alice: TestClient;
    let room: string;
    const bobIn = () => `${room}/Bob`;
    const seated = () => setting.seated();

    before(async () => {
      setting = await startPresenceSetting(kind);
      ({ bridge, alice, room } = setting);
    });
    after(() => setting?.stop());

    /** Bob says `text` in the channel; resolves once alice has it from his puppet. */
    async function bobSays(id: string, text: string): Promise<void> {
      const got = alice.waitFor(isMessage((m) => m.from === bobIn() && m.body === text));
      await bridge.connectorHost.message({ channel: "general", id, author: bob, text: plainRichText(text) });
      await got;
    }

    it("keeps the puppet of a member who spoke through an offline that changes nothing", async () => {
      await bridge.connectorHost.memberPresence("general", bob, { status: "offline" });
      await bridge.connectorHost.roomPresence.idle();
      assert.deepEqual(seated(), [], "an offline member is not seated");

      const joined = alice.waitFor(isPresence((p) => p.from === bobIn() && p.type === "available"));
      await bobSays("m1", "frommatrix hello");
      await joined;
      // What a network that keeps him offline says after his message, with and without a channel.
      await bridge.connectorHost.presence(bob, { status: "offline" });
      await bridge.connectorHost.memberPresence("general", bob, { status: "offline" });
      await bridge.connectorHost.roomPresence.idle();
      assert.deepEqual(seated(), ["bob"], "his puppet stays in the room");
      await bobSays("m2", "and again");
      await bridge.connectorHost.presence(bob, { status: "offline" });
      await bridge.connectorHost.roomPresence.idle();
      assert.deepEqual(seated(), ["bob"]);

      // Everything the room said of Bob before his second message reached alice before it: no leave among it.
      const left = await alice
        .waitFor(
          isPresence((p) => p.from === bobIn() && p.type === "unavailable"),
          { timeoutMs: 1 },
        )
        .then(
          () => true,
          () => false,
        );
      assert.equal(left, false, "the puppet never left the room");
    });

    it("takes the puppet out when the member goes online and then offline for real", async () => {
      await bridge.connectorHost.presence(bob, { status: "online" });
      await bridge.connectorHost.roomPresence.idle();
      assert.deepEqual(seated(), ["bob"]);
      const left = alice.waitFor(
        isPresence((p) => p.from === bobIn() && (p.type === "unavailable" || p.show === "xa")),
      );
      await bridge.connectorHost.presence(bob, { status: "offline" });
      const leave = (await left).stanza as Presence;
      assert.equal(leave.type, "unavailable");
      await bridge.connectorHost.roomPresence.idle();
      assert.deepEqual(seated(), []);
    });

    it("keeps a member seated as listed who spoke when the network's first word is offline; one who did not speak leaves", async () => {
      // The three-network relay's Matrix user: listed as the room's member at start, his presence never said, then
      // speaking. (A member seen joining stays whether they spoke or not: engine-offline-joiner.test.ts.)
      const cyIn = alice.waitFor(isPresence((p) => p.from === `${room}/Cy` && p.type === "available"));
      const deeIn = alice.waitFor(isPresence((p) => p.from === `${room}/Dee` && p.type === "available"));
      await bridge.connectorHost.membership("general", cy, "join", { listed: true });
      await bridge.connectorHost.membership("general", dee, "join", { listed: true });
      await cyIn;
      await deeIn;
      const cySaid = alice.waitFor(isMessage((m) => m.from === `${room}/Cy` && m.body === "edit coming"));
      await bridge.connectorHost.message({
        channel: "general",
        id: "m3",
        author: cy,
        text: plainRichText("edit coming"),
      });
      await cySaid;
      const deeLeft = alice.waitFor(isPresence((p) => p.from === `${room}/Dee` && p.type === "unavailable"));
      await bridge.connectorHost.presence(cy, { status: "offline" });
      await bridge.connectorHost.presence(dee, { status: "offline" });
      await deeLeft;
      await bridge.connectorHost.roomPresence.idle();
      assert.deepEqual(seated(), ["cy"]);
      const cyLeft = await alice
        .waitFor(
          isPresence((p) => p.from === `${room}/Cy` && p.type === "unavailable"),
          { timeoutMs: 1 },
        )
        .then(
          () => true,
          () => false,
        );
      assert.equal(cyLeft, false, "Cy's puppet never left the room");
    });
  });
}
