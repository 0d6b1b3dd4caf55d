/**
 * Every fenced block of every README is run, as a reader of that README would
 * run it in a checkout after `npm ci`:
 * - `ts`: written to a file and run with node, its `// => value` claims
 *   checked; a snippet that starts a bridge is stopped with SIGTERM once it
 *   says "bridge started", and must exit 0;
 * - `yaml`: a parley.yaml, validated by `parley --check`;
 * - `sh`: each command in a shell whose PATH has the checkout's
 *   node_modules/.bin (`parley`, `parley-matrix`); `npm install` lines must
 *   name packages that exist and are published, `npm` script lines must name
 *   scripts that exist (running `npm test` inside `npm test` would recurse:
 *   CI runs it, and the demo's own test runs `npm run demo`);
 * - `text`: output shown to the reader, not run.
 * Each README gets the world its snippets talk about: real Prosody, the fake
 * Discord, a real Synapse, and a `parley.yaml` for them in the working folder.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { APP_TOKEN_SCOPE, BOT_EVENTS, BOT_SCOPES } from "@parley/slack";
import {
  type FakeDiscord,
  type FakeSlack,
  freePort,
  type Synapse,
  startFakeDiscord,
  startFakeSlack,
  startSynapse,
  startXmppServer,
  type XmppServer,
} from "@parley/testkit";
import { parse as parseYaml } from "yaml";
import { CHECKED, commandsOf, type Snippet, snippetsOf, whereIs, withExpectations } from "./readme-snippets.ts";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = join(ROOT, "node_modules/.bin");
/** Snippet modules live inside the workspace so that `@parley/*` imports resolve as in a checkout. */
const MODULES = fileURLToPath(new URL("../.snippets/", import.meta.url));
const RUN_LIMIT_MS = 60_000;
/** How long a started bridge is left to do what its snippet says before the operator's SIGTERM. */
const SETTLE_MS = 3_000;
/** The READMEs whose snippets run; a README with snippets missing here fails the last test. */
const RUN = [
  "README.md",
  "packages/stanza/README.md",
  "packages/bridge/README.md",
  "packages/testkit/README.md",
  "packages/xmpp-setup/README.md",
  "apps/discord/README.md",
  "apps/matrix/README.md",
  "apps/slack/README.md",
];

interface World {
  /** The working folder: parley.yaml and whatever the snippets write. */
  readonly dir: string;
  /** ${NAME} values for the parley.yaml and the secrets a snippet's commands name. */
  readonly env: Record<string, string>;
}

interface Ran {
  readonly code: number | null;
  readonly output: string;
  readonly stopped: boolean;
}

/** Runs `command` (argv) in `world`; stops it with SIGTERM once it says the bridge started. */
function runIn(world: World, command: readonly string[], what: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0] as string, command.slice(1), {
      cwd: world.dir,
      env: { ...process.env, ...world.env, PATH: `${BIN}:${process.env.PATH ?? ""}` },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let output = "";
    let stopped = false;
    const limit = setTimeout(() => {
      process.kill(-(child.pid as number), "SIGKILL");
      reject(new Error(`${what} neither finished nor started a bridge within ${RUN_LIMIT_MS} ms:\n${output}`));
    }, RUN_LIMIT_MS);
    let started = false;
    const listen = (d: Buffer) => {
      output += d.toString();
      if (started || !output.includes("bridge started")) return;
      started = true;
      // A snippet that goes on by itself (and stops its bridge) is given the time to; one that runs until
      // the operator stops it gets SIGTERM, and must then shut down cleanly.
      setTimeout(() => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        stopped = true;
        process.kill(-(child.pid as number), "SIGTERM");
      }, SETTLE_MS).unref();
    };
    child.stdout.on("data", listen);
    child.stderr.on("data", listen);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(limit);
      resolve({ code, output, stopped });
    });
  });
}

function assertRan(ran: Ran, what: string): void {
  assert.equal(ran.code, 0, `${what} exited with ${ran.code}:\n${ran.output}`);
}

async function runTypeScript(s: Snippet, world: World): Promise<void> {
  const file = join(MODULES, `${s.file.replaceAll("/", "_")}-${s.line}.ts`);
  const { code, claims } = withExpectations(s);
  writeFileSync(file, code);
  const ran = await runIn(world, [process.execPath, file], whereIs(s));
  assertRan(ran, whereIs(s));
  const checked = new RegExp(`${CHECKED} (\\d+)`).exec(ran.output)?.[1];
  assert.equal(Number(checked), claims, `${whereIs(s)}: every \`// =>\` claim was reached and checked`);
}

/**
 * A Slack app manifest (```yaml slack-app-manifest): it asks for exactly the bot scopes and
 * events the Slack bridge uses, and Socket Mode, whose app-level token needs connections:write.
 */
function checkSlackManifest(s: Snippet): void {
  const manifest = parseYaml(s.code) as {
    oauth_config?: { scopes?: { bot?: string[] } };
    settings?: { event_subscriptions?: { bot_events?: string[] }; socket_mode_enabled?: boolean };
  };
  const sorted = (list: readonly string[] | undefined) => [...(list ?? [])].sort();
  assert.deepEqual(
    sorted(manifest.oauth_config?.scopes?.bot),
    sorted(BOT_SCOPES.map((s) => s.scope)),
    `${whereIs(s)}: the manifest's bot scopes are those @parley/slack uses`,
  );
  assert.deepEqual(
    sorted(manifest.settings?.event_subscriptions?.bot_events),
    sorted(BOT_EVENTS),
    `${whereIs(s)}: the manifest's bot events are those @parley/slack listens to`,
  );
  assert.equal(manifest.settings?.socket_mode_enabled, true, `${whereIs(s)}: Socket Mode is on`);
  assert.match(
    readFileSync(join(ROOT, s.file), "utf8"),
    new RegExp(APP_TOKEN_SCOPE),
    `${s.file} names the app-token scope`,
  );
}

async function checkYaml(s: Snippet, world: World): Promise<void> {
  if (s.kind === "slack-app-manifest") return checkSlackManifest(s);
  assert.equal(s.kind, "", `${whereIs(s)}: a \`\`\`yaml ${s.kind} block; the README check knows slack-app-manifest`);
  const file = join(world.dir, `snippet-${s.line}.yaml`);
  writeFileSync(file, s.code);
  const ran = await runIn(world, ["parley", "--config", file, "--check"], whereIs(s));
  assertRan(ran, `parley --check on ${whereIs(s)}`);
  assert.match(ran.output, /configuration OK/);
}

interface Manifest {
  readonly name: string;
  readonly private?: boolean;
  readonly scripts?: Record<string, string>;
}

function manifests(): Map<string, Manifest> {
  const out = new Map<string, Manifest>();
  const root = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as Manifest & { workspaces: string[] };
  out.set("", root);
  for (const pattern of root.workspaces) {
    const parent = join(ROOT, pattern.replace(/\/\*$/, ""));
    for (const entry of readdirSync(parent)) {
      const file = join(parent, entry, "package.json");
      if (!existsSync(file)) continue;
      const m = JSON.parse(readFileSync(file, "utf8")) as Manifest;
      out.set(m.name, m);
    }
  }
  return out;
}

/** An `npm` line: packages it installs exist and are published; scripts it runs exist where it runs them. */
function checkNpm(command: string, where: string): void {
  const words = command.split(/\s+/).filter((w) => w !== "&&");
  const all = manifests();
  const verb = words[1];
  if (verb === "install" || verb === "i") {
    const named = words.slice(2).filter((w) => !w.startsWith("-"));
    assert.ok(named.length > 0, `${where}: npm install names a package`);
    for (const name of named.filter((n) => n.startsWith("@parley/"))) {
      const m = all.get(name);
      assert.ok(m !== undefined && m.private !== true, `${where}: ${name} is a published package of this repository`);
    }
    return;
  }
  if (verb === "ci") return;
  const w = words.indexOf("-w");
  const pkg = w >= 0 ? (words[w + 1] as string) : "";
  const manifest = all.get(pkg);
  assert.ok(manifest !== undefined, `${where}: ${pkg} is a workspace`);
  const script = verb === "test" ? "test" : verb === "run" ? words[2] : undefined;
  assert.ok(script !== undefined, `${where}: \`${command}\` is an npm command the README check knows`);
  assert.ok(manifest.scripts?.[script] !== undefined, `${where}: ${pkg || "the root"} has an npm script "${script}"`);
}

/** Each command of a shell snippet, in a shell of its own that keeps the block's exports. */
async function runShell(s: Snippet, world: World): Promise<void> {
  const exports: string[] = [];
  for (const line of commandsOf(s)) {
    for (const command of line.split(/\s*&&\s*/)) {
      const where = `${whereIs(s)} \`${command}\``;
      if (/^npm\s/.test(command)) {
        checkNpm(command, where);
        continue;
      }
      if (/^export\s/.test(command)) {
        // The world supplies the secrets its servers were started with; other exports run as written.
        const own = command
          .replace(/^export\s+/, "")
          .split(/\s+(?=[A-Z_][A-Z0-9_]*=)/)
          .filter((assignment) => !((assignment.split("=")[0] as string) in world.env));
        if (own.length > 0) exports.push(`export ${own.join(" ")}`);
        continue;
      }
      // `NAME=...` stands for the reader's own value: the world's is in the environment already.
      const written = command
        .replace(/\b([A-Z_][A-Z0-9_]*)=\.\.\.\s+/g, "")
        .replace(/^npx\s+/, "")
        .replaceAll("/etc/", `${world.dir}/etc/`);
      for (const path of written.match(/\S*\/etc\/\S+/g) ?? []) mkdirSync(dirname(path), { recursive: true });
      // exec: the command itself gets the SIGTERM that stops a bridge, as under a service manager.
      const ran = await runIn(world, ["bash", "-c", `set -e\n${exports.join("\n")}\nexec ${written}`], where);
      assertRan(ran, where);
    }
  }
}

async function runSnippet(s: Snippet, world: World): Promise<void> {
  switch (s.lang) {
    case "ts":
      return runTypeScript(s, world);
    case "yaml":
      return checkYaml(s, world);
    case "sh":
      return runShell(s, world);
    case "text":
      return;
    default:
      assert.fail(`${whereIs(s)}: a \`\`\`${s.lang} block; the README check runs ts, yaml and sh, and shows text`);
  }
}

/** The READMEs the repository tracks. */
async function readmes(): Promise<string[]> {
  const { stdout } = await run("git", ["ls-files", "README.md", "*/README.md"], { cwd: ROOT });
  return stdout.split("\n").filter((f) => f.endsWith("README.md"));
}

describe("every README snippet runs", () => {
  let server: XmppServer;
  let discord: FakeDiscord;
  let slack: FakeSlack;
  let synapse: Synapse;
  const worlds: string[] = [];
  const tokens = { MATRIX_AS_TOKEN: "as-token-of-the-snippet-test", MATRIX_HS_TOKEN: "hs-token-of-the-snippet-test" };

  before(async () => {
    rmSync(MODULES, { recursive: true, force: true });
    mkdirSync(MODULES, { recursive: true });
    server = await startXmppServer("prosody", {
      components: [
        { domain: "reference.parley.test", secret: "reference-secret" },
        { domain: "discord.parley.test", secret: "discord-secret" },
        { domain: "matrix.parley.test", secret: "matrix-secret" },
        { domain: "slack.parley.test", secret: "slack-secret" },
      ],
    });
    discord = await startFakeDiscord({ botName: "Parley" });
    slack = await startFakeSlack();
  });

  after(async () => {
    await synapse?.stop();
    await discord?.stop();
    await slack?.stop();
    await server?.stop();
    for (const dir of worlds) rmSync(dir, { recursive: true, force: true });
    rmSync(MODULES, { recursive: true, force: true });
  });

  function world(name: string, yaml: string, env: Record<string, string>): World {
    const dir = mkdtempSync(join(tmpdir(), `parley-readme-${name}-`));
    worlds.push(dir);
    if (yaml !== "") writeFileSync(join(dir, "parley.yaml"), yaml);
    return { dir, env };
  }

  function common(component: string, secretEnv: string): string {
    return [
      "xmpp:",
      `  host: ${server.host}`,
      `  port: ${server.componentPort}`,
      `  domain: ${component}`,
      `  secret: \${${secretEnv}}`,
      `  mucDomain: ${server.mucDomain}`,
      "store:",
      "  url: sqlite:parley.db",
      "http: { port: 0 }",
      "ops: { port: 0 }",
      "media: { dir: media, allowPrivateAddresses: true }",
      `admins: ["${server.accounts[0]?.jid}"]`,
    ].join("\n");
  }

  /** The world each README's snippets talk about. */
  async function worldFor(readme: string): Promise<World> {
    if (readme === "packages/bridge/README.md") {
      return world(
        "bridge",
        `${common("reference.parley.test", "PARLEY_COMPONENT_SECRET")}
links:
  - { network: reference, channel: general, room: general }
connectors:
  reference: {}
`,
        { PARLEY_COMPONENT_SECRET: "reference-secret" },
      );
    }
    if (readme === "apps/discord/README.md") {
      const guild = discord.createGuild({ name: "README" });
      const channel = discord.createChannel(guild.id, { name: "lobby" });
      return world(
        "discord",
        `${common("discord.parley.test", "PARLEY_COMPONENT_SECRET")}
links:
  - { network: discord, channel: "${channel.id}", room: lobby }
connectors:
  discord:
    token: \${DISCORD_TOKEN}
    apiUrl: ${discord.restUrl}
    cdnUrl: ${discord.cdnUrl}
`,
        { PARLEY_COMPONENT_SECRET: "discord-secret", DISCORD_TOKEN: discord.token },
      );
    }
    if (readme === "apps/slack/README.md") {
      const member = slack.createUser({ name: "ada" });
      const channel = slack.createChannel({ name: "lobby", members: [member.id] });
      return world(
        "slack",
        `${common("slack.parley.test", "PARLEY_COMPONENT_SECRET")}
links:
  - { network: slack, channel: "${channel.id}", room: lobby }
connectors:
  slack:
    botToken: \${SLACK_BOT_TOKEN}
    appToken: \${SLACK_APP_TOKEN}
    apiUrl: ${slack.apiUrl}
`,
        { PARLEY_COMPONENT_SECRET: "slack-secret", SLACK_BOT_TOKEN: slack.botToken, SLACK_APP_TOKEN: slack.appToken },
      );
    }
    if (readme === "apps/matrix/README.md") {
      const listen = await freePort();
      const w = world(
        "matrix",
        `${common("matrix.parley.test", "PARLEY_COMPONENT_SECRET")}
links: []
connectors:
  matrix:
    homeserverUrl: \${MATRIX_HOMESERVER}
    serverName: localhost
    asToken: \${MATRIX_AS_TOKEN}
    hsToken: \${MATRIX_HS_TOKEN}
    listen: { host: 127.0.0.1, port: ${listen} }
`,
        { PARLEY_COMPONENT_SECRET: "matrix-secret", MATRIX_HOMESERVER: "http://127.0.0.1:9", ...tokens },
      );
      // The homeserver loads the registration the bridge's own command writes from this parley.yaml.
      const ran = await runIn(
        w,
        ["parley-matrix", "register", "--config", "parley.yaml", "--out", "world-registration.yaml"],
        "register",
      );
      assertRan(ran, "parley-matrix register for the Matrix README's world");
      const registration = parseYaml(readFileSync(join(w.dir, "world-registration.yaml"), "utf8"));
      synapse = await startSynapse({ appservices: [registration] });
      w.env.MATRIX_HOMESERVER = synapse.url;
      return w;
    }
    return world("plain", "", {});
  }

  it("finds the READMEs and their snippets", async () => {
    const files = await readmes();
    assert.ok(files.includes("README.md") && files.includes("packages/bridge/README.md"), files.join(", "));
    assert.ok(files.flatMap((f) => snippetsOf(ROOT, f)).length >= 20, "the READMEs have their snippets");
  });

  for (const readme of RUN) {
    it(`runs the snippets of ${readme}`, async () => {
      const snippets = snippetsOf(ROOT, readme);
      const w = await worldFor(readme);
      for (const s of snippets) await runSnippet(s, w);
    });
  }

  it("covers every README the repository has", async () => {
    const covered = new Set(RUN);
    const missed = (await readmes()).filter((f) => !covered.has(f) && snippetsOf(ROOT, f).length > 0);
    assert.deepEqual(missed, [], "READMEs with snippets that no test runs");
  });
});
