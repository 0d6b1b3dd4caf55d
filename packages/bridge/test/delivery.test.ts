/** The delivery queue: order per lane, retries, idempotency, dead letters, backpressure, shutdown. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DeliveryClosedError,
  isTransientFailure,
  PermanentError,
  TransientError,
} from "../src/delivery/delivery-errors.ts";
import { MemoryDeliveryLedger } from "../src/delivery/delivery-ledger.ts";
import { type DeliveryJob, DeliveryQueue, type DeliveryQueueOptions } from "../src/delivery/delivery-queue.ts";
import { type LogLine, recordingLogger } from "./recording-logger.ts";

/** A promise resolved from outside. */
function gate<T = void>() {
  return Promise.withResolvers<T>();
}

/** Lets every pending microtask and immediate run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A queue whose retries wait for nothing, recording the delays asked for. */
function queueWith(o: DeliveryQueueOptions = {}): { queue: DeliveryQueue; delays: number[] } {
  const delays: number[] = [];
  const queue = new DeliveryQueue({
    sleep: async (ms) => {
      delays.push(ms);
    },
    random: () => 0.5,
    ...o,
  });
  return { queue, delays };
}

function job<R>(key: string, lane: string, run: (attempt: number) => Promise<R>, payload?: string): DeliveryJob<R> {
  return { key, lane, describe: `test ${key}`, run, ...(payload !== undefined && { payload }) };
}

describe("delivery queue", () => {
  it("delivers a job and reports it, never running it inside enqueue()", async () => {
    const results: unknown[] = [];
    const depths: number[] = [];
    const { queue } = queueWith({ onResult: (r) => results.push(r), onDepth: (n) => depths.push(n), now: () => 1000 });
    let ran = false;
    const p = queue.enqueue(
      job("k1", "room", async (attempt) => {
        ran = true;
        return `posted on attempt ${attempt}`;
      }),
    );
    assert.equal(ran, false, "run() must not be called synchronously from enqueue()");
    assert.equal(queue.depth, 1);
    assert.deepEqual(await p, { status: "delivered", result: "posted on attempt 1", attempts: 1 });
    assert.equal(queue.depth, 0);
    assert.deepEqual(results, [{ key: "k1", lane: "room", ok: true, attempts: 1, ms: 0 }]);
    assert.deepEqual(depths, [1, 0]);
  });

  it("keeps enqueue order within a lane while the head retries", async () => {
    const { queue, delays } = queueWith();
    const calls: string[] = [];
    let failuresLeft = 2;
    const outcomes = [
      queue.enqueue(
        job("a1", "a", async (attempt) => {
          calls.push(`a1#${attempt}`);
          if (failuresLeft-- > 0) throw new TransientError("502 from upstream");
          return "a1";
        }),
      ),
      queue.enqueue(
        job("a2", "a", async () => {
          calls.push("a2");
          return "a2";
        }),
      ),
      queue.enqueue(
        job("b1", "b", async () => {
          calls.push("b1");
          return "b1";
        }),
      ),
      queue.enqueue(
        job("a3", "a", async () => {
          calls.push("a3");
          return "a3";
        }),
      ),
    ];
    const done = await Promise.all(outcomes);
    assert.deepEqual(
      done.map((o) => (o.status === "delivered" ? o.attempts : o.status)),
      [3, 1, 1, 1],
    );
    assert.deepEqual(
      calls.filter((c) => c.startsWith("a")),
      ["a1#1", "a1#2", "a1#3", "a2", "a3"],
    );
    assert.equal(delays.length, 2, "one backoff per transient failure");
  });

  it("runs different lanes concurrently, up to `concurrency`", async () => {
    const { queue } = queueWith({ concurrency: 2 });
    const started: string[] = [];
    const gates = new Map([
      ["a", gate()],
      ["b", gate()],
    ]);
    const blocking = (lane: string) =>
      job(`${lane}1`, lane, async () => {
        started.push(lane);
        await gates.get(lane)?.promise;
        return lane;
      });
    const pa = queue.enqueue(blocking("a"));
    const pb = queue.enqueue(blocking("b"));
    const pc = queue.enqueue(
      job("c1", "c", async () => {
        started.push("c");
        return "c";
      }),
    );
    await settle();
    assert.deepEqual(started, ["a", "b"], "lane b runs while lane a is busy; lane c waits for a slot");
    gates.get("b")?.resolve();
    assert.equal((await pb).status, "delivered");
    assert.equal((await pc).status, "delivered");
    assert.deepEqual(started, ["a", "b", "c"]);
    gates.get("a")?.resolve();
    assert.equal((await pa).status, "delivered");
  });

  it("gives a sleeping lane's slot to other lanes", async () => {
    const wake = gate();
    const asked: number[] = [];
    const queue = new DeliveryQueue({
      concurrency: 1,
      random: () => 0,
      sleep: (ms) => {
        asked.push(ms);
        return wake.promise;
      },
    });
    let aTries = 0;
    const pa = queue.enqueue(
      job("a1", "a", async () => {
        if (++aTries === 1) throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
        return "a";
      }),
    );
    const pb = queue.enqueue(job("b1", "b", async () => "b"));
    assert.deepEqual(await pb, { status: "delivered", result: "b", attempts: 1 });
    assert.equal(aTries, 1, "lane a is still waiting to retry");
    wake.resolve();
    assert.deepEqual(await pa, { status: "delivered", result: "a", attempts: 2 });
    assert.deepEqual(asked, [0]);
  });

  it("returns the same outcome for a key already pending, without running it twice", async () => {
    const { queue } = queueWith();
    const release = gate();
    let runs = 0;
    const j = job("same", "room", async () => {
      runs++;
      await release.promise;
      return "id-1";
    });
    const first = queue.enqueue(j);
    const second = queue.enqueue({ ...j, lane: "other-lane" });
    assert.equal(first, second);
    assert.equal(queue.depth, 1);
    release.resolve();
    assert.deepEqual(await second, { status: "delivered", result: "id-1", attempts: 1 });
    assert.equal(runs, 1);
  });

  it("skips keys the ledger has seen delivered, across a restart", async () => {
    const ledger = new MemoryDeliveryLedger();
    const before = new DeliveryQueue({ ledger });
    await before.enqueue(job("msg:1", "room", async () => "remote-1"));
    await before.enqueue(job("msg:2", "room", async () => ({ id: 7 })));
    await before.enqueue(job("msg:3", "room", async () => undefined));
    before.close();
    assert.equal(await before.drain(), true);

    const after = new DeliveryQueue({ ledger });
    let runs = 0;
    const again = async () => {
      runs++;
      return "posted twice!";
    };
    assert.deepEqual(await after.enqueue(job("msg:1", "room", again)), { status: "duplicate", result: "remote-1" });
    assert.deepEqual(await after.enqueue(job("msg:2", "room", again)), { status: "duplicate", result: '{"id":7}' });
    assert.deepEqual(await after.enqueue(job("msg:3", "room", again)), { status: "duplicate" });
    assert.equal(runs, 0);
    assert.deepEqual(await after.enqueue(job("msg:4", "room", again)), {
      status: "delivered",
      result: "posted twice!",
      attempts: 1,
    });
    assert.equal(runs, 1);
  });

  it("with retryForMs, outlives an outage by time: keeps retrying past maxAttempts until that long has passed", async () => {
    let clock = 0;
    const { queue } = queueWith({ maxAttempts: 3, retryForMs: 60_000, now: () => clock });
    let runs = 0;
    // Thirty failures in a row, each a second apart: more than maxAttempts, less than retryForMs.
    const outcome = await queue.enqueue(
      job("k-outage", "room-1", async () => {
        runs++;
        clock += 1000;
        if (runs <= 30) throw new TransientError("502 Bad Gateway");
        return "posted";
      }),
    );
    assert.deepEqual(outcome, { status: "delivered", result: "posted", attempts: 31 });

    // And gives up once the time is spent and maxAttempts tries were made.
    let more = 0;
    const dead = await queue.enqueue(
      job("k-outage-long", "room-1", async () => {
        more++;
        clock += 20_000;
        throw new TransientError("502 Bad Gateway");
      }),
    );
    assert.equal(dead.status, "dead");
    assert.equal(more, 3, "three tries, the last one 60 s after the first");
  });

  it("dead-letters after maxAttempts: logs without the payload, calls back, records, moves on", async () => {
    const lines: LogLine[] = [];
    const ledger = new MemoryDeliveryLedger();
    const dead: unknown[] = [];
    const results: Array<{ ok: boolean; attempts: number }> = [];
    const { queue, delays } = queueWith({
      maxAttempts: 3,
      ledger,
      logger: recordingLogger(lines),
      onDeadLetter: (d) => dead.push(d),
      onResult: (r) => results.push({ ok: r.ok, attempts: r.attempts }),
      now: () => 42,
    });
    let runs = 0;
    const boom = new TransientError("503 Service Unavailable");
    const outcome = await queue.enqueue(
      job(
        "k-dead",
        "room-1",
        async () => {
          runs++;
          throw boom;
        },
        '{"text":"secret words"}',
      ),
    );
    assert.deepEqual(outcome, { status: "dead", error: boom, attempts: 3 });
    assert.equal(runs, 3);
    assert.equal(delays.length, 2);
    const errors = lines.filter((l) => l.level === "error");
    assert.equal(errors.length, 1);
    assert.deepEqual(errors[0]?.fields, {
      part: "delivery",
      key: "k-dead",
      lane: "room-1",
      describe: "test k-dead",
      attempts: 3,
      error: "TransientError: 503 Service Unavailable",
    });
    assert.ok(!JSON.stringify(lines).includes("secret words"), "the payload is never logged");
    assert.deepEqual(dead, [{ key: "k-dead", lane: "room-1", describe: "test k-dead", error: boom, attempts: 3 }]);
    assert.deepEqual(ledger.deadLetters(), [
      {
        key: "k-dead",
        lane: "room-1",
        payload: '{"text":"secret words"}',
        error: "TransientError: 503 Service Unavailable",
        attempts: 3,
        at: 42,
      },
    ]);
    assert.deepEqual(results, [{ ok: false, attempts: 3 }]);
    assert.equal(await ledger.deliveredResult("k-dead"), undefined, "a dead job is not marked delivered");
    // The lane goes on.
    assert.equal((await queue.enqueue(job("k-next", "room-1", async () => "ok"))).status, "delivered");
  });

  it("does not retry permanent failures, thrown non-errors or synchronous throws", async () => {
    const { queue, delays } = queueWith();
    const forbidden = new PermanentError("403 Missing Permissions");
    assert.deepEqual(
      await queue.enqueue(
        job("p1", "r", async () => {
          throw forbidden;
        }),
      ),
      { status: "dead", error: forbidden, attempts: 1 },
    );
    assert.deepEqual(await queue.enqueue(job("p2", "r", () => Promise.reject("just a string"))), {
      status: "dead",
      error: "just a string",
      attempts: 1,
    });
    assert.deepEqual(await queue.enqueue(job("p3", "r", () => Promise.reject(undefined))), {
      status: "dead",
      error: undefined,
      attempts: 1,
    });
    const syncThrow: DeliveryJob<string> = {
      key: "p4",
      lane: "r",
      describe: "throws before returning a promise",
      run: () => {
        throw new RangeError("bad input");
      },
    };
    const o = await queue.enqueue(syncThrow);
    assert.equal(o.status, "dead");
    assert.ok(o.status === "dead" && o.error instanceof RangeError);
    assert.deepEqual(delays, []);
  });

  it("retries a 5xx/429 status object and follows the backoff, honoring a longer Retry-After", async () => {
    const { queue, delays } = queueWith({ baseDelayMs: 100, maxDelayMs: 500, random: () => 0.999_999 });
    let n = 0;
    const o = await queue.enqueue(
      job("r1", "room", async () => {
        n++;
        if (n <= 4) throw { status: 503 };
        if (n === 5) throw new TransientError("429 Too Many Requests", { retryAfterMs: 7000 });
        return "finally";
      }),
    );
    assert.deepEqual(o, { status: "delivered", result: "finally", attempts: 6 });
    // Full jitter with random ~1: the cap doubles (100, 200, 400) then stays at maxDelayMs; Retry-After wins when larger.
    assert.deepEqual(delays, [99, 199, 399, 499, 7000]);
  });

  it("keeps the jittered delay when it is longer than Retry-After", async () => {
    const { queue, delays } = queueWith({ baseDelayMs: 1000, random: () => 0.5 });
    let n = 0;
    await queue.enqueue(
      job("r2", "room", async () => {
        if (n++ === 0) throw new TransientError("rate limited", { retryAfterMs: 10 });
        return "ok";
      }),
    );
    assert.deepEqual(delays, [500]);
  });

  it("runs a job past its bounds while the queue is full of jobs and its lanes busy with jobs that wait on it", async () => {
    // A room's catch-up holds the network's messages to the room until it has read the room's archive, and reads
    // on only as it relays what it read: the relaying must not wait behind those messages for room in the queue.
    const { queue } = queueWith({ maxPending: 2, concurrency: 1 });
    const archiveRead = gate();
    const started: string[] = [];
    const held = ["x1", "x2"].map((key) =>
      queue.enqueue(
        job(key, "xmpp:room", async () => {
          started.push(key);
          await archiveRead.promise;
        }),
      ),
    );
    const other = queue.enqueue(job("other", "remote:elsewhere", async () => void started.push("other")));
    await settle();
    assert.deepEqual(started, ["x1"]);
    assert.equal(queue.hasRoom, false);
    for (let i = 1; i <= 3; i++) {
      const relayed = await queue.enqueue({
        ...job(`c${i}`, "remote:channel", async () => void started.push(`c${i}`)),
        pastBounds: true,
      });
      assert.equal(relayed.status, "delivered");
    }
    assert.deepEqual(started, ["x1", "c1", "c2", "c3"], "neither the full queue nor the busy slot held them up");
    archiveRead.resolve();
    await Promise.all([...held, other]);
    assert.deepEqual(started, ["x1", "c1", "c2", "c3", "x2", "other"]);
  });

  it("makes enqueue wait at maxPending and resumes in order when room frees", async () => {
    const { queue } = queueWith({ maxPending: 2 });
    const started: string[] = [];
    const gates = [gate(), gate()];
    const p1 = queue.enqueue(
      job("j1", "a", async () => {
        started.push("j1");
        await gates[0]?.promise;
      }),
    );
    const p2 = queue.enqueue(
      job("j2", "b", async () => {
        started.push("j2");
        await gates[1]?.promise;
      }),
    );
    const p3 = queue.enqueue(
      job("j3", "c", async () => {
        started.push("j3");
      }),
    );
    const p4 = queue.enqueue(
      job("j4", "a", async () => {
        started.push("j4");
      }),
    );
    let roomed = false;
    const room = queue.waitForRoom().then(() => {
      roomed = true;
    });
    await settle();
    assert.deepEqual(started, ["j1", "j2"]);
    assert.equal(queue.depth, 4);
    assert.equal(queue.waiting, 2);
    assert.equal(queue.hasRoom, false);
    assert.equal(roomed, false);
    gates[0]?.resolve();
    await p1;
    await p3;
    await settle();
    assert.deepEqual(started, ["j1", "j2", "j3", "j4"]);
    await p4;
    assert.equal(queue.waiting, 0);
    await room;
    assert.equal(roomed, true);
    gates[1]?.resolve();
    await p2;
    assert.equal(queue.depth, 0);
  });

  it("drains on shutdown: close refuses new jobs, running ones finish", async () => {
    const { queue } = queueWith();
    const release = gate();
    let finished = false;
    const running = queue.enqueue(
      job("slow", "room", async () => {
        await release.promise;
        finished = true;
        return "done";
      }),
    );
    const queued = queue.enqueue(job("after", "room", async () => "second"));
    queue.close();
    await assert.rejects(queue.enqueue(job("late", "room", async () => "x")), DeliveryClosedError);
    assert.equal(await queue.drain(10), false, "drain times out while a job hangs");
    release.resolve();
    assert.equal(await queue.drain(), true);
    assert.equal(finished, true);
    assert.equal((await running).status, "delivered");
    assert.deepEqual(await queued, { status: "delivered", result: "second", attempts: 1 });
  });

  it("rejects a malformed job with a TypeError", async () => {
    const { queue } = queueWith();
    const bad = { key: "", lane: "room", describe: "x", run: async () => 1 };
    await assert.rejects(queue.enqueue(bad), TypeError);
    const noRun = { key: "k", lane: "room", describe: "x" } as unknown as DeliveryJob;
    await assert.rejects(queue.enqueue(noRun), TypeError);
    assert.equal(queue.depth, 0);
  });

  it("waits out a failing ledger instead of risking a duplicate", async () => {
    const inner = new MemoryDeliveryLedger();
    let lookups = 0;
    const flaky = {
      deliveredResult: async (key: string) => {
        if (++lookups === 1) throw new Error("SQLITE_BUSY");
        return inner.deliveredResult(key);
      },
      markDelivered: (key: string, result?: string) => inner.markDelivered(key, result),
      addDeadLetter: () => Promise.reject(new Error("disk full")),
    };
    const lines: LogLine[] = [];
    const { queue, delays } = queueWith({ ledger: flaky, logger: recordingLogger(lines) });
    let runs = 0;
    const o = await queue.enqueue(
      job("k", "room", async () => {
        runs++;
        return "x";
      }),
    );
    assert.deepEqual(o, { status: "delivered", result: "x", attempts: 2 });
    assert.equal(runs, 1);
    assert.equal(delays.length, 1);
    assert.equal(await inner.deliveredResult("k"), "x");
    // A dead letter the ledger cannot store is still reported, and logged.
    const dead = await queue.enqueue(job("k2", "room", () => Promise.reject(new PermanentError("gone"))));
    assert.equal(dead.status, "dead");
    assert.ok(lines.some((l) => l.level === "error" && l.msg.includes("could not be recorded")));
  });

  it("keeps going when callbacks throw", async () => {
    const { queue } = queueWith({
      onDepth: () => {
        throw new Error("metrics broke");
      },
      onResult: () => {
        throw new Error("metrics broke");
      },
      onDeadLetter: () => {
        throw new Error("metrics broke");
      },
    });
    assert.equal((await queue.enqueue(job("a", "r", async () => 1))).status, "delivered");
    assert.equal((await queue.enqueue(job("b", "r", () => Promise.reject(new PermanentError("no"))))).status, "dead");
    assert.equal(queue.depth, 0);
  });
});

describe("isTransientFailure", () => {
  it("retries network failures, timeouts, 429 and 5xx; nothing else", () => {
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    assert.equal(isTransientFailure(new TransientError("x")), true);
    assert.equal(isTransientFailure(reset), true);
    assert.equal(isTransientFailure(new TypeError("fetch failed", { cause: reset })), true);
    assert.equal(isTransientFailure(new TypeError("fetch failed")), true);
    assert.equal(isTransientFailure(new Error("wrapped", { cause: { statusCode: 502 } })), true);
    assert.equal(isTransientFailure({ status: 429 }), true);
    assert.equal(isTransientFailure(new DOMException("timed out", "TimeoutError")), true);
    assert.equal(isTransientFailure({ status: 404 }), false);
    assert.equal(isTransientFailure(new PermanentError("403", { cause: reset })), false);
    assert.equal(isTransientFailure(new TypeError("x is not a function")), false);
    assert.equal(isTransientFailure("ECONNRESET"), false);
    assert.equal(isTransientFailure(null), false);
    const cyclic: { cause?: unknown } = {};
    cyclic.cause = cyclic;
    assert.equal(isTransientFailure(cyclic), false);
    const hostile = Object.defineProperty({}, "code", {
      get() {
        throw new Error("nope");
      },
    });
    assert.equal(isTransientFailure(hostile), false);
  });
});
