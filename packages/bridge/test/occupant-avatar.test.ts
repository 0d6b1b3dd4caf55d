/**
 * An occupant's avatar is read from its vCard once per hash: a burst of
 * messages from someone with an avatar costs one vCard request, not one per
 * message, and a vCard without a photo (or no answer) is not asked for again
 * with every message.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Iq, parseXml } from "@parley/stanza";
import type { IqRouter } from "../src/component/iq-router.ts";
import { EngineMediaRelay } from "../src/engine/media-relay.ts";
import type { MediaStore } from "../src/media/index.ts";
import { silentLogger } from "../src/ops/logger-types.ts";

const PNG = Buffer.from("89504e470d0a1a0a", "hex").toString("base64");

function relayAnswering(answer: () => Promise<Iq>): { relay: EngineMediaRelay; asked: () => number } {
  let asked = 0;
  const router = {
    request: async () => {
      asked++;
      return answer();
    },
  } as unknown as IqRouter;
  const store = {
    put: async () => ({ id: "avatar-1" }),
    urlFor: (id: string, base: string) => `${base}/media/${id}`,
  } as unknown as MediaStore;
  const relay = new EngineMediaRelay({
    store,
    publicUrl: () => "http://bridge.test",
    maxBytes: 1 << 20,
    allowPrivateAddresses: true,
    router,
    requesterFor: (room) => `${room}/relay`,
    logger: silentLogger,
  });
  return { relay, asked: () => asked };
}

function vcard(xml: string): Iq {
  const parsed = parseXml(xml);
  if (!parsed.ok) throw new Error(`bad test vCard: ${xml}`);
  return { type: "result", id: "v", payload: parsed.value };
}

describe("occupant avatars", () => {
  it("asks for the vCard once for a burst of messages, which all get the avatar in the order they came", async () => {
    const { promise: answered, resolve: answer } = Promise.withResolvers<Iq>();
    const { relay, asked } = relayAnswering(() => answered);
    const order: number[] = [];
    const lookups = Array.from({ length: 50 }, (_, i) =>
      relay.occupantAvatar("room@muc.test/alice", "hash-1").then((url) => {
        order.push(i);
        return url;
      }),
    );
    answer(vcard(`<vCard xmlns="vcard-temp"><PHOTO><TYPE>image/png</TYPE><BINVAL>${PNG}</BINVAL></PHOTO></vCard>`));
    const urls = await Promise.all(lookups);
    assert.equal(asked(), 1);
    assert.ok(urls.every((u) => u === "http://bridge.test/media/avatar-1"));
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
    );
    assert.equal(await relay.occupantAvatar("room@muc.test/alice", "hash-1"), "http://bridge.test/media/avatar-1");
    assert.equal(asked(), 1);
  });

  it("does not ask again with every message when the vCard has no photo or no answer comes", async () => {
    const empty = relayAnswering(async () => vcard(`<vCard xmlns="vcard-temp"><FN>Alice</FN></vCard>`));
    for (let i = 0; i < 5; i++) assert.equal(await empty.relay.occupantAvatar("room@muc.test/alice", "h"), undefined);
    assert.equal(empty.asked(), 1);
    const silent = relayAnswering(async () => {
      throw new Error("no answer within 5000 ms");
    });
    for (let i = 0; i < 5; i++) assert.equal(await silent.relay.occupantAvatar("room@muc.test/bob", "h2"), undefined);
    assert.equal(silent.asked(), 1);
  });
});
