import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PermanentError, silentLogger, TransientError } from "@parley/bridge";
import { MatrixError } from "matrix-js-sdk";
import { callHomeserver, MatrixForbiddenError, retryAfterMsOf, toDeliveryError } from "../src/matrix-errors.ts";

const limited = (ms?: number) =>
  new MatrixError(
    { errcode: "M_LIMIT_EXCEEDED", error: "Too Many Requests", ...(ms !== undefined && { retry_after_ms: ms }) },
    429,
  );

describe("homeserver failures", () => {
  test("classified for delivery: rate limit and 5xx transient, M_FORBIDDEN and other 4xx permanent, network transient", () => {
    const rl = toDeliveryError(limited(1500), "sending");
    assert.ok(rl instanceof TransientError);
    assert.equal(rl.retryAfterMs, 1500);
    assert.ok(toDeliveryError(new MatrixError({ errcode: "M_UNKNOWN" }, 502), "x") instanceof TransientError);
    const forbidden = toDeliveryError(new MatrixError({ errcode: "M_FORBIDDEN", error: "no" }, 403), "x");
    assert.ok(forbidden instanceof MatrixForbiddenError && forbidden instanceof PermanentError);
    assert.ok(toDeliveryError(new MatrixError({ errcode: "M_BAD_JSON" }, 400), "x") instanceof PermanentError);
    assert.ok(toDeliveryError(new TypeError("fetch failed"), "x") instanceof TransientError);
  });

  test("messages never carry URLs (which hold user IDs and could hold tokens)", () => {
    const e = toDeliveryError(new Error("failed http://hs/_matrix/x?access_token=secret"), "x");
    assert.ok(!e.message.includes("secret"));
  });

  test("retry_after_ms from the body, else Retry-After seconds", () => {
    assert.equal(retryAfterMsOf(limited(250)), 250);
    const headers = new Headers({ "retry-after": "2" });
    assert.equal(
      retryAfterMsOf(new MatrixError({ errcode: "M_LIMIT_EXCEEDED" }, 429, undefined, undefined, headers)),
      2000,
    );
  });

  test("a rate limit is not waited out here: it goes to the delivery queue with the wait asked, and a warning", async () => {
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (m: string) => void warnings.push(m), child: () => logger };
    let calls = 0;
    await assert.rejects(
      callHomeserver(
        "sending",
        async () => {
          calls++;
          throw limited(1500);
        },
        logger,
      ),
      (e: unknown) => e instanceof TransientError && e.retryAfterMs === 1500,
    );
    assert.equal(calls, 1);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? "", /M_LIMIT_EXCEEDED/);
  });

  test("a rate limit asking for minutes is handed over as asked, not capped", async () => {
    await assert.rejects(
      callHomeserver("x", () => Promise.reject(limited(120_000)), silentLogger),
      (e: unknown) => e instanceof TransientError && e.retryAfterMs === 120_000,
    );
  });
});
