/** Connector packages found by network name: missing and broken ones told apart, the broken one's own error shown. */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
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

/** Runs `parley --check` on a config file; resolves with the exit code and what it wrote. */
async function check(config: string): Promise<{ code: number; text: string }> {
  let text = "";
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  const code = await runCli(["--config", config, "--check"], out);
  return { code, text };
}

describe("connectors.<name>.package", () => {
  const XMPP = "xmpp: { domain: bridge.example.org, secret: s3cret-s3cret }\n";
  let home: string;

  before(() => {
    // A connector package of its own, outside any node_modules: a directory with a package.json whose
    // exports name the entry under conditions, as a built package's do.
    home = mkdtempSync(join(tmpdir(), "parley-connector-package-"));
    const pkg = join(home, "acme-connector");
    mkdirSync(join(pkg, "lib"), { recursive: true });
    writeFileSync(
      join(pkg, "package.json"),
      JSON.stringify({
        name: "acme-parley-chat",
        type: "module",
        exports: { ".": { types: "./lib/main.d.ts", import: "./lib/main.js" } },
      }),
    );
    writeFileSync(
      join(pkg, "lib", "main.js"),
      [
        "export function createConnector(options) {",
        "  globalThis.acmeConnectorOptions = options;",
        '  return { network: "acme", displayName: "Acme", capabilities: {}, start() {}, stop() {}, send() {} };',
        "}",
        "",
      ].join("\n"),
    );
  });

  after(() => rmSync(home, { recursive: true, force: true }));

  it("loads the connector from the package it names, a path relative to the config file", async () => {
    const config = join(home, "parley.yaml");
    writeFileSync(config, `${XMPP}connectors:\n  acme: { package: ./acme-connector, greeting: hello }\n`);
    const r = await check(config);
    assert.equal(r.code, 0, r.text);
    assert.match(r.text, /configuration OK/);
    const seen = (globalThis as { acmeConnectorOptions?: unknown }).acmeConnectorOptions;
    assert.deepEqual(seen, { greeting: "hello" }, "the connector gets its options without `package`");
  });

  it("names the field when the package it names is not there", async () => {
    const config = join(home, "missing.yaml");
    writeFileSync(config, `${XMPP}connectors:\n  acme: { package: ./no-such-connector }\n`);
    const r = await check(config);
    assert.equal(r.code, 2);
    assert.match(r.text, /connectors\.acme\.package/);
    assert.match(r.text, /no connector package is at .*no-such-connector/);
  });

  it("names the field and the default when no package is given and the default is not installed", async () => {
    const config = join(home, "default.yaml");
    writeFileSync(config, `${XMPP}connectors:\n  nosuchnetwork: {}\n`);
    const r = await check(config);
    assert.equal(r.code, 2);
    assert.match(r.text, /connectors\.nosuchnetwork\.package/);
    assert.match(r.text, /no connector package @parley\/nosuchnetwork is installed \(the default/);
  });

  it("refuses a value that is neither a package name nor a path, naming the field", async () => {
    const config = join(home, "invalid.yaml");
    writeFileSync(config, `${XMPP}connectors:\n  acme: { package: "Acme Chat!" }\n`);
    const r = await check(config);
    assert.equal(r.code, 2);
    assert.match(r.text, /connectors\.acme\.package/);
    assert.match(r.text, /neither a package name/);
  });
});
