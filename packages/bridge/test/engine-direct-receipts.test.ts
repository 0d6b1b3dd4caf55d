/**
 * XEP-0184 delivery receipts on the direct messages an XMPP user sends to a
 * puppet: answered from the puppet once the network has the message (every
 * part of it), never on a permanent failure (the sender gets the error
 * instead) nor while the delivery is still retried, once per message, and
 * not in groupchat; puppets advertise the feature where the network carries
 * direct messages. On real Prosody, with the reference network.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { buildIq, buildMessage, element, type Message, NS, parseDiscoInfo } from "@parley/stanza";
import { isMessage, stanzaId } from "@parley/testkit";
import {
  type ChannelLimits,
  type ConnectorCapabilities,
  type DirectRequest,
  ReferenceConnector,
  type ReferenceNetwork,
  TransientError,
  toMarkdown,
} from "../src/index.ts";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";

/**
 * The reference connector with direct messages of at most 40 characters of
 * Markdown, which fail (transiently) while `down`: all of them, or the parts
 * after the first of a message.
 */
class OutageConnector extends ReferenceConnector {
  down: "all" | "later parts" | undefined;
  failed = 0;
  private onFailure: (() => void) | undefined;

  directLimits(): ChannelLimits {
    return { maxTextLength: 40, textLength: (t) => toMarkdown(t).length };
  }

  override async sendDirect(o: DirectRequest): Promise<{ channel: string; id: string }> {
    if (this.down === "all" || (this.down === "later parts" && o.partOf !== undefined)) {
      this.failed++;
      this.onFailure?.();
      throw new TransientError("the network is down");
    }
    return super.sendDirect(o);
  }

  /** Resolves once `n` direct messages failed in all. */
  failures(n: number): Promise<void> {
    if (this.failed >= n) return Promise.resolve();
    return new Promise((resolve) => {
      this.onFailure = () => {
        if (this.failed < n) return;
        this.onFailure = undefined;
        resolve();
      };
    });
  }
}

/** The reference connector on a network set up without direct messages. */
class NoDirectConnector extends ReferenceConnector {
  override readonly capabilities: ConnectorCapabilities = {
    replies: true,
    attachments: true,
    threads: true,
    presence: true,
    directMessages: false,
  };
}

describe("delivery receipts on direct messages to puppets, on prosody", () => {
  let h: Harness;
  let net: ReferenceNetwork;
  const puppet = () => `u2@${h.domain}`;
  const connector = () => h.connector as OutageConnector;

  before(async () => {
    // Retries in milliseconds, and many of them: the outage ends when the test says so.
    h = await startHarness("prosody", {
      connector: (n) => new OutageConnector(n),
      delivery: { maxAttempts: 100_000, baseDelayMs: 1, maxDelayMs: 20 },
    });
    net = h.net;
  });
  after(async () => {
    await h?.close();
  });

  const onNetwork = (text: string) => [...net.messages.values()].filter((m) => m.text === text).length;
  const receiptFor = (id: string) => isMessage((m: Message) => m.receipt?.id === id);
  const dm = (id: string, body: string, extra: Partial<Parameters<typeof buildMessage>[0]> = {}) =>
    h.alice.send(buildMessage({ type: "chat", to: puppet(), id, body, receiptRequest: true, ...extra }));

  /**
   * The puppet's disco#info, as alice sees it. Also a sentinel: its answer
   * comes after everything the bridge sent alice before answering it, so a
   * receipt not in alice's inbox by then was not sent.
   */
  async function puppetFeatures(): Promise<string[]> {
    const answer = await h.alice.iq(
      buildIq({ type: "get", id: stanzaId("disco"), to: puppet(), payload: element("query", { xmlns: NS.discoInfo }) }),
    );
    assert.equal(answer.type, "result");
    const info = parseDiscoInfo(answer.payload ?? element("x", {}));
    assert.ok(info.ok);
    return [...info.value.features];
  }

  /** Whether alice has (one more) receipt for `id` by now. */
  async function hasReceipt(id: string): Promise<boolean> {
    await puppetFeatures();
    return h.alice.waitFor(receiptFor(id), { timeoutMs: 1 }).then(
      () => true,
      () => false,
    );
  }

  it("answers a request once the network has the message, once, from the puppet to the sender", async () => {
    const id = stanzaId("dm-receipt");
    const receipt = h.alice.waitFor(receiptFor(id), { timeoutMs: 15_000 });
    await dm(id, "did you get this?");
    const got = (await receipt).stanza as Message;
    assert.ok(
      [...net.messages.values()].some((m) => m.text === "did you get this?"),
      "the network had it before the receipt",
    );
    assert.equal(got.from?.split("/")[0], puppet(), "from the puppet");
    assert.equal(got.to, h.alice.jid, "to the full JID that sent it");
    assert.equal(got.type, "chat");
    assert.equal(await hasReceipt(id), false, "one receipt only");
  });

  it("answers a correction with a request once the network took the edit", async () => {
    const id = stanzaId("dm-edited");
    const first = h.alice.waitFor(receiptFor(id), { timeoutMs: 15_000 });
    await dm(id, "teh typo", { originId: id });
    await first;
    const fix = stanzaId("dm-fix");
    const receipt = h.alice.waitFor(receiptFor(fix), { timeoutMs: 15_000 });
    await dm(fix, "the typo", { replace: { id } });
    await receipt;
    assert.ok(
      net.calls.some((c) => c.method === "edit" && c.args.text === "the typo"),
      "the network had the edit before the receipt",
    );
  });

  it("sends no receipt for a message the network refuses for good, but the error", async () => {
    net.failNext(1, 403, undefined, "post");
    const id = stanzaId("dm-refused");
    const error = h.alice.waitFor(
      isMessage((m: Message) => m.type === "error" && m.id === id),
      { timeoutMs: 15_000 },
    );
    await dm(id, "this one is refused");
    const bounced = (await error).stanza as Message;
    assert.equal(bounced.error?.condition, "recipient-unavailable");
    // The next message of the conversation goes through, and only it is answered.
    const next = stanzaId("dm-after-refused");
    const receipt = h.alice.waitFor(receiptFor(next), { timeoutMs: 15_000 });
    await dm(next, "and this one is taken");
    await receipt;
    assert.equal(await hasReceipt(id), false, "none for the refused message");
  });

  it("while the network is down, answers only once the message finally went through", async () => {
    const c = connector();
    c.down = "all";
    const id = stanzaId("dm-outage");
    try {
      await dm(id, "sent during the outage");
      await c.failures(c.failed + 3);
      assert.equal(await hasReceipt(id), false, "no receipt while it is retried");
    } finally {
      c.down = undefined; // the outage ends, whatever happened: the tests after it use the same conversation
    }
    await h.alice.waitFor(receiptFor(id), { timeoutMs: 15_000 });
    assert.equal(onNetwork("sent during the outage"), 1);
    assert.equal(await hasReceipt(id), false, "one receipt, for all the tries");
  });

  it("answers a message sent in parts once the network has every part", async () => {
    const c = connector();
    c.down = "later parts";
    const id = stanzaId("dm-parts");
    const texts = ["the first part of it is here", "the second part of it is here", "and the third part"];
    try {
      await dm(id, texts.join("\n\n"));
      await c.failures(c.failed + 3);
      assert.equal(onNetwork(texts[0] ?? ""), 1, "the first part went through");
      assert.equal(await hasReceipt(id), false, "no receipt while a part is missing");
    } finally {
      c.down = undefined;
    }
    await h.alice.waitFor(receiptFor(id), { timeoutMs: 15_000 });
    assert.deepEqual(
      texts.map((t) => onNetwork(t)),
      [1, 1, 1],
      "every part, once",
    );
    assert.equal(await hasReceipt(id), false, "one receipt for all the parts");
  });

  it("answers the request of a direct message, not that of a groupchat message", async () => {
    const inRoom = stanzaId("room-receipt");
    await h.alice.send(
      buildMessage({ type: "groupchat", to: h.room, id: inRoom, body: "said in the room", receiptRequest: true }),
    );
    await apiCall(h, (c) => c.method === "post" && c.args.text === "said in the room");
    const direct = stanzaId("dm-after-room");
    const receipt = h.alice.waitFor(receiptFor(direct), { timeoutMs: 15_000 });
    await dm(direct, "said in private");
    await receipt;
    assert.equal(await hasReceipt(inRoom), false, "none for the room message");
  });

  it("advertises receipts on puppets where the network carries direct messages, and only there", async () => {
    assert.ok((await puppetFeatures()).includes(NS.receipts));
    await h.restartBridge(new NoDirectConnector(net));
    assert.ok(!(await puppetFeatures()).includes(NS.receipts));
  });
});
