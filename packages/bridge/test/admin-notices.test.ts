/** Admin notices: once per cause, every occurrence logged, memory bounded. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AdminNotices } from "../src/connector/admin-notices.ts";
import { type Logger, silentLogger } from "../src/ops/logger-types.ts";

function recorder() {
  const sent: string[] = [];
  const logged: Array<{ message: string; fields: Record<string, unknown> | undefined }> = [];
  const logger: Logger = {
    ...silentLogger,
    warn: (message, fields) => void logged.push({ message, fields }),
    child: () => logger,
  };
  return { sent, logged, logger };
}

describe("AdminNotices", () => {
  it("tells the admins once per cause and logs every occurrence's first line", async () => {
    const r = recorder();
    const notices = new AdminNotices({ notify: async (t) => void r.sent.push(t), logger: r.logger });
    await notices.notice("c1 Send Messages", "The bot lacks Send Messages.\nGrant it.");
    await notices.notice("c1 Send Messages", "The bot lacks Send Messages.\nGrant it.");
    await notices.notice("c2 Send Messages", "The bot lacks Send Messages in c2.", { channel: "c2" });
    assert.deepEqual(r.sent, ["The bot lacks Send Messages.\nGrant it.", "The bot lacks Send Messages in c2."]);
    assert.deepEqual(
      r.logged.map((l) => l.message),
      ["The bot lacks Send Messages.", "The bot lacks Send Messages.", "The bot lacks Send Messages in c2."],
    );
    assert.equal(r.logged[1]?.fields?.toldBefore, true);
    assert.equal(r.logged[2]?.fields?.channel, "c2", "the caller's fields go with the log line");
    assert.equal(r.logged[2]?.fields?.cause, "c2 Send Messages");
  });

  it("remembers at most maxCauses, forgetting the oldest first", async () => {
    const r = recorder();
    const notices = new AdminNotices({ notify: async (t) => void r.sent.push(t), logger: r.logger, maxCauses: 2 });
    await notices.notice("a", "A");
    await notices.notice("b", "B");
    await notices.notice("c", "C");
    assert.equal(notices.size, 2);
    await notices.notice("b", "B");
    await notices.notice("a", "A");
    assert.deepEqual(r.sent, ["A", "B", "C", "A"]);
  });

  it("never rejects when a notice cannot be sent, and logs that", async () => {
    const r = recorder();
    const notices = new AdminNotices({
      notify: () => Promise.reject(new Error("no admins reachable")),
      logger: r.logger,
    });
    await notices.notice("x", "X");
    assert.ok(r.logged.some((l) => l.message === "an admin notice could not be sent"));
  });
});
