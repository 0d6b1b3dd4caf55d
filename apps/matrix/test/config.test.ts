import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError } from "@parley/bridge";
import { appserviceUrlOf, parseMatrixOptions } from "../src/config.ts";
import { createConnector } from "../src/index.ts";

const minimal = {
  homeserverUrl: "http://127.0.0.1:8008/",
  serverName: "example.org",
  asToken: "as-token-0123456789",
  hsToken: "hs-token-0123456789",
};

function issuesOf(raw: unknown): ConfigError["issues"] {
  try {
    parseMatrixOptions(raw);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.issues;
  }
  assert.fail("expected a ConfigError");
}

describe("connectors.matrix options", () => {
  test("defaults: prefixes, bot, listen address, registration id", () => {
    const o = parseMatrixOptions(minimal);
    assert.equal(o.homeserverUrl, "http://127.0.0.1:8008");
    assert.equal(o.userPrefix, "_xmpp_");
    assert.equal(o.aliasPrefix, "_xmpp_");
    assert.equal(o.botLocalpart, "xmppbridge");
    assert.equal(o.appserviceId, "parley");
    assert.deepEqual(o.listen, { host: "127.0.0.1", port: 9000 });
    assert.equal(appserviceUrlOf(o), "http://127.0.0.1:9000");
    assert.equal(appserviceUrlOf({ ...o, publicUrl: "https://bridge.example.org" }), "https://bridge.example.org");
    assert.equal(appserviceUrlOf({ ...o, listen: { host: "0.0.0.0", port: 0 } }, 4321), "http://127.0.0.1:4321");
  });

  test("every problem names its field as connectors.matrix.<field> with a fix, and never quotes a value", () => {
    const issues = issuesOf({
      homeserverUrl: "ftp://x",
      serverName: "",
      asToken: "q7z",
      listen: { port: 70000 },
      userPrefix: "UPPER",
      surprise: true,
    });
    const paths = issues.map((i) => i.path).sort();
    assert.deepEqual(paths, [
      "connectors.matrix",
      "connectors.matrix.asToken",
      "connectors.matrix.homeserverUrl",
      "connectors.matrix.hsToken",
      "connectors.matrix.listen.port",
      "connectors.matrix.serverName",
      "connectors.matrix.userPrefix",
    ]);
    for (const i of issues) {
      assert.ok(i.fix.length > 10, `a fix for ${i.path}`);
      assert.ok(!`${i.problem} ${i.fix}`.includes("q7z"), "the token's value is not quoted");
    }
    assert.match(issues.find((i) => i.path === "connectors.matrix.hsToken")?.problem ?? "", /missing/);
  });

  test("as_token and hs_token must differ; the bot must not look like a ghost", () => {
    const paths = issuesOf({ ...minimal, hsToken: minimal.asToken, botLocalpart: "_xmpp_bot" }).map((i) => i.path);
    assert.deepEqual(paths.sort(), ["connectors.matrix.botLocalpart", "connectors.matrix.hsToken"]);
  });

  test("createConnector validates and takes the media limits from the bridge config", () => {
    const logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => logger };
    const config = { media: { maxBytes: 1000, allowPrivateAddresses: false } } as Parameters<
      typeof createConnector
    >[1]["config"];
    const c = createConnector(minimal, { logger, config });
    assert.equal(c.network, "matrix");
    assert.equal(typeof c.occupant, "function", "occupants are on: the connector has occupant");
    assert.equal(typeof c.read, "function", "read markers are on: the connector has read");
    assert.throws(() => createConnector({}, { logger, config }), ConfigError);
  });
});
