import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OrderedLines } from "../src/index.ts";

/** A promise with its resolver, to hold a task until the test lets it go. */
function gate(): { readonly promise: Promise<void>; readonly open: () => void } {
  const { promise, resolve } = Promise.withResolvers<void>();
  return { promise, open: () => resolve() };
}

/** A task that writes `name` down. */
function note(list: string[], name: string): () => void {
  return () => {
    list.push(name);
  };
}

function quietLines(max?: number) {
  const errors: Array<{ key: string; error: unknown; what: string | undefined }> = [];
  const overflows: Array<{ key: string; what: string | undefined }> = [];
  const lines = new OrderedLines({
    ...(max !== undefined && { maxPerKey: max }),
    onError: (key, error, what) => errors.push({ key, error, what }),
    onOverflow: (key, what) => overflows.push({ key, what }),
  });
  return { lines, errors, overflows };
}

describe("OrderedLines", () => {
  it("runs a key's tasks one at a time, in the order pushed, even when earlier ones take longer", async () => {
    const { lines } = quietLines();
    const log: string[] = [];
    const slow = gate();
    let running = 0;
    let most = 0;
    const task = (name: string, wait?: Promise<void>) => async () => {
      running++;
      most = Math.max(most, running);
      log.push(`start ${name}`);
      if (wait) await wait;
      log.push(`end ${name}`);
      running--;
    };
    lines.push("room", task("a", slow.promise));
    lines.push("room", task("b"));
    lines.push("room", task("c"));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ["start a"], "b and c wait behind a");
    assert.equal(lines.size, 3);
    slow.open();
    await lines.idle();
    assert.deepEqual(log, ["start a", "end a", "start b", "end b", "start c", "end c"]);
    assert.equal(most, 1);
    assert.equal(lines.size, 0);
    assert.equal(lines.keys, 0, "an empty line is let go");
  });

  it("a task pushed to an idle line starts inside push", () => {
    const { lines } = quietLines();
    let started = false;
    lines.push("room", () => {
      started = true;
    });
    assert.equal(started, true);
  });

  it("keys proceed in parallel: a stuck key does not hold up another", async () => {
    const { lines } = quietLines();
    const stuck = gate();
    const done: string[] = [];
    lines.push("stuck", async () => {
      await stuck.promise;
      done.push("stuck");
    });
    lines.push("stuck", () => {
      done.push("behind stuck");
    });
    assert.equal(await lines.run("other", note(done, "other 1")), true);
    assert.equal(await lines.run("other", note(done, "other 2")), true);
    assert.deepEqual(done, ["other 1", "other 2"]);
    assert.equal(lines.keys, 1, "only the stuck key has work left");
    stuck.open();
    await lines.idle();
    assert.deepEqual(done, ["other 1", "other 2", "stuck", "behind stuck"]);
  });

  it("a key's line holds at most maxPerKey tasks; more are refused and reported, other keys are not affected", async () => {
    const { lines, overflows } = quietLines(2);
    const held = gate();
    const ran: string[] = [];
    assert.equal(
      lines.push("full", async () => {
        await held.promise;
        ran.push("1");
      }),
      true,
    );
    assert.equal(
      lines.push("full", () => {
        ran.push("2");
      }),
      true,
    );
    assert.equal(lines.push("full", note(ran, "3"), "third"), false, "the running task counts toward the bound");
    assert.equal(await lines.run("full", note(ran, "4"), "fourth"), false);
    assert.deepEqual(overflows, [
      { key: "full", what: "third" },
      { key: "full", what: "fourth" },
    ]);
    assert.equal(lines.size, 2);
    assert.equal(lines.push("spare", note(ran, "spare")), true);
    held.open();
    await lines.idle();
    assert.deepEqual(ran, ["spare", "1", "2"]);
    assert.equal(lines.push("full", note(ran, "5")), true, "room again once the line drained");
    await lines.idle();
    assert.deepEqual(ran, ["spare", "1", "2", "5"]);
  });

  it("a task that throws or rejects is reported with its key and label, and its line goes on", async () => {
    const { lines, errors } = quietLines();
    const ran: string[] = [];
    lines.push(
      "room",
      () => {
        throw new Error("sync boom");
      },
      "first",
    );
    lines.push(
      "room",
      async () => {
        await Promise.resolve();
        throw new Error("async boom");
      },
      "second",
    );
    const third = lines.run("room", () => {
      ran.push("third");
    });
    assert.equal(await third, true);
    assert.deepEqual(ran, ["third"]);
    assert.deepEqual(
      errors.map((e) => [e.key, (e.error as Error).message, e.what]),
      [
        ["room", "sync boom", "first"],
        ["room", "async boom", "second"],
      ],
    );
  });

  it("run resolves once its task has run, after the tasks ahead of it", async () => {
    const { lines } = quietLines();
    const held = gate();
    const log: string[] = [];
    lines.push("k", async () => {
      await held.promise;
      log.push("ahead");
    });
    const ran = lines.run("k", () => {
      log.push("mine");
    });
    let settled = false;
    void ran.then(() => {
      settled = true;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, false);
    held.open();
    assert.equal(await ran, true);
    assert.deepEqual(log, ["ahead", "mine"]);
  });

  it("idle waits for what was queued before it was asked, under every key", async () => {
    const { lines } = quietLines();
    const a = gate();
    const b = gate();
    const done: string[] = [];
    lines.push("a", async () => {
      await a.promise;
      done.push("a");
    });
    lines.push("b", async () => {
      await b.promise;
      done.push("b");
    });
    let idle = false;
    const waiting = lines.idle().then(() => {
      idle = true;
    });
    a.open();
    await new Promise((r) => setImmediate(r));
    assert.equal(idle, false, "b is still running");
    b.open();
    await waiting;
    assert.deepEqual(done.sort(), ["a", "b"]);
  });

  it("idle with a bound gives up waiting after it, and the tasks still run", async () => {
    const { lines } = quietLines();
    const stuck = gate();
    const done: string[] = [];
    lines.push("a", async () => {
      await stuck.promise;
      done.push("a");
    });
    const started = Date.now();
    await lines.idle(50);
    assert.ok(Date.now() - started >= 45, "it waited for the bound");
    assert.deepEqual(done, [], "the task was still running");
    stuck.open();
    await lines.idle(10_000);
    assert.deepEqual(done, ["a"], "the bound does not hold up a line that drains sooner");
  });
});
