/**
 * `parley init --network matrix`: generated as_token and hs_token, written
 * both into parley.yaml and into the registration Synapse loads (the same
 * values, private files), a config `parley --check` accepts, and the line to
 * add to homeserver.yaml; never a token on screen.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { after, describe, it } from "node:test";
import { loadConfig, runCli } from "@parley/bridge";
import { parse } from "yaml";
import { type AppserviceRegistration, parseMatrixOptions, REGISTRATION_FILE_NAME } from "../src/index.ts";

const scratch = mkdtempSync(join(tmpdir(), "parley-matrix-init-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
let runs = 0;

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return {
    stream: new Writable({
      write(chunk: Buffer | string, _enc, done) {
        chunks.push(String(chunk));
        done();
      },
    }),
    text: () => chunks.join(""),
  };
}

async function init(extra: readonly string[] = []): Promise<{ code: number; out: string; err: string; dir: string }> {
  const dir = join(scratch, `run-${++runs}`);
  const out = capture();
  const err = capture();
  const stdin = new PassThrough();
  stdin.end();
  const argv = ["init", "--server", "ejabberd", "--domain", "example.org", "--network", "matrix", "--dir", dir];
  const code = await runCli([...argv, ...extra], err.stream, { stdin, stdout: out.stream, stderr: err.stream });
  return { code, out: out.text(), err: err.text(), dir };
}

describe("parley init for Matrix", () => {
  it("generates the tokens and writes the same ones into parley.yaml and the registration", async () => {
    const r = await init(["--matrix-homeserver-url", "https://matrix.example.org", "--matrix-listen-port", "9100"]);
    assert.equal(r.code, 0, r.err);
    const config = loadConfig({ path: join(r.dir, "parley.yaml") });
    assert.equal(config.xmpp.domain, "matrix.example.org");
    const options = parseMatrixOptions(config.connectors.matrix);
    assert.equal(options.homeserverUrl, "https://matrix.example.org");
    assert.equal(options.serverName, "example.org", "the server name defaults to the XMPP domain");
    assert.match(options.asToken, /^[0-9a-f]{48}$/);
    assert.match(options.hsToken, /^[0-9a-f]{48}$/);
    assert.notEqual(options.asToken, options.hsToken);

    const file = join(r.dir, REGISTRATION_FILE_NAME);
    assert.equal(statSync(file).mode & 0o777, 0o600, "the registration is private");
    const registration = parse(readFileSync(file, "utf8")) as AppserviceRegistration;
    assert.equal(registration.as_token, options.asToken);
    assert.equal(registration.hs_token, options.hsToken);
    assert.equal(registration.url, "http://127.0.0.1:9100");

    const checked = capture();
    assert.equal(await runCli(["--config", join(r.dir, "parley.yaml"), "--check"], checked.stream), 0, checked.text());
    assert.ok(r.out.includes(`app_service_config_files: [${JSON.stringify(file)}]`), r.out);
    assert.ok(!r.out.includes(options.asToken) && !r.out.includes(options.hsToken), "no token on screen");
    assert.match(r.out, /ejabberd-parley\.yml/);
  });

  it("makes new tokens on every run", async () => {
    const tokens = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const r = await init();
      assert.equal(r.code, 0, r.err);
      const options = parseMatrixOptions(loadConfig({ path: join(r.dir, "parley.yaml") }).connectors.matrix);
      tokens.add(options.asToken).add(options.hsToken);
    }
    assert.equal(tokens.size, 4);
  });

  it("names a bad Matrix flag and its fix", async () => {
    const r = await init(["--matrix-homeserver-url", "synapse.local:8008"]);
    assert.equal(r.code, 2);
    assert.match(
      r.err,
      /--matrix-homeserver-url is not an http:\/\/ or https:\/\/ URL: write it like --matrix-homeserver-url http:\/\/127\.0\.0\.1:8008/,
    );
  });
});
