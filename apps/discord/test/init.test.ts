/**
 * `parley init --network discord`: the token stays in the environment, a first
 * channel is linked when given, the file passes `parley --check` once
 * DISCORD_TOKEN is set, and the steps name the intents and the invite link
 * with the permissions the bridge uses.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the config holds the literal ${DISCORD_TOKEN} reference
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { after, describe, it } from "node:test";
import { loadConfig, runCli } from "@parley/bridge";
import { INVITE_PERMISSIONS } from "../src/index.ts";

const scratch = mkdtempSync(join(tmpdir(), "parley-discord-init-"));
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

async function init(extra: readonly string[]): Promise<{ code: number; out: string; err: string; dir: string }> {
  const dir = join(scratch, `run-${++runs}`);
  const out = capture();
  const err = capture();
  const stdin = new PassThrough();
  stdin.end();
  const argv = ["init", "--server", "prosody", "--domain", "example.org", "--network", "discord", "--dir", dir];
  const code = await runCli([...argv, ...extra], err.stream, { stdin, stdout: out.stream, stderr: err.stream });
  return { code, out: out.text(), err: err.text(), dir };
}

async function check(file: string): Promise<{ code: number; text: string }> {
  const out = capture();
  return { code: await runCli(["--config", file, "--check"], out.stream), text: out.text() };
}

describe("parley init for Discord", () => {
  it("writes the token as ${DISCORD_TOKEN} and links the channel given; parley --check accepts it once the token is set", async () => {
    const r = await init(["--discord-channel", "123456789012345678", "--discord-room", "general"]);
    assert.equal(r.code, 0, r.err);
    const file = join(r.dir, "parley.yaml");
    assert.match(
      readFileSync(file, "utf8"),
      /^ {4}token: \$\{DISCORD_TOKEN\}$/m,
      "the token is read from the environment",
    );
    const config = loadConfig({ path: file }, { env: { DISCORD_TOKEN: "a-token" } });
    assert.equal(config.xmpp.domain, "discord.example.org");
    assert.deepEqual(config.connectors.discord, { token: "a-token" });
    assert.deepEqual(config.links, [
      { network: "discord", channel: "123456789012345678", room: "general@conference.example.org" },
    ]);

    const saved = process.env.DISCORD_TOKEN;
    try {
      delete process.env.DISCORD_TOKEN;
      const unset = await check(file);
      assert.equal(unset.code, 2);
      assert.match(unset.text, /DISCORD_TOKEN/);
      process.env.DISCORD_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.a-bot-token";
      const set = await check(file);
      assert.equal(set.code, 0, set.text);
    } finally {
      if (saved === undefined) delete process.env.DISCORD_TOKEN;
      else process.env.DISCORD_TOKEN = saved;
    }
  });

  it("says what is left on Discord's side: the token, the intents, the invite with the bridge's permissions", async () => {
    const r = await init(["--discord-application-id", "112233445566778899"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(INVITE_PERMISSIONS, "309774625856", "the permissions the README lists");
    assert.ok(
      r.out.includes(
        `https://discord.com/oauth2/authorize?client_id=112233445566778899&scope=bot&permissions=${INVITE_PERMISSIONS}`,
      ),
    );
    assert.match(r.out, /Set DISCORD_TOKEN in the discord bridge's environment/);
    assert.match(r.out, /Server Members, Presence and Message Content/);
    assert.match(r.out, /Link channels under links/, "no channel was given: how to link one");
    assert.deepEqual(loadConfig({ path: join(r.dir, "parley.yaml") }, { env: { DISCORD_TOKEN: "t" } }).links, []);
  });

  it("lists its flags in parley init --help", async () => {
    const r = await init(["--help"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /discord:\n {2}--discord-application-id </);
    assert.match(r.out, /--discord-channel <\d+> +A Discord channel id to link now/);
  });

  it("names a bad Discord flag and its fix", async () => {
    const r = await init(["--discord-channel", "general"]);
    assert.equal(r.code, 2);
    assert.match(
      r.err,
      /--discord-channel is not a Discord id \(17 to 20 digits\): write it like --discord-channel \d+/,
    );
    const room = await init(["--discord-channel", "123456789012345678", "--discord-room", "a/b"]);
    assert.equal(room.code, 2);
    assert.match(room.err, /--discord-room is not a room name/);
    const alone = await init(["--discord-room", "general"]);
    assert.equal(alone.code, 2);
    assert.match(alone.err, /--discord-room goes unused with the other answers given/);
  });
});
