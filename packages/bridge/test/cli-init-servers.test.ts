/**
 * From `parley init` to a connected bridge, on real servers: the testkit
 * starts Prosody and ejabberd from the answers given to init (same domains,
 * the secret init generated, its component port), includes the very snippet
 * init wrote, and the bridge run from the parley.yaml init wrote connects as
 * the component; a wrong secret is refused.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { after, describe, it } from "node:test";
import { buildDiscoInfoRequest, parseDiscoInfo } from "@parley/stanza";
import { freePort, stanzaId, startXmppServer, TestClient, XMPP_SERVER_KINDS, type XmppServer } from "@parley/testkit";
import { Bridge, loadConfig, ReferenceConnector, ReferenceNetwork, runCli } from "../src/index.ts";
import { ComponentAuthError, ComponentSession } from "../src/internals.ts";

const DOMAIN = "init.parley.test";

/** A stream that drops what is written to it, keeping the text for failure messages. */
function sink(): { stream: Writable; text: () => string } {
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

for (const kind of XMPP_SERVER_KINDS) {
  describe(`parley init, then ${kind}`, () => {
    const dir = mkdtempSync(join(tmpdir(), `parley-init-${kind}-`));
    let server: XmppServer | undefined;
    let bridge: Bridge | undefined;
    let alice: TestClient | undefined;
    after(async () => {
      await alice?.stop();
      await bridge?.stop();
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("the bridge connects with the secret init generated, to a server set up with the snippet init wrote", async () => {
      const componentPort = await freePort();
      const out = sink();
      const stdin = new PassThrough();
      stdin.end();
      const argv = ["init", "--server", kind, "--domain", DOMAIN, "--network", "reference"];
      argv.push("--component-port", String(componentPort), "--dir", dir);
      const code = await runCli(argv, out.stream, { stdin, stdout: out.stream, stderr: out.stream });
      assert.equal(code, 0, out.text());

      const written = readFileSync(join(dir, "parley.yaml"), "utf8");
      const config = loadConfig({ path: join(dir, "parley.yaml") });
      server = await startXmppServer(kind, {
        domain: DOMAIN,
        mucDomain: config.xmpp.mucDomain,
        components: [{ domain: config.xmpp.domain, secret: config.xmpp.secret }],
        componentPort,
        accounts: [{ local: "alice", password: "alice-password" }],
      });
      const snippetName = kind === "prosody" ? "prosody-parley.cfg.lua" : "ejabberd-parley.yml";
      assert.equal(
        readFileSync(join(server.dir, snippetName), "utf8"),
        readFileSync(join(dir, snippetName), "utf8"),
        "the server runs the very snippet init wrote",
      );

      // The file as written, with its listeners on free ports and its store and media in the scratch folder.
      const runnable = written
        .replace(/^ {2}port: 878[78]$/gm, "  port: 0")
        .replace("url: sqlite:reference.db", `url: sqlite:${join(dir, "reference.db")}`)
        .concat(`media:\n  dir: ${join(dir, "media")}\nlog:\n  level: error\n`);
      const runConfig = loadConfig({ text: runnable });
      bridge = await Bridge.start({ config: runConfig, connector: new ReferenceConnector(new ReferenceNetwork()) });

      const account = server.accounts[0];
      assert.ok(account);
      alice = await TestClient.connect(server, account);
      const answer = await alice.iq(buildDiscoInfoRequest({ id: stanzaId("disco"), to: config.xmpp.domain }));
      assert.ok(answer.payload, `the component answered disco#info with ${answer.type}`);
      const info = parseDiscoInfo(answer.payload);
      assert.ok(info.ok);
      assert.ok(
        info.value.identities.some((i) => i.category === "gateway" && i.type === "reference"),
        "the bridge answers for its component domain",
      );
    });

    it("refuses the component with any other secret", async () => {
      assert.ok(server, "the server of the previous test runs");
      const config = loadConfig({ path: join(dir, "parley.yaml") });
      const wrong = new ComponentSession({
        host: "127.0.0.1",
        port: config.xmpp.port,
        domain: config.xmpp.domain,
        secret: `${config.xmpp.secret}-not`,
      });
      await assert.rejects(wrong.start(), ComponentAuthError);
      await wrong.stop();
    });
  });
}
