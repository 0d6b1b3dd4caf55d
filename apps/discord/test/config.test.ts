import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { ConfigError, runCli } from "@parley/bridge";
import { createConnector, parseDiscordOptions } from "../src/index.ts";

const TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.secret-token-value";

function configError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected a ConfigError");
}

describe("connectors.discord options", () => {
  it("fills in the defaults", () => {
    assert.deepEqual(parseDiscordOptions({ token: TOKEN }), {
      token: TOKEN,
      webhookName: "Parley",
      // Bounded by age; the count is a safety bound far above a day of any channel (it was 500, which lost the rest).
      catchUpLimit: 1_000_000,
      catchUpMaxAgeHours: 24,
      rehostAttachments: true,
    });
  });

  it("takes every setting", () => {
    const o = parseDiscordOptions({
      token: TOKEN,
      apiUrl: "http://127.0.0.1:9999",
      cdnUrl: "http://127.0.0.1:9998/cdn",
      webhookName: "Bridge",
      catchUpLimit: 0,
      rehostAttachments: false,
    });
    assert.equal(o.apiUrl, "http://127.0.0.1:9999");
    assert.equal(o.catchUpLimit, 0);
    assert.equal(o.rehostAttachments, false);
  });

  it("names connectors.discord.token when it is missing", () => {
    for (const input of [undefined, null, {}, { token: "" }, { token: "   " }]) {
      const e = configError(() => parseDiscordOptions(input));
      assert.equal(e.issues[0]?.path, "connectors.discord.token");
      assert.match(e.message, /Developer Portal/);
    }
  });

  it("names each bad field and never quotes a value", () => {
    const e = configError(() =>
      parseDiscordOptions({
        token: 42,
        apiUrl: `ftp://${TOKEN}`,
        webhookName: "My Discord hook",
        catchUpLimit: -1,
        rehostAttachments: "yes",
        tokne: TOKEN,
      }),
    );
    const paths = e.issues.map((i) => i.path).sort();
    assert.deepEqual(paths, [
      "connectors.discord.apiUrl",
      "connectors.discord.catchUpLimit",
      "connectors.discord.rehostAttachments",
      "connectors.discord.token",
      "connectors.discord.tokne",
      "connectors.discord.webhookName",
    ]);
    assert.ok(!e.message.includes(TOKEN), "the token must not appear in the error");
    assert.match(e.message, /webhookName`: contains "discord" or "clyde"/);
    assert.match(e.message, /catchUpLimit`: must be at least 0/);
  });

  it("refuses a catch-up limit that is not a whole number", () => {
    const e = configError(() => parseDiscordOptions({ token: TOKEN, catchUpLimit: 2.5 }));
    assert.equal(e.issues[0]?.path, "connectors.discord.catchUpLimit");
  });

  it("createConnector validates before building the connector", () => {
    const logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => logger };
    assert.throws(() => createConnector({}, { logger }), ConfigError);
    const c = createConnector({ token: TOKEN }, { logger });
    assert.equal(c.network, "discord");
    assert.equal(c.displayName, "Discord");
    assert.equal(typeof c.sendDirect, "function", "direct messages are on: the connector has sendDirect");
  });
});

describe("parley --check with a Discord section", () => {
  it("validates the connector's own settings: 2 and the field named for a bad one, 0 for a good one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "parley-discord-check-"));
    try {
      const file = join(dir, "parley.yaml");
      const run = async (section: string) => {
        writeFileSync(
          file,
          `xmpp: { domain: discord.example.org, secret: s3cret }\nconnectors:\n  discord: ${section}\n`,
        );
        let text = "";
        const out = new Writable({
          write(chunk, _enc, done) {
            text += String(chunk);
            done();
          },
        });
        return { code: await runCli(["--config", file, "--check"], out), text: () => text };
      };
      const bad = await run(`{ tokn: "${TOKEN}" }`);
      assert.equal(bad.code, 2);
      assert.match(bad.text(), /`connectors\.discord\.token`: is required/);
      assert.match(bad.text(), /`connectors\.discord\.tokn`/);
      assert.ok(!bad.text().includes(TOKEN), "the message quotes no token");
      const good = await run(`{ token: "${TOKEN}" }`);
      assert.equal(good.code, 0);
      assert.match(good.text(), /configuration OK/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
