/**
 * `permissions` against real Prosody and ejabberd: a JID the config holds to
 * `relay` is refused when it writes to a remote user (forbidden), and the
 * bridge looks up no remote id for it; a user of the server's own domain may
 * write by default; and everyone's messages in linked rooms are still relayed.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { buildMessage, type Message } from "@parley/stanza";
import { DEFAULT_ACCOUNTS, isMessage, stanzaId, TestClient, XMPP_SERVER_KINDS } from "@parley/testkit";
import type { RefApiCall } from "../src/index.ts";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";

for (const kind of XMPP_SERVER_KINDS) {
  describe(`permissions on ${kind}`, () => {
    let h: Harness;
    let bob: TestClient;
    const looked: string[] = [];
    before(async () => {
      h = await startHarness(kind, {
        extraConfig: `permissions:\n  "${DEFAULT_ACCOUNTS[0].local}@parley.test": relay\n`,
      });
      const lookup = h.connector.lookupUser.bind(h.connector);
      h.connector.lookupUser = async (id: string) => {
        looked.push(id);
        return lookup(id);
      };
      const b = h.server.accounts[1];
      assert.ok(b);
      bob = await TestClient.connect(h.server, b);
    });
    after(async () => {
      await bob?.stop();
      await h?.close();
    });

    /** `client` writes to the puppet JID of remote id `id`; resolves with the error the bridge answers with. */
    async function writeTo(client: TestClient, id: string): Promise<string | undefined> {
      const msgId = stanzaId("dm");
      const answer = client.waitFor(isMessage((m) => m.id === msgId && m.type === "error"));
      await client.send(buildMessage({ type: "chat", to: `${id}@${h.domain}`, id: msgId, body: "hello?" }));
      return ((await answer).stanza as Message).error?.condition;
    }

    it("refuses a DM from someone held to relay, and looks up no remote id for them", async () => {
      assert.ok(h.alice.jid.startsWith("alice@parley.test"), `the harness's alice is ${h.alice.jid}`);
      assert.equal(await writeTo(h.alice, "u77777"), "forbidden");
      assert.deepEqual(looked, [], "no lookup for a stranger");
    });

    it("lets a user of the server's own domain write (the lookup is made for them)", async () => {
      assert.equal(await writeTo(bob, "u88888"), "item-not-found", "no such remote user, but asked");
      assert.deepEqual(looked, ["u88888"]);
    });

    it("still relays what someone held to relay says in a linked room", async () => {
      const id = stanzaId("g");
      await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id, body: "alice in the room" }));
      await apiCall(h, (c: RefApiCall) => c.method === "post" && c.args.text === "alice in the room");
    });
  });
}
