/**
 * A direct message too long for one message of the network (a connector's
 * `directLimits`), end to end on a real Prosody with a real XMPP client: the
 * engine sends it in parts, one `sendDirect` each, and corrections,
 * reactions and retractions treat the parts as the one message.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { buildMessage } from "@parley/stanza";
import { type ChannelLimits, type DirectRequest, ReferenceConnector, toMarkdown } from "../src/index.ts";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";

/** The reference network, with direct messages of at most 20 characters of Markdown (channel posts unlimited). */
class ShortDirects extends ReferenceConnector {
  readonly requests: DirectRequest[] = [];
  directLimits(): ChannelLimits {
    return { maxTextLength: 20, textLength: (t) => toMarkdown(t).length };
  }
  override async sendDirect(o: DirectRequest): Promise<{ channel: string; id: string }> {
    this.requests.push(o);
    return super.sendDirect(o);
  }
}

describe("a long direct message in parts on prosody", () => {
  let h: Harness;
  let connector: ShortDirects;
  /** The network's messages of Alice's DM, in order. */
  let parts: string[];
  const id = "dm-parts-1";

  before(async () => {
    h = await startHarness("prosody", {
      connector: (net) => {
        connector = new ShortDirects(net);
        return connector;
      },
    });
  });
  after(async () => {
    await h?.close();
  });

  const puppet = () => `u2@${h.domain}`;
  const textsOf = (ids: readonly string[]) => ids.map((x) => h.net.messages.get(x)?.text);
  const byText = (text: string) =>
    [...h.net.messages.values()].find((m) => m.text === text && m.bridgeSender?.name === "alice")?.id ?? "";

  it("sends a direct message too long for one as parts, in order, each with a key of its own", async () => {
    await h.alice.send(
      buildMessage({
        type: "chat",
        to: puppet(),
        id,
        originId: id,
        body: "part one is here\n\npart two is here\n\npart three",
      }),
    );
    await apiCall(h, (c) => c.method === "post" && c.args.text === "part three");
    parts = ["part one is here", "part two is here", "part three"].map(byText);
    assert.deepEqual(textsOf(parts), ["part one is here", "part two is here", "part three"]);
    const keys = connector.requests.map((r) => r.key);
    assert.equal(keys.length, 3);
    assert.equal(new Set(keys).size, 3);
    assert.equal(keys[1], `${keys[0]}#2`);
    assert.equal(connector.requests[0]?.partOf, undefined);
    assert.deepEqual(connector.requests[2]?.partOf, { channel: "dm-u2", id: parts[0] });
  });

  it("puts a reaction on the first part", async () => {
    await h.alice.send(buildMessage({ type: "chat", to: puppet(), id: "dm-r", reactions: { id, emojis: ["👍"] } }));
    const call = await apiCall(h, (c) => c.method === "react" && c.args.emoji === "👍");
    assert.equal(call.args.id, parts[0]);
  });

  it("edits every part of a correction and sends the parts a longer text needs", async () => {
    await h.alice.send(
      buildMessage({
        type: "chat",
        to: puppet(),
        id: "dm-c1",
        body: "part one was fixed\n\npart two was fixed\n\npart three fixed\n\nand a fourth",
        replace: { id },
      }),
    );
    await apiCall(h, (c) => c.method === "post" && c.args.text === "and a fourth");
    parts.push(byText("and a fourth"));
    assert.deepEqual(textsOf(parts), ["part one was fixed", "part two was fixed", "part three fixed", "and a fourth"]);
  });

  it("deletes the parts a shorter correction leaves over", async () => {
    await h.alice.send(
      buildMessage({ type: "chat", to: puppet(), id: "dm-c2", body: "all in one now", replace: { id } }),
    );
    await apiCall(h, (c) => c.method === "delete" && c.args.id === parts[3]);
    assert.deepEqual(textsOf(parts.slice(0, 1)), ["all in one now"]);
    for (const gone of parts.slice(1)) assert.equal(h.net.messages.get(gone)?.deleted, true);
    parts = parts.slice(0, 1);
  });

  it("deletes every part of a retracted direct message", async () => {
    await h.alice.send(
      buildMessage({
        type: "chat",
        to: puppet(),
        id: "dm-c3",
        body: "one two three four five six\n\nseven eight nine",
        replace: { id },
      }),
    );
    await apiCall(h, (c) => c.method === "post" && c.args.text === "seven eight nine");
    const all = [parts[0] as string, byText("five six"), byText("seven eight nine")];
    assert.deepEqual(textsOf(all), ["one two three four", "five six", "seven eight nine"]);
    await h.alice.send(buildMessage({ type: "chat", to: puppet(), id: "dm-x", retract: { id } }));
    await apiCall(h, (c) => c.method === "delete" && c.args.id === all[2]);
    for (const gone of all) assert.equal(h.net.messages.get(gone)?.deleted, true);
  });
});
