/**
 * A capability is the presence of its method, unless the connector declares
 * it off: `supports` on its own, then through the engine with the reference
 * connector on real Prosody, where a connector that has `edit` but declares
 * `edits: false` is never asked to edit.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { buildIq, buildMessage, element, type Message, NS, parseDiscoInfo, stanzaIdBy } from "@parley/stanza";
import { isMessage, stanzaId } from "@parley/testkit";
import { supports } from "../src/connector/supports.ts";
import { puppetFeatures } from "../src/engine/puppet-features.ts";
import type { Connector, ConnectorCapabilities } from "../src/index.ts";
import { ReferenceConnector } from "../src/index.ts";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";

/** The declared part only: the features without a method of their own. */
const DECLARED: ConnectorCapabilities = { replies: true, attachments: true, threads: true, presence: true };

function connectorWith(capabilities: ConnectorCapabilities, methods: Partial<Connector>): Connector {
  return {
    network: "test",
    displayName: "Test",
    capabilities,
    start: async () => undefined,
    stop: async () => undefined,
    send: async () => ({ id: "1" }),
    ...methods,
  };
}

describe("supports", () => {
  const edit = async () => undefined;

  it("a feature is there when the connector has its method and declares nothing about it", () => {
    assert.equal(supports(connectorWith(DECLARED, { edit }), "edits"), true);
    assert.equal(supports(connectorWith(DECLARED, { read: async () => undefined }), "receipts"), true);
  });

  it("a feature declared off is off although the method is there", () => {
    assert.equal(supports(connectorWith({ ...DECLARED, edits: false }, { edit }), "edits"), false);
  });

  it("a feature whose method is missing is off, even when declared on", () => {
    assert.equal(supports(connectorWith({ ...DECLARED, edits: true }, {}), "edits"), false);
    assert.equal(supports(connectorWith(DECLARED, { edit }), "deletes"), false);
  });

  it("the reference connector, which declares none of them and has every method, supports every feature", () => {
    const c = new ReferenceConnector(undefined as never);
    for (const f of ["edits", "deletes", "reactions", "typing", "directMessages", "occupants", "receipts"] as const)
      assert.equal(supports(c, f), true, f);
  });
});

describe("puppetFeatures", () => {
  const noop = async () => undefined;

  it("advertises each action on a puppet only where the network takes it", () => {
    const bare = puppetFeatures(connectorWith({ ...DECLARED, replies: false, attachments: false }, {}));
    assert.deepEqual(bare, []);
    const full = puppetFeatures(
      connectorWith(DECLARED, {
        edit: noop,
        delete: noop,
        react: noop,
        typing: noop,
        sendDirect: async () => ({ channel: "dm", id: "1" }),
      }),
    );
    assert.deepEqual(
      [...full].sort(),
      [NS.correction, NS.retract, NS.reactions, NS.chatStates, NS.reply, NS.oob, NS.receipts].sort(),
    );
  });

  it("leaves out what the connector declares off although it has the method", () => {
    const f = puppetFeatures(
      connectorWith({ ...DECLARED, edits: false, reactions: false }, { edit: noop, react: noop }),
    );
    assert.ok(!f.includes(NS.correction) && !f.includes(NS.reactions));
    assert.ok(f.includes(NS.reply) && f.includes(NS.oob));
  });
});

/** The reference connector with `edit` and everything else, declaring edits off and the rest left to its methods. */
class NoEditsConnector extends ReferenceConnector {
  override readonly capabilities: ConnectorCapabilities = { ...DECLARED, edits: false };
}

describe("a connector that has edit but declares edits off, on prosody", () => {
  let h: Harness;

  before(async () => {
    h = await startHarness("prosody");
    await h.restartBridge(new NoEditsConnector(h.net));
  });
  after(async () => {
    await h?.close();
  });

  it("is never asked to edit; the features left to its methods are used", async () => {
    const id = stanzaId("a");
    const reflected = h.alice.waitFor(isMessage((m) => m.id === id && m.body === "first words"));
    await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id, body: "first words" }));
    await apiCall(h, (c) => c.method === "post" && c.args.text === "first words");
    const posted = [...h.net.messages.values()].find((m) => m.text === "first words");
    assert.ok(posted);
    const sid = stanzaIdBy((await reflected).stanza as Message, h.room);
    assert.ok(sid);
    await h.alice.send(
      buildMessage({ type: "groupchat", to: h.room, id: stanzaId("b"), body: "better words", replace: { id } }),
    );
    // The room's next message goes out behind the correction, in the room's order and the channel's delivery lane.
    await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("c"), body: "next words" }));
    await apiCall(h, (c) => c.method === "post" && c.args.text === "next words");
    assert.deepEqual(
      h.net.calls.filter((c) => c.method === "edit").map((c) => c.args),
      [],
      "no edit reached the network",
    );
    assert.equal(posted.text, "first words");
    // Deletions are not declared: the connector's delete method stands for them.
    await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("d"), retract: { id: sid } }));
    const deleted = await apiCall(h, (c) => c.method === "delete");
    assert.equal(deleted.args.id, posted.id);
  });

  it("its puppets do not offer corrections to XMPP clients, and offer what the network takes", async () => {
    const spoken = h.alice.waitFor(isMessage((m) => m.body === "anna is here"));
    h.net.post("u1", "general", "anna is here");
    await spoken;
    const answer = await h.alice.iq(
      buildIq({
        type: "get",
        id: stanzaId("disco"),
        to: `u1@${h.domain}`,
        payload: element("query", { xmlns: NS.discoInfo }),
      }),
    );
    assert.equal(answer.type, "result");
    const info = parseDiscoInfo(answer.payload ?? element("x", {}));
    assert.ok(info.ok);
    const features = info.value.features;
    assert.ok(!features.includes(NS.correction), "no correction");
    for (const f of [NS.retract, NS.reactions, NS.reply, NS.receipts]) assert.ok(features.includes(f), f);
  });
});
