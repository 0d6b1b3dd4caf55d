/**
 * `parley init` with the built-in reference network: by flags and at a
 * (fake) terminal it writes a parley.yaml that `parley --check` accepts and
 * the server's snippet with the same generated secret, private files, never
 * the secret in full on screen; it refuses to overwrite, and a bad flag is
 * named with its fix.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { after, describe, it } from "node:test";
import { parse } from "yaml";
import { runInit } from "../src/cli/init-command.ts";
import type { ConnectorInit } from "../src/cli/init-connector.ts";
import { runCli } from "../src/index.ts";

const scratch = mkdtempSync(join(tmpdir(), "parley-init-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
let runs = 0;
const freshDir = () => join(scratch, `run-${++runs}`);

/** A stream that keeps what is written to it. */
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

interface InitRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `parley init` through the CLI, with stdin that is not a terminal unless given. */
async function init(argv: readonly string[], stdin: NodeJS.ReadableStream = new PassThrough()): Promise<InitRun> {
  const out = capture();
  const err = capture();
  if (stdin instanceof PassThrough && !(stdin as { isTTY?: boolean }).isTTY) stdin.end();
  const code = await runCli(["init", ...argv], err.stream, { stdin, stdout: out.stream, stderr: err.stream });
  return { code, stdout: out.text(), stderr: err.text() };
}

const flagsFor = (dir: string, server = "prosody") => [
  "--server",
  server,
  "--domain",
  "example.org",
  "--network",
  "reference",
  "--dir",
  dir,
];

interface WrittenConfig {
  xmpp: { domain: string; secret: string; port: number; mucDomain: string };
  admins: string[];
}

const readConfig = (dir: string) => parse(readFileSync(join(dir, "parley.yaml"), "utf8")) as WrittenConfig;

async function check(file: string): Promise<{ code: number; text: string }> {
  const out = capture();
  const code = await runCli(["--config", file, "--check"], out.stream);
  return { code, text: out.text() };
}

describe("parley init by flags", () => {
  for (const server of ["prosody", "ejabberd"] as const) {
    it(`writes a parley.yaml that parley --check accepts and the ${server} snippet with the same secret`, async () => {
      const dir = freshDir();
      const r = await init(flagsFor(dir, server));
      assert.equal(r.code, 0, r.stderr);
      const checked = await check(join(dir, "parley.yaml"));
      assert.equal(checked.code, 0, checked.text);
      assert.match(checked.text, /configuration OK/);

      const config = readConfig(dir);
      assert.equal(config.xmpp.domain, "reference.example.org");
      assert.equal(config.xmpp.mucDomain, "conference.example.org");
      assert.equal(config.xmpp.port, 5347);
      assert.match(config.xmpp.secret, /^[0-9a-f]{48}$/);
      const snippetName = server === "prosody" ? "prosody-parley.cfg.lua" : "ejabberd-parley.yml";
      const snippet = readFileSync(join(dir, snippetName), "utf8");
      assert.ok(snippet.includes(`"${config.xmpp.secret}"`), "the snippet holds the same secret");
      assert.ok(snippet.includes('"reference.example.org"'), "the snippet declares the component");
      assert.ok(snippet.includes('"conference.example.org"'), "the snippet declares the MUC service");

      for (const name of ["parley.yaml", snippetName]) {
        assert.equal(statSync(join(dir, name)).mode & 0o777, 0o600, `${name} is readable by its owner only`);
      }
      assert.ok(!r.stdout.includes(config.xmpp.secret), "the secret is never printed in full");
      assert.ok(r.stdout.includes(config.xmpp.secret.slice(0, 6)), "its start is, to tell it apart");
      assert.match(r.stdout, /parley doctor --config \S*parley\.yaml/);
      assert.match(r.stdout, /parley --config \S*parley\.yaml/);
      assert.match(r.stdout, server === "prosody" ? /systemctl restart prosody/ : /include_config_file/);
    });
  }

  it("generates a different secret on every run", async () => {
    const secrets = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const dir = freshDir();
      assert.equal((await init(flagsFor(dir))).code, 0);
      secrets.add(readConfig(dir).xmpp.secret);
    }
    assert.equal(secrets.size, 3);
  });

  it("takes the optional answers from their flags", async () => {
    const dir = freshDir();
    const r = await init([
      ...flagsFor(dir),
      "--muc-domain=rooms.example.org",
      "--component-domain",
      "bridge.example.org",
      "--component-port",
      "5999",
      "--admin",
      "Me@Example.org",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const config = readConfig(dir);
    assert.equal(config.xmpp.domain, "bridge.example.org");
    assert.equal(config.xmpp.mucDomain, "rooms.example.org");
    assert.equal(config.xmpp.port, 5999);
    assert.deepEqual(config.admins, ["Me@Example.org"]);
    assert.match(readFileSync(join(dir, "prosody-parley.cfg.lua"), "utf8"), /component_ports = \{ 5999 \}/);
  });

  it("refuses to overwrite what exists, and leaves it alone; --force overwrites", async () => {
    const dir = freshDir();
    assert.equal((await init(flagsFor(dir))).code, 0);
    const first = readConfig(dir).xmpp.secret;
    writeFileSync(join(dir, "prosody-parley.cfg.lua"), "-- mine\n");
    const again = await init(flagsFor(dir));
    assert.equal(again.code, 2);
    assert.match(again.stderr, /--force/);
    assert.match(again.stderr, /parley\.yaml/);
    assert.equal(readConfig(dir).xmpp.secret, first, "parley.yaml is untouched");
    assert.equal(readFileSync(join(dir, "prosody-parley.cfg.lua"), "utf8"), "-- mine\n");

    const forced = await init([...flagsFor(dir), "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.notEqual(readConfig(dir).xmpp.secret, first);
  });

  const bad: Array<[string, string[], RegExp]> = [
    [
      "an unknown server",
      ["--server", "openfire"],
      /^parley init: --server is not one of prosody, ejabberd: write it like --server prosody/,
    ],
    ["a JID as the domain", ["--domain", "me@example.org"], /--domain is not a domain name.*--domain example\.org/],
    [
      "a MUC domain that is the server's",
      ["--muc-domain", "example.org"],
      /--muc-domain is the server.s own domain; the rooms need a service of their own: write it like --muc-domain conference\.example\.org/,
    ],
    ["a port out of range", ["--component-port", "70000"], /--component-port is not a port.*--component-port 5347/],
    ["an admin with a resource", ["--admin", "me@example.org/phone"], /--admin is not a bare JID/],
    ["a flag nobody knows", ["--domian", "example.org"], /--domian is not a flag of parley init/],
    [
      "a network without a package",
      ["--network", "nosuchnet"],
      /--network names nosuchnet, but no connector package @parley\/nosuchnet is installed: install it/,
    ],
    ["a word that is not a flag", ["prosody"], /"prosody" is not a flag/],
    ["a flag without its value", ["--dir"], /--dir has no value: write --dir <value>/],
  ];
  for (const [what, change, expected] of bad) {
    it(`names the flag and the fix for ${what}`, async () => {
      const dir = freshDir();
      const argv = [...flagsFor(dir)];
      for (let i = 0; i < change.length; i += 2) {
        const at = argv.indexOf(change[i] as string);
        if (at >= 0 && change[i + 1] !== undefined) argv.splice(at, 2);
      }
      const r = await init([...argv, ...change]);
      assert.equal(r.code, 2, r.stdout);
      assert.match(r.stderr.trim(), expected);
      assert.throws(() => statSync(join(dir, "parley.yaml")), /ENOENT/, "nothing is written");
    });
  }

  it("says which flag is missing when stdin is not a terminal", async () => {
    const r = await init(["--server", "prosody", "--network", "reference", "--dir", freshDir()]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--domain is missing: give it, e\.g\. --domain example\.org/);
  });

  it("prints its usage with --help", async () => {
    const r = await init(["--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /usage: parley init/);
    assert.match(r.stdout, /--component-domain/);
  });
});

describe("parley init at a terminal", () => {
  /** A fake terminal: stdin says it is a TTY, and the answers are typed in advance. */
  function terminal(lines: readonly string[]): PassThrough {
    const stdin = new PassThrough();
    Object.assign(stdin, { isTTY: true });
    stdin.end(`${lines.join("\n")}\n`);
    return stdin;
  }

  it("asks what the flags leave out, takes defaults on empty answers, and asks again after a bad one", async () => {
    const dir = freshDir();
    const answers = [
      "openfire", // server: refused, asked again
      "ejabberd",
      "example.net", // domain
      "reference", // networks
      "example.net", // MUC domain: the server's own, refused
      "", // MUC domain: the default
      "", // component port: the default
      "op@example.net", // admin
      "", // component domain: the default
    ];
    const r = await init(["--dir", dir], terminal(answers));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /XMPP server \(prosody or ejabberd\): +that is not one of prosody, ejabberd/);
    assert.match(
      r.stdout,
      /The MUC service the rooms live on \[conference\.example\.net\]: +that is the server's own domain/,
    );
    const config = readConfig(dir);
    assert.equal(config.xmpp.domain, "reference.example.net");
    assert.equal(config.xmpp.mucDomain, "conference.example.net");
    assert.deepEqual(config.admins, ["op@example.net"]);
    assert.ok(readFileSync(join(dir, "ejabberd-parley.yml"), "utf8").includes(config.xmpp.secret));
    assert.equal((await check(join(dir, "parley.yaml"))).code, 0);
  });

  it("asks nothing a flag answered", async () => {
    const dir = freshDir();
    const r = await init(
      ["--dir", dir, "--server", "prosody", "--network", "reference"],
      terminal(["example.org", "", "", "", ""]),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes("XMPP server (prosody or ejabberd)"));
    assert.match(r.stdout, /The XMPP server's domain: /);
  });

  it("stops with a clear error when the input ends before the answers do", async () => {
    const r = await init(["--dir", freshDir()], terminal(["prosody"]));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /the input ended before "The XMPP server's domain" was answered/);
  });
});

describe("parley init for several networks", () => {
  /** Two connectors of its own: one asks a question, one writes a file. */
  const fakeInits: Record<string, ConnectorInit> = {
    alpha: {
      questions: [{ name: "colour", flag: "alpha-colour", prompt: "Colour", example: "red", default: () => "blue" }],
      build: (c) => ({ section: {}, nextSteps: [`alpha is ${c.answers.colour}`] }),
    },
    beta: {
      questions: [],
      build: (c) => ({
        section: {},
        files: [{ name: "beta-extra.txt", content: `token ${c.newSecret()}\n`, what: "beta's extra", mode: 0o640 }],
      }),
    },
  };
  const load = async (network: string) => {
    const found = fakeInits[network];
    if (!found) throw new Error(`no ${network}`);
    return found;
  };

  it("writes one config per network with its own ports, one snippet with every component, and the connectors' files", async () => {
    const dir = freshDir();
    const out = capture();
    const err = capture();
    const stdin = new PassThrough();
    stdin.end();
    const argv = [
      "--server",
      "prosody",
      "--domain",
      "example.org",
      "--network",
      "alpha,beta",
      "--dir",
      dir,
      "--alpha-colour",
      "red",
    ];
    const code = await runInit(argv, { stdin, stdout: out.stream, stderr: err.stream }, { loadConnectorInit: load });
    assert.equal(code, 0, err.text());
    const alpha = parse(readFileSync(join(dir, "alpha.yaml"), "utf8")) as WrittenConfig & { http: { port: number } };
    const beta = parse(readFileSync(join(dir, "beta.yaml"), "utf8")) as WrittenConfig & { http: { port: number } };
    assert.equal(alpha.xmpp.domain, "alpha.example.org");
    assert.equal(beta.xmpp.domain, "beta.example.org");
    assert.notEqual(alpha.xmpp.secret, beta.xmpp.secret);
    assert.notEqual(alpha.http.port, beta.http.port);
    const snippet = readFileSync(join(dir, "prosody-parley.cfg.lua"), "utf8");
    assert.ok(snippet.includes(alpha.xmpp.secret) && snippet.includes(beta.xmpp.secret));
    assert.equal(statSync(join(dir, "beta-extra.txt")).mode & 0o777, 0o640);
    assert.match(out.text(), /alpha is red/);
  });

  it("lists the networks' own flags in --help", async () => {
    const out = capture();
    const stdin = new PassThrough();
    stdin.end();
    const code = await runInit(
      ["--help", "--network", "alpha"],
      { stdin, stdout: out.stream, stderr: capture().stream },
      { loadConnectorInit: load },
    );
    assert.equal(code, 0);
    assert.match(out.text(), /alpha:\n {2}--alpha-colour <red> {2}Colour\n/);
  });

  it("refuses --component-domain, which could name either", async () => {
    const err = capture();
    const stdin = new PassThrough();
    stdin.end();
    const argv = [
      "--server",
      "prosody",
      "--domain",
      "example.org",
      "--network",
      "alpha,beta",
      "--component-domain",
      "x.example.org",
    ];
    const code = await runInit(
      argv,
      { stdin, stdout: capture().stream, stderr: err.stream },
      { loadConnectorInit: load },
    );
    assert.equal(code, 2);
    assert.match(err.text(), /--component-domain names one bridge's domain.*run parley init once per network/);
  });
});
