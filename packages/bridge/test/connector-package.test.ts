/** Connector packages found by network name: missing and broken ones told apart, the broken one's own error shown. */
import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ConnectorPackageError, importConnectorPackage } from "../src/cli/connector-package.ts";
import { runCli } from "../src/index.ts";

/** A package that is installed but imports something that is not: what a half-finished install leaves. */
const BROKEN = "parleybrokentest";
const dir = fileURLToPath(new URL(`../../../node_modules/@parley/${BROKEN}/`, import.meta.url));

describe("connector packages", () => {
  before(() => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({ name: `@parley/${BROKEN}`, version: "0.0.0", type: "module", exports: "./index.js" }),
    );
    writeFileSync(
      join(dir, "index.js"),
      'import "parley-no-such-dependency";\nexport const createConnector = () => {};\n',
    );
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it("says a package that is not installed is missing", async () => {
    const e = await importConnectorPackage("nosuchnetwork").then(
      () => assert.fail("imported"),
      (error: unknown) => error,
    );
    assert.ok(e instanceof ConnectorPackageError);
    assert.equal(e.missing, true);
    assert.equal(e.message, "no connector package @parley/nosuchnetwork is installed");
  });

  it("shows the real error of a package that is installed but fails to load", async () => {
    const e = await importConnectorPackage(BROKEN).then(
      () => assert.fail("imported"),
      (error: unknown) => error,
    );
    assert.ok(e instanceof ConnectorPackageError);
    assert.equal(e.missing, false);
    assert.match(e.message, /could not be loaded: .*parley-no-such-dependency/);
  });

  it("parley --check names the field and the real error", async () => {
    const config = join(dir, "parley.yaml");
    writeFileSync(
      config,
      `xmpp: { domain: bridge.example.org, secret: s3cret-s3cret }\nconnectors:\n  ${BROKEN}: {}\n`,
    );
    let text = "";
    const out = new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        done();
      },
    });
    assert.equal(await runCli(["--config", config, "--check"], out), 2);
    assert.match(text, new RegExp(`connectors\\.${BROKEN}`));
    assert.match(text, /parley-no-such-dependency/);
    assert.doesNotMatch(text, /is installed/);
  });
});
