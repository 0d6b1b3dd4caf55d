import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Writable } from "node:stream";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parse } from "yaml";
import { runMatrixCli } from "../src/cli/matrix-cli.ts";
import { parseMatrixOptions } from "../src/config.ts";
import { ghostUserId } from "../src/matrix-ids.ts";
import { buildRegistration, homeserverConfigLine } from "../src/registration.ts";

const dir = mkdtempSync(join(tmpdir(), "parley-matrix-reg-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const options = parseMatrixOptions({
  homeserverUrl: "http://127.0.0.1:8008",
  serverName: "example.org",
  asToken: "as-token-0123456789",
  hsToken: "hs-token-0123456789",
  listen: { host: "127.0.0.1", port: 9123 },
});

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return {
    stream: new Writable({
      write(c, _e, cb) {
        chunks.push(String(c));
        cb();
      },
    }),
    text: () => chunks.join(""),
  };
}

describe("the registration", () => {
  test("exclusive namespaces cover exactly the ghosts and portal aliases on this server", () => {
    const r = buildRegistration(options);
    assert.equal(r.id, "parley");
    assert.equal(r.url, "http://127.0.0.1:9123");
    assert.equal(r.sender_localpart, "xmppbridge");
    assert.equal(r.receive_ephemeral, true);
    const users = new RegExp(`^${r.namespaces.users?.[0]?.regex}$`);
    const aliases = new RegExp(`^${r.namespaces.aliases?.[0]?.regex}$`);
    assert.ok(r.namespaces.users?.[0]?.exclusive && r.namespaces.aliases?.[0]?.exclusive);
    assert.ok(users.test(ghostUserId("alice@example.org", options)));
    assert.ok(!users.test("@bob:example.org"));
    assert.ok(!users.test("@_xmpp_alice=40example.org:exampleXorg"), "the server name's dots are literal");
    assert.ok(aliases.test("#_xmpp_lobby=conference.example.org:example.org"));
    assert.ok(!aliases.test("#lobby:example.org"));
  });

  test("`parley-matrix register` writes the registration (mode 0600) and prints the homeserver config line", async () => {
    const config = join(dir, "parley.yaml");
    writeFileSync(
      config,
      `xmpp: { domain: matrix.example.org, secret: s3cret }
connectors:
  matrix:
    homeserverUrl: http://127.0.0.1:8008
    serverName: example.org
    asToken: \${TEST_AS_TOKEN}
    hsToken: \${TEST_HS_TOKEN}
    listen: { host: 127.0.0.1, port: 9123 }
`,
    );
    process.env.TEST_AS_TOKEN = "as-token-from-env-0001";
    process.env.TEST_HS_TOKEN = "hs-token-from-env-0002";
    const out = sink();
    const err = sink();
    const file = join(dir, "registration.yaml");
    const code = await runMatrixCli(["register", "--config", config, "--out", file], out.stream, err.stream);
    assert.equal(code, 0, err.text());
    assert.equal(out.text().trim(), homeserverConfigLine(file));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const reg = parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    assert.equal(reg.as_token, "as-token-from-env-0001");
    assert.equal(reg.hs_token, "hs-token-from-env-0002");
    assert.equal(reg.url, "http://127.0.0.1:9123");
    assert.ok(!err.text().includes("token-from-env"), "no token in what is printed");
  });

  test("a bad config is refused with the field named; listen.port 0 without publicUrl cannot be registered", async () => {
    const config = join(dir, "bad.yaml");
    writeFileSync(
      config,
      "xmpp: { domain: m.example.org, secret: s }\nconnectors:\n  matrix: { serverName: example.org }\n",
    );
    const err = sink();
    assert.equal(await runMatrixCli(["register", "--config", config], sink().stream, err.stream), 2);
    assert.match(err.text(), /connectors\.matrix\.homeserverUrl/);
    const zero = join(dir, "zero.yaml");
    writeFileSync(
      zero,
      "xmpp: { domain: m.example.org, secret: s }\nconnectors:\n  matrix: { homeserverUrl: http://h, serverName: e.org, asToken: aaaaaaaaaa, hsToken: bbbbbbbbbb, listen: { port: 0 } }\n",
    );
    const err2 = sink();
    assert.equal(await runMatrixCli(["register", "--config", zero], sink().stream, err2.stream), 2);
    assert.match(err2.text(), /connectors\.matrix\.publicUrl/);
  });

  test("the parley-matrix executable runs (usage, and `register` end to end)", async () => {
    const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "cli", "parley-matrix.ts");
    const run = promisify(execFile);
    const help = await run(process.execPath, [bin, "--help"]);
    assert.match(help.stdout, /parley-matrix register/);
    const config = join(dir, "parley.yaml");
    const file = join(dir, "from-bin.yaml");
    const r = await run(process.execPath, [bin, "register", "--config", config, "--out", file], {
      env: { ...process.env, TEST_AS_TOKEN: "as-token-from-env-0001", TEST_HS_TOKEN: "hs-token-from-env-0002" },
    });
    assert.match(r.stdout, /^app_service_config_files: \[".*from-bin\.yaml"\]/);
  });
});
