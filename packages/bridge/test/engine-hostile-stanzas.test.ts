/**
 * One stanza never closes the link, against real Prosody and ejabberd: an
 * occupant's groupchat nested deeper than xmpp.limits.maxDepth (on ejabberd
 * the report's 300 levels, ~8.4 KB, over the default 256; Prosody itself
 * refuses a client's stanza nested much over 100, so there it is 100 levels
 * over a limit of 64) is dropped on its own, the component does not reconnect, and the next
 * message is relayed; a request over the limits is answered with
 * policy-violation; and across a restart the same message, read back from the
 * room's archive, is skipped once and never read again.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { buildIq, type Element, element, type Message, parseMessage, stanzaIdBy } from "@parley/stanza";
import { isMessage, stanzaId, type TestClient, XMPP_SERVER_KINDS, type XmppServerKind } from "@parley/testkit";
import type { RefApiCall } from "../src/index.ts";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";

/** `depth` unknown elements, each inside the last: the payload that closed the link before. */
function nested(depth: number): Element {
  const root = element("x", { xmlns: "urn:example:hostile:nest" });
  let at = root;
  for (let i = 1; i < depth; i++) {
    const child = element("x", { xmlns: `urn:example:hostile:nest:${i % 10}` });
    at.cnode(child);
    at = child;
  }
  return root;
}

/** Per server: how deep the hostile payload nests, and the bridge's xmpp.limits.maxDepth (undefined: the default). */
const SETTING: Record<XmppServerKind, { depth: number; maxDepth?: number }> = {
  ejabberd: { depth: 300 },
  prosody: { depth: 100, maxDepth: 64 },
};

/** Sends `el` to the room as `client`; resolves with the room's copy (its stanza-id) once the room has it. */
async function sayRaw(client: TestClient, el: Element): Promise<Message> {
  const id = el.attrs.id;
  const back = client.waitFor(isMessage((m) => m.id === id && m.type === "groupchat"));
  await client.send(el);
  const got = await back;
  const parsed = parseMessage(got.element);
  assert.ok(parsed.ok);
  return parsed.value;
}

async function linkDrops(h: Harness): Promise<number> {
  const metric = await h.bridge.metrics.registry.getSingleMetric("parley_xmpp_link_drops_total")?.get();
  return metric?.values[0]?.value ?? 0;
}

for (const kind of XMPP_SERVER_KINDS) {
  describe(`a stanza over the limits on ${kind}`, () => {
    let h: Harness;
    const { depth, maxDepth } = SETTING[kind];
    before(async () => {
      h = await startHarness(kind, maxDepth !== undefined ? { maxDepth } : {});
    });

    /** A groupchat to the room whose body is `body` and that carries `depth` nested elements. */
    const poisoned = (room: string, body: string): Element =>
      element(
        "message",
        { type: "groupchat", to: room, id: stanzaId("deep") },
        element("body", {}, body),
        nested(depth),
      );
    after(async () => {
      await h?.close();
    });

    const posted = (text: string) => (c: RefApiCall) => c.method === "post" && c.args.text === text;

    it("is dropped on its own: the link stays up and the next message is relayed", async () => {
      const el = poisoned(h.room, "deep live");
      if (kind === "ejabberd")
        assert.ok(el.toString().length > 8000, "the payload is the one from the report (~8.4 KB)");
      await sayRaw(h.alice, el);
      await sayRaw(
        h.alice,
        element(
          "message",
          { type: "groupchat", to: h.room, id: stanzaId("n") },
          element("body", {}, "after the deep one"),
        ),
      );
      await apiCall(h, posted("after the deep one"));
      assert.equal(await linkDrops(h), 0, "the component did not reconnect");
      assert.equal(h.bridge.readiness().checks.xmpp, true);
      assert.ok(!h.net.calls.some(posted("deep live")), "the dropped message is not relayed");
    });

    it("answers a request over the limits with policy-violation, and the link stays up", async () => {
      const answer = await h.alice.iq(
        buildIq({ type: "get", id: stanzaId("iq"), to: h.domain, payload: nested(depth) }),
      );
      assert.equal(answer.type, "error");
      assert.equal(answer.error?.condition, "policy-violation");
      // The component still answers ordinary requests.
      const ping = await h.alice.iq(
        buildIq({
          type: "get",
          id: stanzaId("iq"),
          to: h.domain,
          payload: element("ping", { xmlns: "urn:xmpp:ping" }),
        }),
      );
      assert.equal(ping.type, "result");
      assert.equal(await linkDrops(h), 0);
    });

    it("is skipped once when read back from the archive after a restart, and never read again", async () => {
      await h.bridge.stop();
      await sayRaw(
        h.alice,
        element(
          "message",
          { type: "groupchat", to: h.room, id: stanzaId("n") },
          element("body", {}, "said while away"),
        ),
      );
      // The newest message of the archive is the poisoned one: the catch-up must step past it by its archive id.
      const deep = await sayRaw(h.alice, poisoned(h.room, "deep while away"));
      const deepId = stanzaIdBy(deep, h.room);
      assert.ok(deepId, "the room gave the message a stanza-id");
      await h.restartBridge();
      await apiCall(h, posted("said while away"));
      const markKey = `xmpp-seen ${h.room.toLowerCase()}`;
      // The mark moves past the poisoned message once the catch-up is done (written within a second).
      let mark: string | undefined;
      for (let i = 0; i < 100 && !mark?.includes(deepId); i++) {
        await new Promise((r) => setTimeout(r, 100));
        mark = await h.store.getState("engine", markKey);
      }
      assert.match(mark ?? "", new RegExp(deepId.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
      await sayRaw(
        h.alice,
        element(
          "message",
          { type: "groupchat", to: h.room, id: stanzaId("n") },
          element("body", {}, "after the restart"),
        ),
      );
      await apiCall(h, posted("after the restart"));
      assert.equal(await linkDrops(h), 0, "no reconnect while catching up");
      // A second restart reads nothing old again: nothing is relayed twice, and the link stays up.
      const from = h.net.calls.length;
      await h.restartBridge();
      await sayRaw(
        h.alice,
        element(
          "message",
          { type: "groupchat", to: h.room, id: stanzaId("n") },
          element("body", {}, "after the second restart"),
        ),
      );
      await apiCall(h, posted("after the second restart"));
      assert.deepEqual(
        h.net.calls
          .slice(from)
          .filter((c) => c.method === "post")
          .map((c) => c.args.text),
        ["after the second restart"],
      );
      assert.equal(await linkDrops(h), 0);
    });
  });
}
