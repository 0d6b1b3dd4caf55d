/** IQ routing and discovery for the component and its puppets, asked by a real client through real servers. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  buildDiscoInfoRequest,
  buildDiscoItemsRequest,
  buildIq,
  buildPing,
  element,
  NS,
  parseDiscoInfo,
  parseDiscoItems,
  verifyCaps,
} from "@parley/stanza";
import { stanzaId, startXmppServer, TestClient, XMPP_SERVER_KINDS, type XmppServer } from "@parley/testkit";
import { ComponentSession, DiscoResponder, IqRouter, IqTimeoutError } from "../src/internals.ts";

for (const kind of XMPP_SERVER_KINDS) {
  describe(`iq routing and disco on ${kind}`, () => {
    let server: XmppServer;
    let session: ComponentSession;
    let router: IqRouter;
    let disco: DiscoResponder;
    let alice: TestClient;
    const handlerErrors: unknown[] = [];

    before(async () => {
      server = await startXmppServer(kind);
      const c = server.components[0];
      assert.ok(c);
      session = new ComponentSession({
        host: server.host,
        port: server.componentPort,
        domain: c.domain,
        secret: c.secret,
      });
      router = new IqRouter({
        send: (el) => session.send(el),
        onHandlerError: (e) => handlerErrors.push(e),
        requestTimeoutMs: 3000,
      });
      session.on("stanza", (el) => router.dispatch(el));
      disco = new DiscoResponder({
        domain: c.domain,
        gateway: { type: "discord", name: "Discord" },
        puppetFeatures: [NS.reactions, NS.markers],
        items: () => [{ jid: `general@${server.mucDomain}`, name: "#general" }],
        puppetExists: (local) => local !== "nobody",
      });
      disco.install(router);
      router.handle("get", "urn:parley:test", "boom", () => {
        throw new Error("secret internals");
      });
      await session.start();
      const a = server.accounts[0];
      assert.ok(a);
      alice = await TestClient.connect(server, a);
    });
    after(async () => {
      router?.close();
      await alice?.stop();
      await session?.stop();
      await server?.stop();
    });

    it("describes the component as a gateway, and lists its items", async () => {
      const domain = session.options.domain;
      const info = await alice.iq(buildDiscoInfoRequest({ id: stanzaId(), to: domain }));
      assert.equal(info.type, "result");
      const parsed = parseDiscoInfo(info.payload ?? element("x", {}));
      assert.ok(parsed.ok);
      assert.deepEqual(parsed.value.identities, [{ category: "gateway", type: "discord", name: "Discord" }]);
      const items = await alice.iq(buildDiscoItemsRequest({ id: stanzaId(), to: domain }));
      const list = parseDiscoItems(items.payload ?? element("x", {}));
      assert.ok(list.ok);
      assert.deepEqual(list.value.items, [{ jid: `general@${server.mucDomain}`, name: "#general" }]);
    });

    it("describes a puppet with features whose caps hash verifies", async () => {
      const info = await alice.iq(
        buildDiscoInfoRequest({ id: stanzaId(), to: `1234@${session.options.domain}/bridge` }),
      );
      assert.equal(info.type, "result");
      const parsed = parseDiscoInfo(info.payload ?? element("x", {}));
      assert.ok(parsed.ok);
      assert.ok(parsed.value.features.includes(NS.reactions) && parsed.value.features.includes(NS.markers));
      assert.ok(verifyCaps(disco.puppetCaps, parsed.value));
    });

    it("answers pings, refuses unknown puppets and unknown requests, and hides handler failures", async () => {
      const domain = session.options.domain;
      assert.equal((await alice.iq(buildPing({ id: stanzaId(), to: `42@${domain}` }))).type, "result");
      const missing = await alice.iq(buildDiscoInfoRequest({ id: stanzaId(), to: `nobody@${domain}` }));
      assert.equal(missing.error?.condition, "item-not-found");
      const unknown = await alice.iq(
        buildIq({ type: "get", id: stanzaId(), to: domain, payload: element("q", { xmlns: "urn:nobody" }) }),
      );
      assert.equal(unknown.error?.condition, "service-unavailable");
      const boom = await alice.iq(
        buildIq({ type: "get", id: stanzaId(), to: domain, payload: element("boom", { xmlns: "urn:parley:test" }) }),
      );
      assert.equal(boom.error?.condition, "internal-server-error");
      assert.equal(boom.error?.text, undefined, "the handler's message is not sent out");
      assert.equal(handlerErrors.length, 1);
      assert.equal((await alice.iq(buildPing({ id: stanzaId(), to: domain }))).type, "result", "still serving");
    });

    it("sends requests of its own and matches the answers", async () => {
      const answer = await router.request({
        type: "get",
        from: session.options.domain,
        to: server.domain,
        payload: element("query", { xmlns: NS.discoInfo }),
      });
      assert.equal(answer.type, "result");
      const info = parseDiscoInfo(answer.payload ?? element("x", {}));
      assert.ok(info.ok && info.value.identities.some((i) => i.category === "server"));
    });
  });
}

describe("iq router without a server", () => {
  it("times a request out when nothing answers, and answers requests it cannot read", async () => {
    const sent: string[] = [];
    const router = new IqRouter({ send: async (el) => void sent.push(el.toString()) });
    await assert.rejects(
      router.request(
        { type: "get", from: "b.example", to: "x.example", payload: element("q", { xmlns: "urn:silent" }) },
        20,
      ),
      IqTimeoutError,
    );
    // A get with two payloads breaks RFC 6120: it is answered with bad-request, not dropped.
    const bad = element(
      "iq",
      { type: "get", id: "z1", from: "a@x/y", to: "b.example" },
      element("a", { xmlns: "urn:a" }),
      element("b", { xmlns: "urn:b" }),
    );
    assert.equal(router.dispatch(bad), true);
    await new Promise((r) => setTimeout(r, 5));
    assert.match(sent.at(-1) ?? "", /type="error" id="z1".*bad-request/);
    assert.equal(router.dispatch(element("message", {})), false);
  });
});

describe("iq router answers", () => {
  it("accepts an answer only from the entity asked", async () => {
    const router = new IqRouter({ send: async () => undefined });
    const p = router.request(
      { type: "get", from: "b.example", to: "svc.example", payload: element("q", { xmlns: "urn:q" }) },
      200,
    );
    await new Promise((r) => setTimeout(r, 5));
    router.dispatch(element("iq", { type: "result", id: "parley-iq-1", from: "mallory@evil.example" }));
    router.dispatch(element("iq", { type: "result", id: "parley-iq-1", from: "SVC.example" }));
    const answer = await p;
    assert.equal(answer.type, "result");
    assert.equal(answer.from, "SVC.example", "mallory's forged answer was ignored");
  });
});
