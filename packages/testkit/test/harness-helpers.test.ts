/** What the bridges' test harnesses share: their config text, their logger, polling. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { harnessConfigText } from "../src/harness-config.ts";
import { waitUntilMapped } from "../src/mapped-message.ts";
import { pollUntil } from "../src/poll-until.ts";
import { recordingLogger } from "../src/recording-logger.ts";
import { startAndAwaitRelay } from "../src/relay-presence.ts";

describe("harnessConfigText", () => {
  it("links each channel with its room under the network, its settings as JSON, the secret from SECRET", () => {
    const text = harnessConfigText({
      server: { host: "127.0.0.1", componentPort: 5347 },
      domain: "bridge.localhost",
      admin: "admin@localhost",
      dir: "/tmp/x",
      network: "discord",
      links: [
        { channel: "1", room: "a@muc.localhost" },
        { channel: "2", room: "b@muc.localhost" },
      ],
      connector: { token: "t", apiUrl: "http://127.0.0.1:1" },
    });
    const lines = text.split("\n");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: loadConfig's ${NAME} syntax, as the text has it
    assert.ok(lines.includes("  secret: ${SECRET}"));
    assert.ok(lines.includes('admins: ["admin@localhost"]'));
    assert.ok(lines.includes('store: { url: "sqlite:/tmp/x/parley.db" }'));
    assert.ok(lines.includes('  - { network: discord, channel: "1", room: "a@muc.localhost" }'));
    assert.ok(lines.includes('  - { network: discord, channel: "2", room: "b@muc.localhost" }'));
    assert.ok(lines.includes('  discord: {"token":"t","apiUrl":"http://127.0.0.1:1"}'));
  });
});

describe("recordingLogger", () => {
  it("keeps warn and error lines with their fields, a child's included, and not the others", () => {
    const warnings: string[] = [];
    const logger = recordingLogger(warnings);
    logger.info("started");
    logger.debug("detail", { n: 1 });
    logger.warn("slow");
    logger.child({ part: "delivery" }).error("gave up", { room: "r" });
    assert.deepEqual(warnings, ["warn slow", 'error gave up {"part":"delivery","room":"r"}']);
  });
});

describe("pollUntil", () => {
  it("returns the first value that is neither undefined nor false", async () => {
    let calls = 0;
    const v = await pollUntil("the third call", () => (++calls === 3 ? "yes" : calls === 1 ? false : undefined), {
      timeoutMs: 5000,
      intervalMs: 1,
    });
    assert.equal(v, "yes");
    assert.equal(calls, 3);
  });

  it("fails naming what it waited for", async () => {
    await assert.rejects(
      pollUntil("something that never comes", () => undefined, { timeoutMs: 20, intervalMs: 5 }),
      /timed out waiting for something that never comes/,
    );
  });
});

describe("waitUntilMapped", () => {
  it("waits for a row of that network's message with the room's stanza-id", async () => {
    const asked: string[] = [];
    let calls = 0;
    const store = {
      byRemoteId: async (network: string, remoteId: string) => {
        asked.push(`${network}/${remoteId}`);
        return ++calls < 3 ? [{}] : [{}, { stanzaId: "s1" }];
      },
    };
    await waitUntilMapped(store, "slack", "1.2", { timeoutMs: 5000, intervalMs: 1 });
    assert.equal(calls, 3);
    assert.deepEqual(new Set(asked), new Set(["slack/1.2"]));
  });
});

describe("startAndAwaitRelay", () => {
  it("resolves once the bridge started and its relay came", async () => {
    const order: string[] = [];
    const client = {
      waitFor: async () => {
        await new Promise((r) => setTimeout(r, 5));
        order.push("relay");
        return { element: {} } as never;
      },
    };
    await startAndAwaitRelay(client, "r@muc.localhost", async () => void order.push("started"));
    assert.deepEqual(order, ["started", "relay"]);
  });

  it("fails with the start's error, leaving no unhandled rejection from the relay's wait", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    try {
      const client = {
        waitFor: () => new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no relay")), 5)),
      };
      await assert.rejects(
        startAndAwaitRelay(client, "r@muc.localhost", async () => {
          throw new Error("could not start");
        }),
        /could not start/,
      );
      await new Promise((r) => setTimeout(r, 30));
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    assert.deepEqual(unhandled, []);
  });
});
