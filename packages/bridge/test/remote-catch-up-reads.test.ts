import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PermanentError, TransientError } from "../src/delivery/delivery-errors.ts";
import { readPatiently } from "../src/engine/remote-catch-up-reads.ts";
import { silentLogger } from "../src/ops/logger-types.ts";

/** A read that fails with each of `failures` in turn, then answers "page". */
function flaky(failures: Error[]) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    read: async () => {
      const e = failures[calls++];
      if (e) throw e;
      return "page";
    },
  };
}

describe("readPatiently", () => {
  it("waits what a refusal names and reads again", async () => {
    const r = flaky([new TransientError("429", { retryAfterMs: 3000 }), new TransientError("503")]);
    const slept: number[] = [];
    const sleep = async (ms: number) => {
      slept.push(ms);
    };
    const page = await readPatiently(r.read, { stopped: () => false, logger: silentLogger, what: {}, sleep });
    assert.equal(page, "page");
    assert.equal(r.calls, 3);
    // 3 s in slices for the Retry-After, then a pause of its own for the 503 (1 s doubled: the second try failed).
    assert.equal(
      slept.reduce((a, b) => a + b, 0),
      5000,
    );
  });

  it("does not count rate limits as failures, but bounds the time waited for them", async () => {
    const limit = () => new TransientError("429", { retryAfterMs: 60, nothingDone: true });
    const paced = flaky(Array.from({ length: 30 }, limit));
    const o = { stopped: () => false, logger: silentLogger, what: {}, attempts: 4, sleep: async () => {} };
    assert.equal(await readPatiently(paced.read, o), "page");
    assert.equal(paced.calls, 31);
    const endless = flaky(Array.from({ length: 30 }, limit));
    await assert.rejects(readPatiently(endless.read, { ...o, rateLimitWaitMs: 150 }), TransientError);
    assert.equal(endless.calls, 3);
  });

  it("does not read again after a permanent failure", async () => {
    const r = flaky([new PermanentError("403")]);
    await assert.rejects(
      readPatiently(r.read, { stopped: () => false, logger: silentLogger, what: {}, sleep: async () => {} }),
      PermanentError,
    );
    assert.equal(r.calls, 1);
  });

  it("gives up after its attempts, and at once when the catch-up is stopped", async () => {
    const many = flaky(Array.from({ length: 20 }, () => new TransientError("429", { retryAfterMs: 10 })));
    await assert.rejects(
      readPatiently(many.read, {
        stopped: () => false,
        logger: silentLogger,
        what: {},
        attempts: 4,
        sleep: async () => {},
      }),
      TransientError,
    );
    assert.equal(many.calls, 4);
    let stopped = false;
    const stopping = flaky([new TransientError("429", { retryAfterMs: 60_000 }), new TransientError("429")]);
    const sleep = async () => {
      stopped = true;
    };
    await assert.rejects(
      readPatiently(stopping.read, { stopped: () => stopped, logger: silentLogger, what: {}, sleep }),
    );
    assert.equal(stopping.calls, 1);
  });
});
