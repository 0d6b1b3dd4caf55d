/** Puppets as occupants of real MUC rooms on Prosody and ejabberd, watched by a real client. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { buildMucKick, parsePresence } from "@parley/stanza";
import { isPresence, stanzaId, startXmppServer, TestClient, XMPP_SERVER_KINDS, type XmppServer } from "@parley/testkit";
import { ComponentSession, DiscoResponder, IqRouter, MucOccupancy, nickSuffix } from "../src/internals.ts";

for (const kind of XMPP_SERVER_KINDS) {
  describe(`puppet occupancy on ${kind}`, () => {
    let server: XmppServer;
    let session: ComponentSession;
    let rooms: MucOccupancy;
    let alice: TestClient;
    const removed: string[] = [];
    let room: string;

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
      const router = new IqRouter({ send: (el) => session.send(el) });
      const disco = new DiscoResponder({ domain: c.domain, gateway: { type: "discord", name: "Discord" } });
      disco.install(router);
      rooms = new MucOccupancy({
        domain: c.domain,
        send: (el) => session.send(el),
        caps: disco.puppetCaps,
        onRemoved: (_r, local, why) => removed.push(`${local} ${why}`),
      });
      session.on("stanza", (el) => router.dispatch(el) || rooms.dispatch(el));
      await session.start();
      const a = server.accounts[0];
      assert.ok(a);
      alice = await TestClient.connect(server, a);
      room = `general-${Date.now()}@${server.mucDomain}`;
      await alice.joinRoom(room, "Anna");
    });
    after(async () => {
      await alice?.stop();
      await session?.stop();
      await server?.stop();
    });

    it("joins with the remote nick, advertising nick, avatar hash and caps", async () => {
      const seen = alice.waitFor(isPresence((p) => p.from === `${room}/Bob`));
      const nick = await rooms.join({ local: "111", nick: "Bob", avatarHash: "" }, room);
      assert.equal(nick, "Bob");
      const p = (await seen).stanza;
      assert.ok(p?.kind === "presence");
      assert.deepEqual(p.vcardUpdate, { photo: "" });
      assert.equal(p.caps?.hash, "sha-1");
      assert.equal(rooms.nickIn(room, "111"), "Bob");
    });

    it("gives a stable suffix when the nick is taken, and sanitizes nicks", async () => {
      const nick = await rooms.join({ local: "222", nick: "Anna" }, room);
      assert.equal(nick, `Anna [${nickSuffix("222")}]`);
      const odd = await rooms.join({ local: "333", nick: "  Zoë\u0007\nthe  great " }, room);
      assert.equal(odd, "Zoë the great");
    });

    it("follows a nick change and leaves", async () => {
      const gone = alice.waitFor(isPresence((p) => p.from === `${room}/Bob` && p.type === "unavailable"));
      const arrived = alice.waitFor(isPresence((p) => p.from === `${room}/Robert` && p.type === "available"));
      assert.equal(await rooms.changeNick({ local: "111", nick: "Robert" }, room), "Robert");
      await gone;
      await arrived;
      const left = alice.waitFor(isPresence((p) => p.from === `${room}/Robert` && p.type === "unavailable"));
      await rooms.leave("111", room);
      await left;
      assert.equal(rooms.nickIn(room, "111"), undefined);
    });

    it("shares a join already under way instead of racing it", async () => {
      const [a, b] = await Promise.all([
        rooms.join({ local: "444", nick: "Dana" }, room),
        rooms.join({ local: "444", nick: "Dana" }, room),
      ]);
      assert.equal(a, "Dana");
      assert.equal(b, "Dana");
      assert.deepEqual(rooms.localsIn(room).includes("444"), true);
      await rooms.leave("444", room);
    });

    it("notices when a moderator kicks a puppet", async () => {
      const answer = await alice.iq(
        buildMucKick({ room, id: stanzaId("kick"), nick: "Zoë the great", reason: "spam" }),
      );
      assert.equal(answer.type, "result", answer.error?.condition);
      for (let i = 0; i < 50 && removed.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(removed, ["333 kicked"]);
      assert.equal(rooms.nickIn(room, "333"), undefined);
      assert.ok(parsePresence);
    });
  });
}
