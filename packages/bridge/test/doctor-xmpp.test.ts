/**
 * `parley doctor` against real Prosody and ejabberd, set up right and set up
 * wrong in each of the ways an operator gets it wrong: the secret, the
 * component domain, the port, the MUC domain, a room without archive or
 * moderation, a room where the component is not an admin. One server per
 * describe block; each test runs the doctor on a config of its own.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildDiscoInfoRequest, buildMucSetAffiliation } from "@parley/stanza";
import {
  freePort,
  stanzaId,
  startXmppServer,
  TestClient,
  XMPP_SERVER_KINDS,
  type XmppServer,
  type XmppServerKind,
} from "@parley/testkit";
import { openStore } from "../src/store/index.ts";
import { DoctorFolder, type DoctorOutput, doctorConfig, statusOf, xmppSection } from "./doctor-run.ts";

/** alice creates `room` (she owns it) and, when asked, makes the component an admin there. */
async function aliceRoom(alice: TestClient, server: XmppServer, room: string, adminFor?: string): Promise<void> {
  await alice.joinRoom(room, "alice");
  if (adminFor === undefined) return;
  const granted = await alice.iq(
    buildMucSetAffiliation({ room, id: stanzaId("aff"), jid: adminFor, affiliation: "admin" }),
  );
  assert.equal(granted.type, "result", `${server.kind} refused the affiliation: ${granted.error?.condition}`);
}

function component(server: XmppServer): { domain: string; secret: string } {
  const c = server.components[0];
  if (!c) throw new Error("no component");
  return c;
}

/** ejabberd 23.01 has no XEP-0425 at all: there, moderation is a warning in every setup. */
const moderationStatus = (kind: XmppServerKind) => (kind === "prosody" ? "ok" : "warn");

for (const kind of XMPP_SERVER_KINDS) {
  describe(`parley doctor on ${kind}, set up as the bridge needs`, () => {
    let server: XmppServer;
    let alice: TestClient;
    let folder: DoctorFolder;
    let lobby: string;
    let plain: string;
    let stored: string;
    let fresh: string;
    let right: DoctorOutput;

    before(async () => {
      server = await startXmppServer(kind);
      folder = new DoctorFolder();
      const domain = component(server).domain;
      lobby = `lobby@${server.mucDomain}`;
      plain = `plain@${server.mucDomain}`;
      stored = `stored@${server.mucDomain}`;
      fresh = `fresh@${server.mucDomain}`;
      const account = server.accounts[0];
      if (!account) throw new Error("no account");
      alice = await TestClient.connect(server, account);
      await aliceRoom(alice, server, lobby, domain);
      await aliceRoom(alice, server, stored, domain);
      await aliceRoom(alice, server, plain);
      // An admin linked `stored` at runtime: the link is only in the store.
      const store = await openStore(`sqlite:${join(folder.dir, "parley.db")}`);
      await store.putLink({ network: "reference", channel: "stored", room: stored, source: "admin", createdAt: 1 });
      await store.close();
      right = await folder.run(
        doctorConfig(xmppSection(server), folder.dir, [
          { channel: "general", room: lobby },
          { channel: "new", room: fresh },
        ]),
      );
    });
    after(async () => {
      await alice?.stop();
      await server?.stop();
      folder?.remove();
    });

    it("passes: the handshake, the MUC service, and each linked room's archive, moderation and affiliation", () => {
      assert.equal(right.code, 0, right.out);
      assert.match(right.line("component handshake"), /^ok {2}.*accepted/);
      assert.match(right.line(`MUC service ${server.mucDomain}`), /^ok /);
      assert.match(right.line(`room ${lobby}`), /^ok .*exists/);
      assert.match(right.line(`room ${lobby}: archive`), /^ok /);
      assert.equal(statusOf(right.line(`room ${lobby}: moderation`)), moderationStatus(kind));
      assert.match(
        right.line(`room ${lobby}: affiliation of ${component(server).domain}`),
        /^ok {4}.*admin \(read by joining briefly as "Reference bridge" and leaving\)/,
      );
      assert.match(right.out, new RegExp(`says it is ${kind === "prosody" ? "Prosody" : "ejabberd"}`));
    });

    it("checks the rooms linked in the store too", () => {
      assert.match(right.line("store"), /holds 1 link\(s\) of reference, 1 made by admins/);
      assert.match(right.line(`room ${stored}: affiliation of ${component(server).domain}`), /^ok {4}.*admin/);
    });

    it("finds that a missing room may be created, and leaves it missing", async () => {
      assert.match(
        right.line(`room ${fresh}`),
        /^ok .*does not exist yet; the component may create it.*destroyed it again/,
      );
      assert.match(right.line(`room ${fresh}: affiliation of ${component(server).domain}`), /owner/);
      const info = await alice.iq(buildDiscoInfoRequest({ id: stanzaId("info"), to: fresh }));
      assert.equal(info.error?.condition, "item-not-found", "the room the doctor made is gone");
    });

    it(
      kind === "prosody"
        ? "fails a room where the component is not an admin (it could not moderate there)"
        : "warns of a room where the component is not an admin (ejabberd 23.01 has no moderation that would need it)",
      async () => {
        const r = await folder.run(doctorConfig(xmppSection(server), folder.dir, [{ channel: "p", room: plain }]));
        const line = r.line(`room ${plain}: affiliation of ${component(server).domain}`);
        assert.equal(statusOf(line), kind === "prosody" ? "FAIL" : "warn", line);
        assert.match(line, /none .*Fix: as the room's owner, make .* an admin of the room/);
        assert.equal(r.code, kind === "prosody" ? 1 : 0);
      },
    );

    it("fails a wrong secret, and never prints the secret", async () => {
      const wrong = "not-the-secret-4711";
      const r = await folder.run(doctorConfig(xmppSection(server, { secret: wrong }), folder.dir, []));
      assert.equal(r.code, 1);
      const line = r.line("component handshake");
      assert.match(line, /^FAIL .*not-authorized/);
      assert.match(line, kind === "prosody" ? /refused the secret/ : /either xmpp\.secret is not the secret/);
      assert.ok(!r.out.includes(wrong) && !r.err.includes(wrong), "the secret stays out of the output");
      assert.ok(!right.out.includes(component(server).secret), "the right secret too");
      assert.doesNotMatch(r.out, /^(ok|FAIL|warn) +MUC service/m, "nothing after the handshake is checked");
    });

    it(
      kind === "prosody"
        ? "fails a wrong component domain (host-unknown)"
        : "fails a wrong component domain (ejabberd says not-authorized, as for a wrong secret: both causes are named)",
      async () => {
        const r = await folder.run(
          doctorConfig(xmppSection(server, { domain: "elsewhere.parley.test" }), folder.dir, []),
        );
        assert.equal(r.code, 1);
        const line = r.line("component handshake");
        if (kind === "prosody") assert.match(line, /has no component named elsewhere\.parley\.test \(host-unknown\)/);
        else assert.match(line, /or it has no component of that name/);
        assert.match(line, /Fix: .*elsewhere\.parley\.test/);
      },
    );

    it("fails a port where nothing listens, and the client port", async () => {
      const nothing = await freePort();
      const r = await folder.run(doctorConfig(xmppSection(server, { port: nothing }), folder.dir, []));
      assert.equal(r.code, 1);
      assert.match(
        r.line("component handshake"),
        new RegExp(`nothing listens on 127\\.0\\.0\\.1:${nothing}.*component_ports`),
      );
      const c2s = await folder.run(doctorConfig(xmppSection(server, { port: server.c2sPort }), folder.dir, []));
      assert.match(c2s.line("component handshake"), /is the server's client \(c2s\) port, not its component port/);
    });

    it("fails a MUC domain the server does not have, and leaves its rooms unchecked", async () => {
      const r = await folder.run(
        doctorConfig(xmppSection(server, { mucDomain: "rooms.parley.test" }), folder.dir, [
          { channel: "general", room: "lobby@rooms.parley.test" },
        ]),
      );
      assert.equal(r.code, 1);
      assert.match(
        r.line("MUC service rooms.parley.test"),
        /^FAIL .*is not a service of this XMPP server.*Fix: set xmpp\.mucDomain/,
      );
      assert.match(r.out, /room lobby@rooms\.parley\.test not checked/);
    });

    it("fails the server's own domain given as the MUC domain", async () => {
      const r = await folder.run(doctorConfig(xmppSection(server, { mucDomain: server.domain }), folder.dir, []));
      assert.equal(r.code, 1);
      assert.match(r.line(`MUC service ${server.domain}`), /^FAIL .*answers, but as server\/im/);
    });
  });

  describe(`parley doctor on ${kind}, its MUC service without archive${kind === "prosody" ? " nor moderation" : ""}`, () => {
    let server: XmppServer;
    let alice: TestClient;
    let folder: DoctorFolder;
    let result: DoctorOutput;
    let room: string;

    before(async () => {
      server = await startXmppServer(kind, { muc: { archive: false, moderation: false } });
      folder = new DoctorFolder();
      room = `lobby@${server.mucDomain}`;
      const account = server.accounts[0];
      if (!account) throw new Error("no account");
      alice = await TestClient.connect(server, account);
      await aliceRoom(alice, server, room, component(server).domain);
      result = await folder.run(doctorConfig(xmppSection(server), folder.dir, [{ channel: "general", room }]));
    });
    after(async () => {
      await alice?.stop();
      await server?.stop();
      folder?.remove();
    });

    it("fails a room without archive, naming the module", () => {
      assert.equal(result.code, 1);
      const line = result.line(`room ${room}: archive`);
      assert.match(line, /^FAIL .*none \(no XEP-0313/);
      assert.match(line, kind === "prosody" ? /load muc_mam/ : /load mod_mam/);
    });

    it(
      kind === "prosody"
        ? "warns of a room without moderation, naming the module"
        : "warns of a room without moderation (ejabberd 23.01 has none to turn on: upgrade)",
      () => {
        const line = result.line(`room ${room}: moderation`);
        assert.match(line, /^warn .*not supported \(no XEP-0425/);
        assert.match(line, kind === "prosody" ? /muc_moderation/ : /from 23\.04 on/);
      },
    );
  });
}
