/** The JSON-lines logger: levels, one object per line, and secrets scrubbed wherever they hide. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLogger } from "../src/ops/logger.ts";

const NOW = Date.parse("2024-05-06T07:08:09.010Z");

function capture(options: Parameters<typeof createLogger>[0] = {}) {
  const lines: string[] = [];
  const logger = createLogger({ now: () => NOW, ...options, write: (l) => lines.push(l) });
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines, records };
}

describe("createLogger", () => {
  it("writes one JSON object per line: time, level, msg, then fields", () => {
    const { logger, lines, records } = capture({ base: { app: "parley" } });
    logger.info("bridge started", { links: 2, http: "http://127.0.0.1:8787" });
    logger.warn("line\nbreak");
    assert.equal(lines.length, 2);
    for (const l of lines) assert.ok(!l.includes("\n"));
    assert.deepEqual(Object.keys(records()[0] ?? {}), ["time", "level", "msg", "app", "links", "http"]);
    assert.deepEqual(records()[0], {
      time: "2024-05-06T07:08:09.010Z",
      level: "info",
      msg: "bridge started",
      app: "parley",
      links: 2,
      http: "http://127.0.0.1:8787",
    });
    assert.equal(records()[1]?.msg, "line\nbreak");
  });

  it("drops lines below the level (info by default)", () => {
    const dflt = capture();
    dflt.logger.debug("hidden");
    dflt.logger.info("shown");
    assert.deepEqual(
      dflt.records().map((r) => r.msg),
      ["shown"],
    );
    const warn = capture({ level: "warn" });
    warn.logger.debug("a");
    warn.logger.info("b");
    warn.logger.warn("c");
    warn.logger.error("d");
    assert.deepEqual(
      warn.records().map((r) => [r.level, r.msg]),
      [
        ["warn", "c"],
        ["error", "d"],
      ],
    );
    const debug = capture({ level: "debug" });
    debug.logger.child({ part: "x" }).debug("e");
    assert.equal(debug.records()[0]?.level, "debug");
  });

  it("children add their fields and share level and secrets", () => {
    const { logger, records } = capture({ level: "warn", base: { app: "parley" } });
    const child = logger.child({ part: "delivery" }).child({ room: "r@muc" });
    child.info("not shown");
    logger.addSecret("late-secret-value");
    child.error("failed with late-secret-value", { attempt: 3 });
    assert.deepEqual(records(), [
      {
        time: "2024-05-06T07:08:09.010Z",
        level: "error",
        msg: "failed with [redacted]",
        app: "parley",
        part: "delivery",
        room: "r@muc",
        attempt: 3,
      },
    ]);
  });

  it("redacts registered secrets in msg and in every nested value, key and error", () => {
    const secret = "xoxb-123-abcdef";
    const { logger, lines } = capture({ secrets: [secret, "pw", ""] });
    const cause = new Error(`inner ${secret}`);
    const error = new Error(`request to https://api?token=${secret} failed`, { cause });
    logger.error(`auth ${secret}`, {
      error,
      nested: { list: [`a${secret}b`, { deeper: new Map([["k", secret]]) }], [secret]: 1 },
      set: new Set([secret]),
      big: 10n,
    });
    const line = lines[0] ?? "";
    assert.ok(!line.includes(secret), line);
    assert.ok(!line.includes("pw"), "short secrets are scrubbed too");
    const r = JSON.parse(line);
    assert.equal(r.msg, "auth [redacted]");
    assert.equal(r.error.name, "Error");
    assert.equal(r.error.message, "request to https://api?token=[redacted] failed");
    assert.match(r.error.stack, /^Error: request to https:\/\/api\?token=\[redacted\] failed\n\s+at /);
    assert.equal(r.error.cause.message, "inner [redacted]");
    assert.deepEqual(r.nested.list, ["a[redacted]b", { deeper: { k: "[redacted]" } }]);
    assert.equal(r.nested["[redacted]"], 1);
    assert.deepEqual(r.set, ["[redacted]"]);
    assert.equal(r.big, "10");
  });

  it("replaces the longest secret first when one contains another", () => {
    const { logger, records } = capture({ secrets: ["abc", "abcdef"] });
    logger.info("abcdef abc");
    assert.equal(records()[0]?.msg, "[redacted] [redacted]");
  });

  it("redacts credential-named fields whatever their value, at any depth", () => {
    const { logger, records } = capture();
    logger.info("request", {
      token: "t",
      headers: { Authorization: "Bearer x", "X-Api-Token": { a: 1 }, accept: "json" },
      db: { password: 12345 },
      clientSecret: null,
      botToken: ["a"],
    });
    const r = records()[0];
    assert.equal(r?.token, "[redacted]");
    assert.deepEqual(r?.headers, { Authorization: "[redacted]", "X-Api-Token": "[redacted]", accept: "json" });
    assert.deepEqual(r?.db, { password: "[redacted]" });
    assert.equal(r?.clientSecret, "[redacted]");
    assert.equal(r?.botToken, "[redacted]");
  });

  it("survives cycles, BigInt, throwing getters, odd numbers and reserved field names", () => {
    const { logger, records } = capture();
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    const shared = { n: 1 };
    const hostile = {
      get boom(): never {
        throw new Error("getter");
      },
    };
    assert.doesNotThrow(() =>
      logger.info("odd", {
        cyclic,
        twice: [shared, shared],
        big: 2n ** 70n,
        hostile,
        nan: Number.NaN,
        fn: function namedFn() {},
        bytes: new Uint8Array(1000),
        when: new Date(NOW),
        msg: "not the message",
        level: "not the level",
      }),
    );
    const r = records()[0];
    assert.deepEqual(r?.cyclic, { name: "loop", self: "[circular]" });
    assert.deepEqual(r?.twice, [{ n: 1 }, { n: 1 }], "an object seen twice is not a cycle");
    assert.equal(r?.big, "1180591620717411303424");
    assert.equal(r?.hostile, "[unserializable]");
    assert.equal(r?.nan, "NaN");
    assert.equal(r?.fn, "[function namedFn]");
    assert.equal(r?.bytes, "[1000 bytes]");
    assert.equal(r?.when, "2024-05-06T07:08:09.010Z");
    assert.equal(r?.msg, "odd");
    assert.equal(r?.level, "info");
    assert.equal(r?.["field.msg"], "not the message");
    assert.equal(r?.["field.level"], "not the level");
  });

  it("bounds deep nesting and ignores a sink that throws", () => {
    const { logger, records } = capture();
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 50; i++) deep = { deep };
    logger.info("deep", { deep });
    assert.match(JSON.stringify(records()[0]), /\[too deep\]/);
    const broken = createLogger({
      write: () => {
        throw new Error("disk full");
      },
    });
    assert.doesNotThrow(() => broken.error("still fine"));
  });

  it("writes to stdout by default with a trailing newline", (t) => {
    const written: string[] = [];
    t.mock.method(process.stdout, "write", (chunk: string) => {
      written.push(chunk);
      return true;
    });
    createLogger({ secrets: ["hunter2"] }).info("password is hunter2");
    t.mock.restoreAll();
    assert.equal(written.length, 1);
    assert.ok(written[0]?.endsWith("}\n"));
    assert.equal(JSON.parse(written[0] ?? "").msg, "password is [redacted]");
  });
});
