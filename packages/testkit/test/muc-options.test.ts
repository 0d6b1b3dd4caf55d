/**
 * The `muc` server option: by default a room advertises its archive (XEP-0313)
 * and, on Prosody, message moderation (XEP-0425); turned off, the room lacks
 * them, as on a server an operator set up without them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildDiscoInfoRequest, NS, parseDiscoInfo } from "@parley/stanza";
import {
  stanzaId,
  startXmppServer,
  TestClient,
  XMPP_SERVER_KINDS,
  type XmppServer,
  type XmppServerOptions,
} from "../src/index.ts";

/** The features a fresh room on `server` advertises to its creator. */
async function roomFeatures(kind: XmppServer["kind"], options: XmppServerOptions): Promise<readonly string[]> {
  const server = await startXmppServer(kind, { ...options, accounts: [{ local: "alice", password: "alice-pw" }] });
  try {
    const account = server.accounts[0];
    assert.ok(account);
    const alice = await TestClient.connect(server, account);
    try {
      const room = `features@${server.mucDomain}`;
      await alice.joinRoom(room, "alice");
      const answer = await alice.iq(buildDiscoInfoRequest({ id: stanzaId("disco"), to: room }));
      assert.ok(answer.payload, `the room answered disco#info with ${answer.type}`);
      const info = parseDiscoInfo(answer.payload);
      assert.ok(info.ok, "disco#info parses");
      return info.value.features;
    } finally {
      await alice.stop();
    }
  } finally {
    await server.stop();
  }
}

for (const kind of XMPP_SERVER_KINDS) {
  describe(`muc option on ${kind}`, () => {
    it("rooms have an archive, and on prosody moderation, by default", async () => {
      const features = await roomFeatures(kind, {});
      assert.ok(features.includes(NS.mam), `archive advertised: ${features.join(" ")}`);
      if (kind === "prosody") assert.ok(features.includes(NS.moderationLegacy), "moderation advertised");
    });

    it("leaves out the archive and moderation when asked", async () => {
      const features = await roomFeatures(kind, { muc: { archive: false, moderation: false } });
      assert.ok(!features.includes(NS.mam), `no archive: ${features.join(" ")}`);
      assert.ok(!features.includes(NS.moderationLegacy) && !features.includes(NS.moderation), "no moderation");
    });
  });
}
