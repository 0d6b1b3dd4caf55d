/** The arrival probe: what it times, what it lets through to the inbox, and how a burst ends. */
import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import { type Element, xml } from "@parley/stanza";
import { ArrivalProbe, BurstIncompleteError, benchBody, parseBenchBody, wallNow } from "../src/bench/index.ts";

const room = "bench@muc.parley.test";
const groupchat = (body: string, from = `${room}/Anna`) =>
  xml("message", { type: "groupchat", from, to: "alice@parley.test/test" }, xml("body", {}, body));

/** A client whose inbox records what reaches it. */
function fakeClient() {
  const passed: string[] = [];
  return {
    passed,
    inbox: {
      push(el: Element) {
        passed.push(el.toString());
      },
    },
  };
}

describe("bench bodies", () => {
  it("carry the tag and sequence number, are as long as a chat line, and parse back", () => {
    const body = benchBody("e2", 4999);
    assert.ok(body.length >= 60, body);
    assert.deepEqual(parseBenchBody(body), { tag: "e2", seq: 4999 });
    assert.deepEqual(parseBenchBody("bench c1 7"), { tag: "c1", seq: 7 });
    assert.equal(parseBenchBody("hello"), undefined);
    assert.equal(parseBenchBody("bench e2 notanumber x"), undefined);
    assert.equal(parseBenchBody("bench e2 12x"), undefined);
  });

  it("wallNow is on the wall clock", () => {
    assert.ok(Math.abs(wallNow() - Date.now()) < 60_000);
  });
});

describe("ArrivalProbe", () => {
  it("times bench messages on its clock and lets everything else through to the inbox", async () => {
    let t = 0;
    const client = fakeClient();
    const probe = new ArrivalProbe({ now: () => t });
    probe.watch(client);
    const run = probe.expect({ tag: "c1", room, count: 2, timeoutMs: 60_000 });
    t = 5;
    run.markSent(0);
    run.markSent(1, 6); // a send time taken elsewhere, e.g. in a network fake's process
    t = 40;
    client.inbox.push(groupchat(benchBody("c1", 1)));
    client.inbox.push(groupchat("an ordinary message"));
    client.inbox.push(groupchat(benchBody("c1", 0), "other@muc.parley.test/Anna")); // same text, other room
    client.inbox.push(groupchat(benchBody("c1", 1))); // a duplicate
    t = 50;
    client.inbox.push(groupchat(benchBody("C1", 0).replace("C1", "c1"), `${room.toUpperCase()}/Anna`));
    const timings = await run.done;
    assert.deepEqual(timings, { sentAt: [5, 6], receivedAt: [50, 40], duplicates: 1 });
    assert.equal(client.passed.length, 2);
    assert.match(client.passed[0] as string, /an ordinary message/);
    assert.match(client.passed[1] as string, /other@muc/);
  });

  it("keeps counting late copies as duplicates after a burst completed, and keeps them from the inbox", async () => {
    const client = fakeClient();
    const probe = new ArrivalProbe();
    probe.watch(client);
    const run = probe.expect({ tag: "b1", room, count: 1, timeoutMs: 60_000 });
    run.markSent(0);
    client.inbox.push(groupchat(benchBody("b1", 0)));
    assert.equal((await run.done).duplicates, 0);
    client.inbox.push(groupchat(benchBody("b1", 0)));
    assert.equal(run.duplicates, 1);
    client.inbox.push(groupchat(benchBody("zz", 0))); // a burst nobody expects
    assert.equal(client.passed.length, 0);
    // A completed tag may be timed again.
    const again = probe.expect({ tag: "b1", room, count: 1, timeoutMs: 60_000 });
    client.inbox.push(groupchat(benchBody("b1", 0)));
    again.markSent(0);
    assert.equal((await again.done).duplicates, 0);
    probe.detach();
  });

  it("drops bench messages reaching a silenced client unread", () => {
    const sender = fakeClient();
    const probe = new ArrivalProbe();
    probe.silence(sender);
    const run = probe.expect({ tag: "c1", room, count: 1, timeoutMs: 60_000 });
    sender.inbox.push(groupchat(benchBody("c1", 0)));
    sender.inbox.push(groupchat("hello"));
    assert.deepEqual(sender.passed.length, 1);
    probe.detach();
    return assert.rejects(run.done, /abandoned/);
  });

  it("gives each inbox its own push back on detach", () => {
    const client = fakeClient();
    const own = client.inbox.push;
    const probe = new ArrivalProbe();
    probe.watch(client);
    probe.silence(client);
    probe.detach();
    assert.equal(client.inbox.push, own);
    client.inbox.push(groupchat(benchBody("c1", 0)));
    assert.equal(client.passed.length, 1, "after detach the inbox gets everything again");
  });

  it("rejects with BurstIncompleteError naming how many arrived, and forgets the burst", async () => {
    mock.timers.enable({ apis: ["setTimeout"] });
    try {
      const client = fakeClient();
      const probe = new ArrivalProbe({ now: () => 0 });
      probe.watch(client);
      const run = probe.expect({ tag: "e1", room, count: 3, timeoutMs: 1000 });
      client.inbox.push(groupchat(benchBody("e1", 2)));
      mock.timers.tick(1000);
      await assert.rejects(run.done, (e: unknown) => {
        assert.ok(e instanceof BurstIncompleteError);
        assert.equal(e.received, 1);
        assert.equal(e.expected, 3);
        assert.match(e.message, /burst e1: 1 of 3 messages/);
        return true;
      });
      client.inbox.push(groupchat(benchBody("e1", 0)));
      assert.equal(client.passed.length, 0, "a late copy of a burst given up on is dropped");
    } finally {
      mock.timers.reset();
    }
  });

  it("refuses a burst of no messages, a bad tag or timeout, and a tag already being timed", () => {
    const probe = new ArrivalProbe();
    assert.throws(() => probe.expect({ tag: "x", room, count: 0, timeoutMs: 1 }), RangeError);
    assert.throws(() => probe.expect({ tag: "x", room, count: 1.5, timeoutMs: 1 }), RangeError);
    assert.throws(() => probe.expect({ tag: "a b", room, count: 1, timeoutMs: 1 }), RangeError);
    assert.throws(() => probe.expect({ tag: "x", room, count: 1, timeoutMs: 0 }), RangeError);
    const run = probe.expect({ tag: "x", room, count: 1, timeoutMs: 60_000 });
    assert.throws(() => probe.expect({ tag: "x", room, count: 1, timeoutMs: 1 }), /already being timed/);
    run.markSent(5); // out of range: ignored
    probe.detach();
    return assert.rejects(run.done, /abandoned/);
  });
});
