/** parley.yaml: loading, defaults, ${ENV} secrets, and errors that name the field, the problem and the fix. */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the config syntax under test is ${NAME}
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { z } from "zod";
import {
  type BridgeConfig,
  ConfigError,
  loadConfig,
  publicUrlFor,
  redactedConfig,
  secretsOf,
} from "../src/config/index.ts";

const EXAMPLE = new URL("../examples/parley.example.yaml", import.meta.url);
const MINIMAL = "xmpp:\n  domain: discord.example.org\n  secret: s3cr3t-component\n";

/** Loads `text` expecting a ConfigError, and returns it. */
function configError(text: string, options: Parameters<typeof loadConfig>[1] = {}): ConfigError {
  try {
    loadConfig({ text }, { env: {}, ...options });
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail("the config was accepted");
}

function issueAt(e: ConfigError, path: string) {
  const issue = e.issues.find((i) => i.path === path);
  assert.ok(issue, `no issue at ${path}; got:\n${e.message}`);
  return issue;
}

describe("loadConfig: valid files", () => {
  it("loads the shipped example with its secrets from the environment", () => {
    const c = loadConfig(
      { path: EXAMPLE.pathname },
      { env: { PARLEY_COMPONENT_SECRET: "component-secret-1", DISCORD_TOKEN: "discord-token-1" } },
    );
    assert.equal(c.xmpp.domain, "discord.example.org");
    assert.equal(c.xmpp.secret, "component-secret-1");
    assert.deepEqual(c.connectors, { discord: { token: "discord-token-1" } });
    assert.deepEqual(c.links, [
      { network: "discord", channel: "1234", room: "lobby@conference.example.org" },
      { network: "discord", channel: "5678", room: "offtopic@conference.example.org" },
    ]);
    assert.deepEqual(c.admins, ["admin@example.org"]);
  });

  it("the example also passes a connector's own schema", () => {
    const c = loadConfig(
      { path: EXAMPLE.pathname },
      {
        env: { PARLEY_COMPONENT_SECRET: "x1234567", DISCORD_TOKEN: "t1234567" },
        connectorSchemas: { discord: z.strictObject({ token: z.string(), intents: z.number().default(513) }) },
      },
    );
    assert.deepEqual(c.connectors.discord, { token: "t1234567", intents: 513 });
  });

  it("takes connectors.<name>.package out of the connector's section, a relative path made absolute", () => {
    const text = `${MINIMAL}connectors:\n  discord: { token: t1234567, package: ./vendor/discord }\n  acme: { package: "@acme/parley-chat" }\n`;
    const c = loadConfig({ path: "/etc/parley/parley.yaml", text }, { env: {} });
    assert.deepEqual(c.connectors, { discord: { token: "t1234567" }, acme: {} });
    assert.deepEqual(c.connectorPackages, { discord: "/etc/parley/vendor/discord", acme: "@acme/parley-chat" });
    const strict = loadConfig(
      { text: `${MINIMAL}connectors:\n  discord: { token: t1234567, package: "@parley/discord" }\n` },
      { env: {}, connectorSchemas: { discord: z.strictObject({ token: z.string() }) } },
    );
    assert.deepEqual(strict.connectors.discord, { token: "t1234567" }, "a connector's strict schema allows it");
    assert.equal(strict.connectorPackages.discord, "@parley/discord");
  });

  it("fills every default around the two required fields", () => {
    const c = loadConfig({ text: MINIMAL }, { env: {} });
    const expected: BridgeConfig = {
      xmpp: {
        host: "127.0.0.1",
        port: 5347,
        domain: "discord.example.org",
        secret: "s3cr3t-component",
        // Bounded by age: the message count is only a safety bound, far above what a room says in a day.
        catchUp: { maxMessages: 1_000_000, maxAgeHours: 24 },
        limits: { maxDepth: 256, maxStanzaLength: 1_000_000, maxPostsPerMessage: 5, messagesPerMinute: 0, burst: 10 },
      },
      store: { url: "sqlite:parley.db", retention: { messagesDays: 90, ledgerDays: 30 } },
      http: { host: "127.0.0.1", port: 8787, publicUrl: "http://127.0.0.1:8787" },
      ops: { host: "127.0.0.1", port: 8788 },
      delivery: { drainSeconds: 10, retrySeconds: 600 },
      log: { level: "info" },
      admins: [],
      permissions: {},
      media: { maxBytes: 26_214_400, dir: "./media", allowPrivateAddresses: false },
      links: [],
      connectors: {},
      connectorPackages: {},
    };
    assert.deepEqual(c, expected);
  });

  it("derives publicUrl from host and port, and leaves it to the bound port when port is 0", () => {
    const v6 = loadConfig({ text: `${MINIMAL}http: { host: "::1", port: 9000 }\n` }, { env: {} });
    assert.equal(v6.http.publicUrl, "http://[::1]:9000");
    const given = loadConfig({ text: `${MINIMAL}http: { publicUrl: "https://bridge.example.org/" }\n` }, { env: {} });
    assert.equal(given.http.publicUrl, "https://bridge.example.org");
    const free = loadConfig({ text: `${MINIMAL}http: { port: 0 }\n` }, { env: {} });
    assert.equal(free.http.publicUrl, undefined);
    assert.equal(publicUrlFor(free.http, 41234), "http://127.0.0.1:41234");
    assert.equal(publicUrlFor(given.http, 41234), "https://bridge.example.org");
  });

  it("reads the ops listener, a metrics token and the retention periods", () => {
    const c = loadConfig(
      {
        text: `${MINIMAL}ops: { host: "::1", port: 0, metricsToken: \${TOKEN} }\nstore: { retention: { messagesDays: 0, ledgerDays: "7" } }\n`,
      },
      { env: { TOKEN: "a-long-metrics-token-0123456789" } },
    );
    assert.deepEqual(c.ops, { host: "::1", port: 0, metricsToken: "a-long-metrics-token-0123456789" });
    assert.deepEqual(c.store.retention, { messagesDays: 0, ledgerDays: 7 });
    const both = loadConfig({ text: `${MINIMAL}http: { port: 0 }\nops: { port: 0 }\n` }, { env: {} });
    assert.equal(both.ops.port, 0, "two free ports never clash");
    const apart = loadConfig(
      { text: `${MINIMAL}http: { host: 10.0.0.1, port: 9000 }\nops: { port: 9000 }\n` },
      { env: {} },
    );
    assert.equal(apart.ops.port, 9000, "one port on two distinct addresses is fine");
  });

  it("normalizes JIDs and resolves bare room names against xmpp.mucDomain", () => {
    const c = loadConfig(
      {
        text: `xmpp:\n  domain: Discord.Example.org\n  secret: x\n  mucDomain: Conference.Example.org\nadmins: [Admin@Example.org]\nlinks:\n  - { network: discord, channel: "1", room: Lobby }\n  - { network: discord, channel: "2", room: Other@Muc.Example.org }\n`,
      },
      { env: {} },
    );
    assert.equal(c.xmpp.domain, "discord.example.org");
    assert.deepEqual(c.admins, ["admin@example.org"]);
    assert.deepEqual(
      c.links.map((l) => l.room),
      ["lobby@conference.example.org", "other@muc.example.org"],
    );
  });
});

describe("loadConfig: ${ENV} interpolation", () => {
  it("replaces references anywhere in a value, including inside { } flow mappings", () => {
    const c = loadConfig(
      {
        text: "xmpp: { domain: discord.example.org, secret: ${SECRET}, port: ${PORT} }\nstore:\n  url: postgres://parley:${PGPASS}@db.example.org/parley\nmedia: { allowPrivateAddresses: ${LAN} }\n",
      },
      { env: { SECRET: "from-env", PORT: "5348", PGPASS: "pg-pass", LAN: "true" } },
    );
    assert.equal(c.xmpp.secret, "from-env");
    assert.equal(c.xmpp.port, 5348);
    assert.equal(c.store.url, "postgres://parley:pg-pass@db.example.org/parley");
    assert.equal(c.media.allowPrivateAddresses, true);
  });

  it("treats $${X} as a literal ${X} and never re-reads an environment value", () => {
    const c = loadConfig(
      { text: "xmpp:\n  domain: discord.example.org\n  secret: a$${NOT_READ}b${S}\n" },
      { env: { NOT_READ: "oops", S: "-${NOT_READ}" } },
    );
    assert.equal(c.xmpp.secret, "a${NOT_READ}b-${NOT_READ}");
  });

  it("keeps an environment value one string even when it looks like YAML", () => {
    const c = loadConfig(
      { text: "xmpp:\n  domain: discord.example.org\n  secret: ${S}\n" },
      { env: { S: "x\nadmins: [evil@example.org]\n" } },
    );
    assert.equal(c.xmpp.secret, "x\nadmins: [evil@example.org]\n");
    assert.deepEqual(c.admins, []);
  });

  it("names the unset variable, the field and both fixes", () => {
    const e = configError("xmpp:\n  domain: discord.example.org\n  secret: ${PARLEY_XMPP_SECRET}\n");
    assert.equal(e.issues.length, 1);
    assert.equal(
      e.message,
      "config field `xmpp.secret`: `xmpp.secret` uses ${PARLEY_XMPP_SECRET}, which is not set; export PARLEY_XMPP_SECRET or write the value in the file",
    );
    assert.match(
      e.message,
      /`xmpp\.secret` uses \$\{PARLEY_XMPP_SECRET\}, which is not set; export PARLEY_XMPP_SECRET or write the value in the file/,
    );
    assert.equal(issueAt(e, "xmpp.secret").line, 3);
  });

  it("reports a malformed reference", () => {
    const e = configError("xmpp:\n  domain: discord.example.org\n  secret: ${not-a-name}\n");
    assert.match(issueAt(e, "xmpp.secret").problem, /does not start an environment reference/);
  });

  it("uses process.env by default", () => {
    process.env.PARLEY_TEST_CONFIG_SECRET = "from-process-env";
    try {
      const c = loadConfig({ text: "xmpp: { domain: d.example.org, secret: ${PARLEY_TEST_CONFIG_SECRET} }\n" });
      assert.equal(c.xmpp.secret, "from-process-env");
    } finally {
      delete process.env.PARLEY_TEST_CONFIG_SECRET;
    }
  });
});

describe("loadConfig: errors name the field, the problem and the fix", () => {
  it("catches typos in keys with a suggestion", () => {
    const e = configError(`${MINIMAL}  prot: 5347\nhttp: { hots: 0.0.0.0 }\nmedia: { maxbytes: 10 }\n`);
    assert.match(e.message, /^config field `xmpp\.prot`: unknown field `xmpp\.prot`; did you mean `port`\?$/m);
    assert.equal(issueAt(e, "http.hots").fix, "did you mean `host`?");
    assert.equal(issueAt(e, "media.maxbytes").fix, "did you mean `maxBytes`?");
    assert.equal(issueAt(e, "xmpp.prot").line, 4);
  });

  it("lists the known fields when nothing is close", () => {
    const e = configError(`${MINIMAL}log: { verbosity: 3 }\nmetrics: {}\n`);
    assert.equal(issueAt(e, "log.verbosity").fix, "remove it; the fields here are level");
    assert.match(
      issueAt(e, "metrics").fix,
      /remove it; the fields here are xmpp, store, http, ops, delivery, log, admins, permissions, media, links, connectors/,
    );
  });

  it("lists every problem at once, one line each, in the documented format", () => {
    const e = configError(
      "xmpp:\n  port: 99999\nstore: { url: mysql://x }\nhttp: { port: abc }\nlog: { level: loud }\nadmins: [alice@example.org/phone]\nmedia: { maxBytes: -1, allowPrivateAddresses: maybe }\nlinks:\n  - { network: discord, channel: 1234, room: a@b/c }\n",
    );
    const lines = e.message.split("\n");
    assert.equal(lines.length, e.issues.length);
    for (const line of lines) assert.match(line, /^config field `[^`]+`: .+; .+$/);
    assert.equal(issueAt(e, "xmpp.domain").problem, "is required");
    assert.equal(issueAt(e, "xmpp.secret").problem, "is required");
    assert.equal(issueAt(e, "xmpp.port").problem, "must be at most 65535");
    assert.match(issueAt(e, "xmpp.port").fix, /usually 5347/);
    assert.match(issueAt(e, "store.url").problem, /not a sqlite: or postgres:\/\/ URL/);
    assert.equal(issueAt(e, "http.port").problem, "must be a number, not text");
    assert.equal(issueAt(e, "log.level").problem, "must be one of debug, info, warn, error");
    assert.match(issueAt(e, "admins[0]").problem, /full JID/);
    assert.equal(issueAt(e, "media.maxBytes").problem, "must be at least 1");
    assert.equal(issueAt(e, "media.allowPrivateAddresses").problem, "must be true or false, not text");
    assert.match(issueAt(e, "links[0].channel").fix, /in quotes/);
    assert.match(issueAt(e, "links[0].room").problem, /not a room JID/);
  });

  it("refuses an ops listener on the http listener's address, naming ops.port and the fix", () => {
    for (const text of [
      "http: { port: 9000 }\nops: { port: 9000 }\n",
      "http: { host: 0.0.0.0, port: 9000 }\nops: { port: 9000 }\n",
      'ops: { host: "::", port: 8787 }\n',
      "http: { host: Bridge.Example.org, port: 9000 }\nops: { host: bridge.example.org, port: 9000 }\n",
    ]) {
      const e = configError(`${MINIMAL}${text}`);
      assert.equal(e.issues.length, 1, text);
      assert.equal(
        e.message,
        "config field `ops.port`: is the port the public http endpoint listens on, at the same or an overlapping host; the ops endpoint needs a listener of its own; write a port from 1 to 65535 that http.port does not use (default 8788), or 0 to pick a free one",
      );
    }
  });

  it("refuses a metrics token that is short or cannot be a bearer token, quoting neither", () => {
    const short = configError(`${MINIMAL}ops: { metricsToken: tiny }\n`);
    assert.equal(issueAt(short, "ops.metricsToken").problem, "is shorter than 16 characters");
    assert.match(issueAt(short, "ops.metricsToken").fix, /at least 16 letters and digits.*or remove it/);
    const spaced = configError(`${MINIMAL}ops: { metricsToken: "has spaces in the-token value" }\n`);
    assert.match(issueAt(spaced, "ops.metricsToken").problem, /characters a bearer token cannot carry/);
    assert.ok(!spaced.message.includes("the-token"));
  });

  it("refuses stanza limits too small for ordinary messages, naming the field and the range", () => {
    const e = configError(`${MINIMAL}  limits: { maxDepth: 4, maxStanzaLength: 500 }\n`);
    assert.equal(issueAt(e, "xmpp.limits.maxDepth").problem, "must be at least 16");
    assert.match(issueAt(e, "xmpp.limits.maxDepth").fix, /from 16 to 10000 \(default 256\)/);
    assert.equal(issueAt(e, "xmpp.limits.maxStanzaLength").problem, "must be at least 10000");
    assert.match(issueAt(e, "xmpp.limits.maxStanzaLength").fix, /dropped on its own/);
    const set = loadConfig({ text: `${MINIMAL}  limits: { maxDepth: 64 }\n` }, { env: {} });
    assert.deepEqual(set.xmpp.limits, {
      maxDepth: 64,
      maxStanzaLength: 1_000_000,
      maxPostsPerMessage: 5,
      messagesPerMinute: 0,
      burst: 10,
    });
  });

  it("refuses retention periods that are not whole days, or shorter than a catch-up reaches", () => {
    const e = configError(`${MINIMAL}store: { retention: { messagesDays: -1, ledgerDays: 1.5, keepAll: true } }\n`);
    assert.equal(issueAt(e, "store.retention.messagesDays").problem, "must be at least 0");
    assert.match(issueAt(e, "store.retention.messagesDays").fix, /or 0 to keep every message for ever/);
    assert.equal(issueAt(e, "store.retention.ledgerDays").problem, "must be a whole number");
    assert.match(issueAt(e, "store.retention.keepAll").fix, /the fields here are messagesDays, ledgerDays/);
    const short = configError(
      `${MINIMAL}  catchUp: { maxAgeHours: 49 }\nstore: { retention: { messagesDays: 2, ledgerDays: 3 } }\n`,
    );
    assert.equal(short.issues.length, 1);
    assert.equal(
      short.message,
      "config field `store.retention.messagesDays`: is shorter than a catch-up reaches back (xmpp.catchUp.maxAgeHours); write how many days edits, deletions, replies and reactions can still find a message (default 90), at least xmpp.catchUp.maxAgeHours / 24, or 0 to keep every message for ever",
    );
    const forever = loadConfig(
      {
        text: `${MINIMAL}  catchUp: { maxAgeHours: 720 }\nstore: { retention: { messagesDays: 0, ledgerDays: 30 } }\n`,
      },
      { env: {} },
    );
    assert.deepEqual(forever.store.retention, { messagesDays: 0, ledgerDays: 30 });
  });

  it("refuses a bare room name without xmpp.mucDomain", () => {
    const e = configError(`${MINIMAL}links:\n  - { network: discord, channel: "1", room: lobby }\n`);
    assert.equal(
      e.message,
      "config field `links[0].room`: is a bare room name but xmpp.mucDomain is not set; write the room's JID, e.g. lobby@conference.example.org, or set xmpp.mucDomain to use bare names",
    );
  });

  it("validates connector sections with their schemas and refuses unknown connectors", () => {
    const schemas = { discord: z.strictObject({ token: z.string().min(10) }) };
    const e = configError(
      `${MINIMAL}links:\n  - { network: slack, channel: "1", room: a@b.example.org }\nconnectors:\n  discord: { token: short, tokn: x }\n  dicsord: {}\n`,
      { connectorSchemas: schemas },
    );
    assert.equal(issueAt(e, "connectors.discord.token").problem, "must be at least 10 characters long");
    assert.equal(issueAt(e, "connectors.discord.tokn").fix, "did you mean `token`?");
    assert.equal(issueAt(e, "connectors.dicsord").fix, "did you mean `discord`?");
    const missing = configError(MINIMAL, { connectorSchemas: schemas });
    assert.equal(issueAt(missing, "connectors.discord.token").problem, "is required");
    const wrongNetwork = configError(
      `${MINIMAL}links:\n  - { network: slack, channel: "1", room: a@b.example.org }\nconnectors:\n  discord: { token: long-enough-token }\n`,
      { connectorSchemas: schemas },
    );
    assert.match(issueAt(wrongNetwork, "links[0].network").problem, /does not run \(it runs discord\)/);
  });

  it("gives line and column for YAML syntax errors", () => {
    const e = configError('xmpp:\n  domain: discord.example.org\n  secret: "unclosed\n');
    assert.equal(e.issues.length, 1);
    const issue = e.issues[0];
    assert.ok(issue);
    assert.equal(issue.path, "");
    assert.equal(typeof issue.line, "number");
    assert.match(
      e.message,
      /^config file `\(inline text\)`, line \d+, column \d+: is not valid YAML \(missing closing "quote\); /,
    );
    const tab = configError("xmpp:\n\tdomain: x\n");
    assert.match(tab.message, /line 2, column 1: indents with a tab; indent with spaces/);
    const dup = configError(`${MINIMAL}log: { level: info }\nlog: { level: warn }\n`);
    assert.match(dup.message, /line 5, column 1: a key appears twice in the same mapping; keep one of them/);
  });

  it("names the path of a missing file", () => {
    const dir = mkdtempSync(join(tmpdir(), "parley-config-"));
    try {
      const path = join(dir, "nope.yaml");
      assert.throws(
        () => loadConfig({ path }),
        (e: unknown) =>
          e instanceof ConfigError &&
          e.issues.length === 1 &&
          e.message.includes(`config file \`${path}\``) &&
          e.message.includes(`does not exist (looked for ${path})`) &&
          e.message.includes("examples/parley.example.yaml"),
      );
      assert.throws(() => loadConfig({ path: dir }), /is a directory, not a file/);
      const file = join(dir, "ok.yaml");
      writeFileSync(file, MINIMAL);
      assert.equal(loadConfig({ path: file }, { env: {} }).xmpp.secret, "s3cr3t-component");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses files that are not a mapping, and hostile YAML, with a ConfigError", () => {
    assert.match(configError("- a\n- b\n").message, /is not a mapping of sections/);
    assert.equal(issueAt(configError(""), "xmpp").problem, "is required");
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n`;
    assert.match(configError(bomb).message, /aliases/);
    assert.match(configError("a: *undefined\n").message, /config file/);
    const deep = `${MINIMAL}connectors:\n  x: ${"[".repeat(200)}${"]".repeat(200)}\n`;
    assert.ok(configError(deep).issues.length > 0);
    assert.match(configError("xmpp: !!binary x\n").message, /config/);
  });
});

describe("secrets", () => {
  const withSecrets = [
    "xmpp:\n  domain: discord.example.org\n  secret: ${S}\n",
    "store: { url: 'postgres://parley:p%40ss-w0rd-long@db.example.org/parley' }\n",
    "ops: { metricsToken: ${M} }\n",
    "connectors:\n  discord: { token: ${T}, botName: Parley, nested: { apiKey: key-value-123 } }\n",
  ].join("");
  const env = { S: "component-secret-xyz", T: "discord-token-xyz", M: "metrics-token-0123456789" };

  it("secretsOf finds the component secret, the URL password and connector credentials", () => {
    const c = loadConfig({ text: withSecrets }, { env });
    const s = secretsOf(c);
    for (const v of [
      "component-secret-xyz",
      "discord-token-xyz",
      "key-value-123",
      "p%40ss-w0rd-long",
      "p@ss-w0rd-long",
      "metrics-token-0123456789",
    ]) {
      assert.ok(s.includes(v), `missing ${v}`);
    }
    assert.ok(!s.includes("Parley"));
  });

  it("redactedConfig hides every secret and keeps the rest", () => {
    const c = loadConfig({ text: withSecrets }, { env });
    const r = redactedConfig(c);
    const printed = JSON.stringify(r);
    for (const v of secretsOf(c)) assert.ok(!printed.includes(v), `${v} printed`);
    assert.equal(r.xmpp.secret, "[redacted]");
    assert.deepEqual(r.ops, { host: "127.0.0.1", port: 8788, metricsToken: "[redacted]" });
    assert.deepEqual(r.store.retention, { messagesDays: 90, ledgerDays: 30 });
    assert.equal(r.store.url, "postgres://parley:[redacted]@db.example.org/parley");
    assert.deepEqual(r.connectors.discord, {
      token: "[redacted]",
      botName: "Parley",
      nested: { apiKey: "[redacted]" },
    });
    assert.equal(r.xmpp.domain, "discord.example.org");
    assert.equal(c.xmpp.secret, "component-secret-xyz", "the original is untouched");
  });

  it("never puts a secret or an environment value in an error message", () => {
    const secretChars = fc.stringMatching(/^[A-Za-z0-9_+/=-]{8,40}$/);
    fc.assert(
      fc.property(secretChars, secretChars, secretChars, (fileSecret, envSecret, envPort) => {
        const text = [
          "xmpp:",
          `  domain: "${fileSecret}@bad/jid"`,
          `  secret: ${fileSecret}`,
          "  port: ${PORT}",
          `store: { url: "postgres://u:${fileSecret}@" }`,
          "http: { publicUrl: ${PORT} }",
          "connectors:",
          "  discord: { token: ${TOKEN}, password: [1] }",
          `  other: { apiKey: "${fileSecret}" }`,
          `admins: ["${envSecret}/x", "\${TOKEN}"]`,
          "links: [{ network: ${TOKEN}, channel: ${PORT}, room: ${PORT} }]",
        ].join("\n");
        let error: unknown;
        try {
          loadConfig(
            { text },
            {
              env: { TOKEN: envSecret, PORT: envPort },
              connectorSchemas: { discord: z.strictObject({ token: z.number(), password: z.string() }) },
            },
          );
        } catch (e) {
          error = e;
        }
        assert.ok(error instanceof ConfigError);
        const all = [error.message, ...error.issues.flatMap((i) => [i.problem, i.fix, i.path])].join("\n");
        for (const v of [fileSecret, envSecret, envPort]) assert.ok(!all.includes(v), `leaked ${v}:\n${all}`);
      }),
      { numRuns: 60 },
    );
  });

  it("keeps a secret out of YAML syntax errors", () => {
    const e = configError('xmpp:\n  secret: "abc\\qsupersecret-tail"\n');
    assert.ok(!e.message.includes("supersecret"));
    assert.ok(!e.message.includes("\\q"));
    assert.match(e.message, /invalid escape sequence/);
  });
});
