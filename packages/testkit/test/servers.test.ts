/**
 * Stanzas built by @parley/stanza go through a real component connection and a
 * real MUC on both servers, and what comes back is parsed by @parley/stanza.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  buildDiscoInfo,
  buildDiscoInfoRequest,
  buildIqResult,
  buildMamQueryIq,
  buildMessage,
  buildPing,
  isPing,
  NS,
  parseDiscoInfo,
  parseMamFin,
  stanzaIdBy,
} from "@parley/stanza";
import {
  isIq,
  isMessage,
  stanzaId,
  startXmppServer,
  TestClient,
  TestComponent,
  XMPP_SERVER_KINDS,
  type XmppServer,
} from "../src/index.ts";

for (const kind of XMPP_SERVER_KINDS) {
  describe(`on ${kind}`, () => {
    let server: XmppServer;
    let bridge: TestComponent;
    let alice: TestClient;
    let failed = false;

    before(async () => {
      server = await startXmppServer(kind);
      bridge = await TestComponent.connect(server);
      const a = server.accounts[0];
      assert.ok(a);
      alice = await TestClient.connect(server, a);
    });

    after(async () => {
      await alice?.stop();
      await bridge?.stop();
      await server?.stop({ keep: failed || undefined });
    });

    const track = (fn: () => Promise<void>) => async () => {
      try {
        await fn();
      } catch (e) {
        failed = true;
        throw e;
      }
    };

    it(
      "delivers a component's message with XEP payloads to a client",
      track(async () => {
        const id = stanzaId("m");
        await bridge.send(
          buildMessage({
            type: "chat",
            id,
            from: `puppet@${bridge.domain}/bridge`,
            to: alice.jid,
            body: "fixed: hello from the bridge 👋",
            replace: { id: "original-1" },
            reply: { id: "earlier-7", to: `someone@${bridge.domain}` },
            oob: [{ url: "https://files.example/cat.png", desc: "a cat" }],
            originId: id,
          }),
        );
        const r = await alice.waitFor(isMessage((m) => m.id === id));
        assert.equal(r.stanza?.kind, "message");
        if (r.stanza?.kind !== "message") return;
        assert.equal(r.stanza.from, `puppet@${bridge.domain}/bridge`);
        assert.equal(r.stanza.body, "fixed: hello from the bridge 👋");
        assert.deepEqual(r.stanza.replace, { id: "original-1" });
        assert.deepEqual(r.stanza.reply, { id: "earlier-7", to: `someone@${bridge.domain}` });
        assert.deepEqual(r.stanza.oob, [{ url: "https://files.example/cat.png", desc: "a cat" }]);
        assert.deepEqual(r.stanza.invalid, []);
      }),
    );

    it(
      "answers a client's ping and disco#info sent to the component",
      track(async () => {
        const pingAnswer = alice.iq(buildPing({ id: stanzaId("ping"), to: bridge.domain }));
        const ping = await bridge.waitFor(isIq((iq) => isPing(iq)));
        assert.ok(ping.stanza?.kind === "iq");
        await bridge.send(buildIqResult(ping.stanza));
        assert.equal((await pingAnswer).type, "result");

        const infoAnswer = alice.iq(buildDiscoInfoRequest({ id: stanzaId("disco"), to: bridge.domain }));
        const req = await bridge.waitFor(isIq((iq) => iq.type === "get" && iq.payload?.attrs.xmlns === NS.discoInfo));
        assert.ok(req.stanza?.kind === "iq");
        await bridge.send(
          buildIqResult(
            req.stanza,
            buildDiscoInfo({
              identities: [{ category: "gateway", type: "discord", name: "Parley test bridge" }],
              features: [NS.discoInfo, NS.muc],
              forms: [],
            }),
          ),
        );
        const answer = await infoAnswer;
        assert.equal(answer.type, "result");
        assert.ok(answer.payload);
        const info = parseDiscoInfo(answer.payload);
        assert.ok(info.ok);
        assert.deepEqual(info.value.identities, [{ category: "gateway", type: "discord", name: "Parley test bridge" }]);
        assert.deepEqual(info.value.features, [NS.discoInfo, NS.muc]);
      }),
    );

    it(
      "relays groupchat both ways between a puppet and a client in a real MUC, with stanza ids and MAM",
      track(async () => {
        const room = `lobby-${stanzaId("r").replace(/[^a-z0-9-]/g, "")}@${server.mucDomain}`;
        const puppet = `discord\\20user@${bridge.domain}/bridge`;
        await bridge.joinRoom(room, "Puppet", { from: puppet });
        const joined = await alice.joinRoom(room, "alice");
        assert.ok(
          joined.occupants.some((p) => p.from === `${room}/Puppet`),
          "alice sees the puppet in the room",
        );

        const id = stanzaId("g");
        await bridge.send(
          buildMessage({ type: "groupchat", id, from: puppet, to: room, body: "from the network", originId: id }),
        );
        const got = await alice.waitFor(isMessage((m) => m.type === "groupchat" && m.body === "from the network"));
        assert.ok(got.stanza?.kind === "message");
        assert.equal(got.stanza.from, `${room}/Puppet`);
        const roomStanzaId = stanzaIdBy(got.stanza, room);
        assert.ok(roomStanzaId, "the room stamps a stanza id");

        const back = stanzaId("g");
        await alice.send(
          buildMessage({
            type: "groupchat",
            id: back,
            to: room,
            body: "from xmpp",
            reply: { id: roomStanzaId, to: `${room}/Puppet` },
          }),
        );
        const echoed = await bridge.waitFor(
          isMessage((m) => m.type === "groupchat" && m.body === "from xmpp" && m.to === puppet),
        );
        assert.ok(echoed.stanza?.kind === "message");
        assert.equal(echoed.stanza.from, `${room}/alice`);
        assert.deepEqual(echoed.stanza.reply, { id: roomStanzaId, to: `${room}/Puppet` });

        await alice.send(
          buildMessage({ type: "groupchat", to: room, reactions: { id: roomStanzaId, emojis: ["👍"] } }),
        );
        const reaction = await bridge.waitFor(isMessage((m) => m.reactions?.id === roomStanzaId));
        assert.ok(reaction.stanza?.kind === "message");
        assert.deepEqual(reaction.stanza.reactions?.emojis, ["👍"]);

        const queryid = stanzaId("q");
        const fin = alice.iq(buildMamQueryIq({ id: stanzaId("mam"), to: room, queryid }), 10_000);
        const first = await alice.waitFor(
          isMessage((m) => m.mamResult?.queryid === queryid),
          { timeoutMs: 10_000 },
        );
        assert.ok(first.stanza?.kind === "message");
        const done = await fin;
        assert.equal(done.type, "result");
        assert.ok(done.payload);
        assert.ok(parseMamFin(done.payload).ok);
        assert.equal(first.stanza.mamResult?.forwarded.message.body, "from the network");
        assert.ok(first.stanza.mamResult?.forwarded.delay?.stamp instanceof Date);
      }),
    );
  });
}
