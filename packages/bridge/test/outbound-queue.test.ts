/**
 * The component's outbound queue lets go of what it wrote: a stanza taken off
 * its head is not kept (the slots before the head were kept until the array
 * was cut, up to a thousand written stanzas held for nothing; issue 17).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setImmediate as tick } from "node:timers/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { OutboundQueue, type QueuedItem } from "../src/component/outbound-queue.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Takes the first five stanzas off `q` (in a frame of its own, gone once it returns). */
function takeFive(q: OutboundQueue): WeakRef<QueuedItem>[] {
  const written: WeakRef<QueuedItem>[] = [];
  for (let i = 0; i < 5; i++) {
    const item = q.shift();
    assert.equal(item?.data, `<message id='m${i}'/>`);
    if (item) written.push(new WeakRef(item));
  }
  return written;
}

describe("OutboundQueue", () => {
  it("gives the stanzas in order and keeps none it gave", async () => {
    const q = new OutboundQueue();
    for (let i = 0; i < 10; i++) void q.push(`<message id='m${i}'/>`);
    const written = takeFive(q);
    assert.equal(q.length, 5);
    assert.equal(q.peek()?.data, "<message id='m5'/>");
    // A WeakRef holds its target until the end of the turn that made it.
    await tick();
    gc();
    assert.deepEqual(
      written.map((w) => w.deref() === undefined),
      [true, true, true, true, true],
      "a written stanza is no longer held by the queue",
    );
  });
});
