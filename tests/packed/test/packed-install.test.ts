/**
 * What a user gets from the registry, tried before it gets there: every
 * published @parley package is packed with `npm pack`, the tarballs are
 * installed into an empty folder (no workspace links), and the installed
 * executables are run as processes: `parley --version`, `parley --check` on
 * the example the package ships, `parley-matrix --help`, and a Discord bridge
 * against real Prosody and the fake Discord, with a message each way and a
 * clean SIGTERM.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { buildMessage } from "@parley/stanza";
import {
  type FakeDiscord,
  isMessage,
  startFakeDiscord,
  startXmppServer,
  TestClient,
  waitForRelay,
  type XmppServer,
} from "@parley/testkit";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BRIDGE_VERSION = (
  JSON.parse(readFileSync(join(ROOT, "packages/bridge/package.json"), "utf8")) as { version: string }
).version;

interface Workspace {
  readonly name: string;
  readonly private?: boolean;
}

/** The workspaces a user can install: public ones, less the testkit (a test-time tool, not part of a deployment). */
async function publishedWorkspaces(): Promise<string[]> {
  const { stdout } = await run("npm", ["query", ".workspace", "--json"], { cwd: ROOT, maxBuffer: 16 << 20 });
  return (JSON.parse(stdout) as Workspace[])
    .filter((w) => w.private !== true && w.name.startsWith("@parley/") && w.name !== "@parley/testkit")
    .map((w) => w.name);
}

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs an installed executable as a process and collects what it says, whatever its exit code. */
async function runBin(
  dir: string,
  bin: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<Ran> {
  try {
    const { stdout, stderr } = await run(join(dir, "node_modules/.bin", bin), [...args], {
      cwd: dir,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const failed = e as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === "number" ? failed.code : -1,
      stdout: failed.stdout ?? "",
      stderr: failed.stderr ?? "",
    };
  }
}

describe("the packed packages, installed into an empty folder", () => {
  let work: string;
  let app: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "parley-packed-"));
    const tarballs = join(work, "tarballs");
    app = join(work, "app");
    mkdirSync(tarballs);
    mkdirSync(app);
    const names = await publishedWorkspaces();
    assert.ok(names.includes("@parley/bridge") && names.includes("@parley/discord"), `packed: ${names.join(", ")}`);
    await run("npm", ["pack", "--pack-destination", tarballs, ...names.flatMap((n) => ["--workspace", n])], {
      cwd: ROOT,
      maxBuffer: 16 << 20,
    });
    const files = readdirSync(tarballs).filter((f) => f.endsWith(".tgz"));
    assert.equal(files.length, names.length, `one tarball per package: ${files.join(", ")}`);
    writeFileSync(
      join(app, "package.json"),
      `${JSON.stringify({ name: "a-parley-deployment", private: true }, null, 2)}\n`,
    );
    await run(
      "npm",
      ["install", "--no-audit", "--no-fund", "--prefer-offline", ...files.map((f) => join(tarballs, f))],
      { cwd: app, maxBuffer: 16 << 20 },
    );
  });

  after(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it("installs real copies, not links into the repository", () => {
    for (const pkg of ["bridge", "discord", "matrix", "stanza"]) {
      const dir = join(app, "node_modules/@parley", pkg);
      assert.ok(existsSync(dir), `@parley/${pkg} is installed`);
      assert.equal(lstatSync(dir).isSymbolicLink(), false, `@parley/${pkg} is a copy`);
    }
    for (const shipped of [
      "bridge/bin/parley.js",
      "bridge/examples/parley.example.yaml",
      "bridge/README.md",
      "bridge/dist/index.js",
      "matrix/bin/parley-matrix.js",
      "discord/README.md",
    ]) {
      assert.ok(existsSync(join(app, "node_modules/@parley", shipped)), `the tarball ships ${shipped}`);
    }
  });

  it("the bridge's two entries load from the installed copy: the connector API, and the engine's parts apart", async () => {
    const probe = [
      'const main = await import("@parley/bridge");',
      'const internals = await import("@parley/bridge/internals");',
      "console.log(JSON.stringify({ bridge: typeof main.Bridge, openStore: [typeof main.openStore, typeof internals.openStore] }));",
    ].join("\n");
    const { stdout } = await run(process.execPath, ["--input-type=module", "--eval", probe], { cwd: app });
    assert.deepEqual(JSON.parse(stdout), { bridge: "function", openStore: ["undefined", "function"] });
  });

  it("parley --version names the release", async () => {
    const ran = await runBin(app, "parley", ["--version"]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout.trim(), `parley ${BRIDGE_VERSION}`);
  });

  it("parley --check accepts the example the package ships, and names the field of a broken one", async () => {
    const example = join(app, "node_modules/@parley/bridge/examples/parley.example.yaml");
    const env = { PARLEY_COMPONENT_SECRET: "a-component-secret", DISCORD_TOKEN: "a-discord-token" };
    const ok = await runBin(app, "parley", ["--config", example, "--check"], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /configuration OK/);

    const broken = join(work, "broken.yaml");
    writeFileSync(broken, readFileSync(example, "utf8").replace(/^ {2}port: 5347$/m, "  port: seventy"));
    const bad = await runBin(app, "parley", ["--config", broken, "--check"], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /xmpp\.port/);
  });

  it("parley-matrix is on the installed PATH", async () => {
    const ran = await runBin(app, "parley-matrix", ["--help"]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /parley-matrix register/);
  });

  describe("a Discord bridge run from the installed parley", () => {
    let server: XmppServer;
    let discord: FakeDiscord;
    let alice: TestClient;
    let bridge: ChildProcess | undefined;
    let output = "";

    before(async () => {
      server = await startXmppServer("prosody");
      discord = await startFakeDiscord({ botName: "Parley" });
    });

    after(async () => {
      bridge?.kill("SIGKILL");
      await alice?.stop();
      await discord?.stop();
      await server?.stop();
    });

    it("relays both ways and stops cleanly on SIGTERM", async () => {
      const guild = discord.createGuild({ name: "Packed" });
      const channel = discord.createChannel(guild.id, { name: "lobby" });
      const ada = discord.addMember(guild.id, { username: "ada", globalName: "Ada" });
      const component = server.components[0];
      const account = server.accounts[0];
      assert.ok(component && account);
      const room = `packed-${process.pid}@${server.mucDomain}`;
      const config = join(work, "parley.yaml");
      writeFileSync(
        config,
        [
          "xmpp:",
          `  host: ${server.host}`,
          `  port: ${server.componentPort}`,
          `  domain: ${component.domain}`,
          // biome-ignore lint/suspicious/noTemplateCurlyInString: `${NAME}` is parley.yaml's syntax, read from the environment
          "  secret: ${PARLEY_COMPONENT_SECRET}",
          "store:",
          `  url: sqlite:${join(work, "parley.db")}`,
          "http:",
          "  port: 0",
          "ops:",
          "  port: 0",
          "media:",
          `  dir: ${join(work, "media")}`,
          "  allowPrivateAddresses: true",
          `admins: ["${account.jid}"]`,
          "links:",
          `  - { network: discord, channel: "${channel.id}", room: "${room}" }`,
          "connectors:",
          "  discord:",
          // biome-ignore lint/suspicious/noTemplateCurlyInString: `${NAME}` is parley.yaml's syntax, read from the environment
          "    token: ${DISCORD_TOKEN}",
          `    apiUrl: ${discord.restUrl}`,
          `    cdnUrl: ${discord.cdnUrl}`,
          "",
        ].join("\n"),
      );
      alice = await TestClient.connect(server, account);
      await alice.joinRoom(room, "alice");
      const relayJoined = waitForRelay(alice, room, 30_000);
      const child = spawn(join(app, "node_modules/.bin/parley"), ["--config", config], {
        cwd: app,
        env: { ...process.env, PARLEY_COMPONENT_SECRET: component.secret, DISCORD_TOKEN: discord.token },
        stdio: ["ignore", "pipe", "pipe"],
      });
      bridge = child;
      child.stdout?.on("data", (d: Buffer) => {
        output += d.toString();
      });
      child.stderr?.on("data", (d: Buffer) => {
        output += d.toString();
      });
      await relayJoined;
      // What Discord members say before the bridge is logged in is not the bridge's to relay (nothing was read yet).
      await waitUntil(
        () => output.includes('"bridge started"'),
        30_000,
        () => `the bridge to start; it said:\n${output}`,
      );

      discord.post(channel.id, ada.user.id, "hello from the packed bridge");
      await alice
        .waitFor(
          isMessage((m) => m.type === "groupchat" && m.body === "hello from the packed bridge"),
          { timeoutMs: 30_000, description: "Ada's message in the room" },
        )
        .catch((e: unknown) => assert.fail(`${String(e)}\nthe bridge said:\n${output}`));

      await alice.send(buildMessage({ type: "groupchat", to: room, id: "packed-1", body: "and back to Discord" }));
      await waitUntil(
        () => discord.messages(channel.id).some((m) => m.content === "and back to Discord"),
        30_000,
        () => `Alice's message on Discord; the bridge said:\n${output}`,
      );
      assert.doesNotMatch(output, new RegExp(component.secret), "the component secret is never logged");
      assert.doesNotMatch(output, new RegExp(discord.token), "the Discord token is never logged");

      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      assert.equal(await exited, 0, `exit code after SIGTERM; the bridge said:\n${output}`);
      bridge = undefined;
    });
  });
});

async function waitUntil(done: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
