/**
 * Contacts where the server grants the bridge no roster privilege (XEP-0356
 * Privileged Entity; both Prosody and ejabberd can, see
 * engine-contacts-privilege.test.ts, and here the bridge is set up without):
 * an XMPP user who writes to a puppet is asked once to take it as a contact
 * (a presence subscription request from the puppet, RFC 6121); once they
 * accept and subscribe back, the puppet is in their roster and its presence
 * follows the remote user. On real Prosody and ejabberd.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { buildIq, buildMessage, buildPresence, childOf, childrenOf, element, type Presence } from "@parley/stanza";
import { isPresence, stanzaId, XMPP_SERVER_KINDS } from "@parley/testkit";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";

const ROSTER = "jabber:iq:roster";

for (const kind of XMPP_SERVER_KINDS) {
  describe(`puppets as contacts on ${kind}`, () => {
    let h: Harness;
    const puppet = () => `u2@${h.domain}`;

    before(async () => {
      const bridge = { domain: "bridge.parley.test", secret: randomBytes(12).toString("hex"), rosterPrivilege: false };
      h = await startHarness(kind, { server: { components: [bridge] } });
    });
    after(async () => {
      await h?.close();
    });

    it("asks a user who writes to a puppet to take it as a contact, once", async () => {
      const asked = h.alice.waitFor(isPresence((p) => p.type === "subscribe" && p.from === puppet()));
      await h.alice.send(buildMessage({ type: "chat", to: puppet(), id: stanzaId("dm"), body: "hello Bob" }));
      await apiCall(h, (c) => c.method === "post" && c.args.dmWith === "u2" && c.args.text === "hello Bob");
      const request = (await asked).stanza as Presence;
      assert.equal(request.nick, "Bob", "the request names the remote user");
      await h.alice.send(buildMessage({ type: "chat", to: puppet(), id: stanzaId("dm"), body: "again" }));
      await apiCall(h, (c) => c.method === "post" && c.args.dmWith === "u2" && c.args.text === "again");
      assert.ok(
        (await h.store.getState("contact-offered", `reference u2 ${h.server.accounts[0]?.jid}`)) !== undefined,
        "the offer is remembered, so it is made once",
      );
    });

    it("puts the puppet in the roster once accepted, with presence that follows the remote user", async () => {
      const online = h.alice.waitFor(
        isPresence((p) => p.type === "available" && (p.from ?? "").startsWith(`${puppet()}/`)),
      );
      await h.alice.send(buildPresence({ type: "subscribed", to: puppet() }));
      await h.alice.send(buildPresence({ type: "subscribe", to: puppet() }));
      await online;
      const roster = await h.alice.iq(
        buildIq({ type: "get", id: stanzaId("roster"), payload: element("query", { xmlns: ROSTER }) }),
      );
      assert.equal(roster.type, "result", roster.error?.condition);
      const query = roster.payload && childOf(roster.payload, "item", ROSTER) ? roster.payload : undefined;
      const item = query ? childrenOf(query, "item", ROSTER).find((i) => i.attrs.jid === puppet()) : undefined;
      assert.ok(item, "the puppet is in alice's roster");
      assert.equal(item.attrs.subscription, "both");

      const busy = h.alice.waitFor(
        isPresence((p) => (p.from ?? "").startsWith(`${puppet()}/`) && p.show === "dnd" && p.status === "busy"),
      );
      h.net.setPresence("u2", "dnd", "busy");
      await busy;
      const gone = h.alice.waitFor(
        isPresence((p) => (p.from ?? "").startsWith(`${puppet()}/`) && p.type === "unavailable"),
      );
      h.net.setPresence("u2", "offline");
      await gone;
    });
  });
}
