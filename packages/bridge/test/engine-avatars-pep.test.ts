/**
 * XEP-0084 avatars of puppets: the component answers for each puppet JID as
 * its PEP service, the metadata node naming the image by its SHA-1 (the
 * XEP-0153 hash of the puppet's presence) and the data node carrying it; a
 * puppet without an avatar has empty metadata. On real Prosody and ejabberd,
 * asked by a real XMPP client.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import {
  buildAvatarDataPublish,
  buildAvatarMetadataPublish,
  buildDataForm,
  buildIq,
  buildMessage,
  buildPresence,
  childOf,
  element,
  type Iq,
  NS,
  parseAvatarData,
  parseAvatarMetadata,
} from "@parley/stanza";
import { isPresence, stanzaId, XMPP_SERVER_KINDS } from "@parley/testkit";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";

const picture = randomBytes(400);
const pictureHash = createHash("sha1").update(picture).digest("hex");

/** An items request of one avatar node of `jid`, optionally for one item. */
function itemsRequest(jid: string, node: string, itemId?: string) {
  return buildIq({
    type: "get",
    id: stanzaId("pep"),
    to: jid,
    payload: element(
      "pubsub",
      { xmlns: NS.pubsub },
      element("items", { node }, ...(itemId !== undefined ? [element("item", { id: itemId })] : [])),
    ),
  });
}

/** The payload of the one item of an items result. */
function itemPayload(answer: Iq, node: string) {
  assert.equal(answer.type, "result", answer.error?.condition);
  const items = answer.payload ? childOf(answer.payload, "items", NS.pubsub) : undefined;
  assert.equal(items?.attrs.node, node);
  const item = items ? childOf(items, "item", NS.pubsub) : undefined;
  assert.ok(item, "one item");
  return { id: item.attrs.id as string | undefined, payload: item.getChildElements()[0] };
}

for (const kind of XMPP_SERVER_KINDS) {
  describe(`puppet avatars over XEP-0084 on ${kind}`, () => {
    let h: Harness;
    let files: Server;

    before(async () => {
      files = createServer((req, res) => {
        if (req.url === "/grace.png") res.writeHead(200, { "content-type": "image/png" }).end(picture);
        else res.writeHead(404).end();
      });
      await new Promise<void>((resolve) => files.listen(0, "127.0.0.1", resolve));
      const url = `http://127.0.0.1:${(files.address() as AddressInfo).port}/grace.png`;
      h = await startHarness(kind, { users: [{ id: "u7", name: "Grace", avatarUrl: url }] });
      const seated = h.alice.waitFor(
        isPresence((p) => p.from === `${h.room}/Grace` && p.vcardUpdate?.photo === pictureHash),
      );
      await h.bridge.connectorHost.memberPresence(
        "general",
        { id: "u7", displayName: "Grace", avatarUrl: url },
        { status: "online" },
      );
      await seated;
      await h.bridge.connectorHost.memberPresence("general", { id: "u1", displayName: "Anna" }, { status: "online" });
    });
    after(async () => {
      await h?.close();
      await new Promise((resolve) => files?.close(resolve));
    });

    it("names the image in the metadata node by its SHA-1, the hash of the puppet's presence", async () => {
      const answer = await h.alice.iq(itemsRequest(`u7@${h.domain}`, NS.avatarMetadata));
      const { id, payload } = itemPayload(answer, NS.avatarMetadata);
      assert.equal(id, pictureHash);
      assert.ok(payload);
      const metadata = parseAvatarMetadata(payload);
      assert.ok(metadata.ok);
      assert.deepEqual(metadata.value.infos, [{ id: pictureHash, bytes: picture.length, type: "image/png" }]);
    });

    it("serves the image in the data node, by its item id or without one", async () => {
      for (const itemId of [pictureHash, undefined]) {
        const answer = await h.alice.iq(itemsRequest(`u7@${h.domain}`, NS.avatarData, itemId));
        const { id, payload } = itemPayload(answer, NS.avatarData);
        assert.equal(id, pictureHash);
        assert.ok(payload);
        const data = parseAvatarData(payload);
        assert.ok(data.ok);
        assert.deepEqual(Buffer.from(data.value), picture);
      }
      const stale = await h.alice.iq(itemsRequest(`u7@${h.domain}`, NS.avatarData, "0".repeat(40)));
      assert.equal(stale.type, "error");
      assert.equal(stale.error?.condition, "item-not-found");
    });

    it("gives a puppet without an avatar empty metadata, and an unknown JID item-not-found", async () => {
      const answer = await h.alice.iq(itemsRequest(`u1@${h.domain}`, NS.avatarMetadata));
      const { payload } = itemPayload(answer, NS.avatarMetadata);
      assert.ok(payload);
      const metadata = parseAvatarMetadata(payload);
      assert.ok(metadata.ok);
      assert.deepEqual(metadata.value.infos, []);
      const unknown = await h.alice.iq(itemsRequest(`nobody@${h.domain}`, NS.avatarMetadata));
      assert.equal(unknown.error?.condition, "item-not-found");
    });
  });
}

/** A pubsub publish made readable by anyone (publish-options), as clients publish avatars for rooms to read. */
function openToAll(publish: ReturnType<typeof buildIq>): ReturnType<typeof buildIq> {
  const pubsub = childOf(publish, "pubsub", NS.pubsub);
  pubsub?.cnode(
    element(
      "publish-options",
      {},
      buildDataForm({
        type: "submit",
        fields: [
          { var: "FORM_TYPE", type: "hidden", values: ["http://jabber.org/protocol/pubsub#publish-options"] },
          { var: "pubsub#access_model", values: ["open"] },
        ],
      }),
    ),
  );
  return publish;
}

for (const kind of XMPP_SERVER_KINDS) {
  describe(`XMPP users' XEP-0084 avatars on ${kind}`, () => {
    let h: Harness;

    before(async () => {
      h = await startHarness(kind);
    });
    after(async () => {
      await h?.close();
    });

    it("reads an occupant's XEP-0084 avatar when they have no vCard one, where the room tells who they are", async () => {
      // The room tells every occupant who the others are (alice created it and owns it).
      const configured = await h.alice.iq(
        buildIq({
          type: "set",
          id: stanzaId("cfg"),
          to: h.room,
          payload: element(
            "query",
            { xmlns: "http://jabber.org/protocol/muc#owner" },
            buildDataForm({
              type: "submit",
              fields: [
                { var: "FORM_TYPE", type: "hidden", values: ["http://jabber.org/protocol/muc#roomconfig"] },
                { var: "muc#roomconfig_whois", values: ["anyone"] },
              ],
            }),
          ),
        }),
      );
      assert.equal(configured.type, "result", `configuring the room: ${configured.error?.condition}`);
      const face = randomBytes(300);
      const hash = createHash("sha1").update(face).digest("hex");
      const data = await h.alice.iq(openToAll(buildAvatarDataPublish({ id: stanzaId("av"), hash, bytes: face })));
      assert.equal(data.type, "result", `publishing the avatar data: ${data.error?.condition}`);
      const metadata = await h.alice.iq(
        openToAll(
          buildAvatarMetadataPublish({
            id: stanzaId("av"),
            metadata: { infos: [{ id: hash, bytes: face.length, type: "image/png" }] },
          }),
        ),
      );
      assert.equal(metadata.type, "result", `publishing the avatar metadata: ${metadata.error?.condition}`);
      await h.alice.send(buildPresence({ to: `${h.room}/alice`, vcardUpdate: { photo: hash } }));
      for (let i = 0; i < 200; i++) {
        const alice = h.bridge.relay.occupant(h.room, "alice");
        if (alice?.avatarHash === hash && alice.jid !== undefined) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const seen = h.bridge.relay.occupant(h.room, "alice");
      assert.ok(seen?.jid, "the room told the bridge alice's real JID");
      assert.equal(seen?.avatarHash, hash);

      const text = "my face is on PEP only";
      await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("a"), body: text }));
      const call = await apiCall(h, (c) => c.method === "post" && c.args.text === text);
      const url = String(call.args.avatarUrl ?? "");
      assert.ok(url.startsWith(`${h.bridge.httpUrl}/media/`), `the post carries the avatar's URL: ${url}`);
      const served = await fetch(url);
      assert.equal(served.status, 200);
      assert.deepEqual(Buffer.from(await served.arrayBuffer()), face);
    });
  });
}
