import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { logFailure } from "../src/delivery/delivery-errors.ts";
import { type LogLine, recordingLogger } from "./recording-logger.ts";

describe("logFailure", () => {
  it("settles a failed promise to undefined and logs what failed, with the error described", async () => {
    const lines: LogLine[] = [];
    const settled = await Promise.reject(new TypeError("disk full"))
      .then(() => "done")
      .catch(logFailure(recordingLogger(lines), "the store failed to close", "warn", { room: "r@muc" }));
    assert.equal(settled, undefined);
    assert.deepEqual(lines, [
      { level: "warn", msg: "the store failed to close", fields: { room: "r@muc", error: "TypeError: disk full" } },
    ]);
  });

  it("logs at the level asked, and nothing when the work succeeds", async () => {
    const lines: LogLine[] = [];
    const log = recordingLogger(lines);
    assert.equal(await Promise.resolve("ok").catch(logFailure(log, "never logged", "info")), "ok");
    await Promise.reject("a string").catch(logFailure(log, "stopped uncleanly", "info"));
    assert.deepEqual(lines, [{ level: "info", msg: "stopped uncleanly", fields: { error: "a string" } }]);
  });
});
