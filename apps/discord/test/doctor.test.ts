/**
 * The Discord side of `parley doctor` against the fake Discord: a good setup
 * passes; a wrong token, privileged intents turned off, and channels where
 * the bot lacks a permission (by a member overwrite, as a server admin sets
 * one) each fail or warn with the fix. The permission arithmetic itself,
 * with roles and overwrites the fake does not set up, is tested alone.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import { type DoctorCheck, loadConfig, runCli, silentLogger } from "@parley/bridge";
import { type FakeDiscord, freePort, startFakeDiscord } from "@parley/testkit";
import type { APIChannel } from "discord-api-types/v10";
import { OverwriteType, PermissionFlagsBits } from "discord-api-types/v10";
import { diagnose } from "../src/doctor.ts";
import { channelPermissions, missingPermissions } from "../src/doctor-permissions.ts";

const config = loadConfig({ text: "xmpp: { domain: discord.parley.test, secret: s }\nconnectors: { discord: {} }" });

describe("parley doctor for Discord, against the fake Discord", () => {
  let fake: FakeDiscord;
  let general: APIChannel;
  let hooks: APIChannel;
  let reactions: APIChannel;
  let hidden: APIChannel;

  const run = (channels: readonly string[], token?: string): Promise<DoctorCheck[]> =>
    diagnose({ token: token ?? fake.token, apiUrl: fake.restUrl }, { logger: silentLogger, channels, config });
  const about = (checks: readonly DoctorCheck[], subject: RegExp): DoctorCheck => {
    const c = checks.find((x) => subject.test(x.subject));
    assert.ok(c, `no check about ${subject} in ${JSON.stringify(checks, null, 2)}`);
    return c;
  };

  before(async () => {
    fake = await startFakeDiscord();
    const guild = fake.createGuild({ name: "Doctor" });
    general = fake.createChannel(guild.id, { name: "general" });
    hooks = fake.createChannel(guild.id, { name: "nohooks" });
    reactions = fake.createChannel(guild.id, { name: "noreactions" });
    hidden = fake.createChannel(guild.id, { name: "hidden" });
    fake.denyPermission(hooks.id, "ManageWebhooks");
    fake.denyPermission(reactions.id, "AddReactions");
    fake.denyPermission(hidden.id, "ViewChannel");
  });
  after(async () => {
    await fake?.stop();
  });

  it("passes a good token, the intents on, and a channel with every permission", async () => {
    const checks = await run([general.id]);
    assert.deepEqual(
      checks.map((c) => c.status),
      ["ok", "ok", "ok"],
      JSON.stringify(checks, null, 2),
    );
    assert.match(about(checks, /^Discord token$/).finding, new RegExp(`the bot is ${fake.bot.username}`));
    assert.match(
      about(checks, /^Discord intents$/).finding,
      /Server Members Intent, Presence Intent, Message Content Intent/,
    );
    assert.equal(about(checks, /#general/).subject, `Discord channel #general (${general.id})`);
    assert.deepEqual(fake.violations, [], "every request is one the real API takes");
  });

  it("fails a wrong token, saying to copy a new one from the Developer Portal", async () => {
    const checks = await run([general.id], "not-the-token");
    assert.equal(checks.length, 1, "nothing else can be asked without a token");
    const [token] = checks;
    assert.equal(token?.status, "fail");
    assert.match(token?.finding ?? "", /401/);
    assert.match(token?.fix ?? "", /the token is wrong or was reset: copy a new one from the Developer Portal/);
  });

  it("fails privileged intents turned off, naming their switches", async () => {
    fake.setPrivilegedIntents({ MessageContent: false, GuildPresences: false });
    try {
      const intents = about(await run([]), /^Discord intents$/);
      assert.equal(intents.status, "fail");
      assert.match(intents.finding, /Presence Intent, Message Content Intent turned off.*4014/);
      assert.doesNotMatch(intents.finding, /Server Members/);
      assert.match(
        intents.fix ?? "",
        /Bot > Privileged Gateway Intents: turn on Presence Intent, Message Content Intent/,
      );
    } finally {
      fake.setPrivilegedIntents({ MessageContent: true, GuildPresences: true });
    }
  });

  it("fails a channel where the bot may not manage webhooks, and warns where it may not react", async () => {
    const checks = await run([hooks.id, reactions.id]);
    const noHooks = about(checks, /#nohooks/);
    assert.equal(noHooks.status, "fail");
    assert.match(noHooks.finding, /the bot lacks Manage Webhooks \(to post as the XMPP users/);
    assert.match(noHooks.fix ?? "", /allow Manage Webhooks for the bot's role, or remove the overwrite that denies it/);
    const noReactions = about(checks, /#noreactions/);
    assert.equal(noReactions.status, "warn");
    assert.match(noReactions.finding, /Add Reactions/);
  });

  it("runs through `parley doctor`, which loads diagnose from this package by its name", async () => {
    const dir = mkdtempSync(join(tmpdir(), "parley-discord-doctor-"));
    try {
      const path = join(dir, "parley.yaml");
      writeFileSync(
        path,
        [
          // No XMPP server: the handshake fails, and the Discord checks run all the same.
          `xmpp: { port: ${await freePort()}, domain: discord.parley.test, secret: component-secret, mucDomain: muc.parley.test }`,
          `store: { url: "sqlite:${join(dir, "parley.db")}" }`,
          "ops: { port: 0 }",
          `links: [{ network: discord, channel: "${hooks.id}", room: lobby }]`,
          `connectors: { discord: { token: "${fake.token}", apiUrl: "${fake.restUrl}" } }`,
        ].join("\n"),
      );
      const out = new PassThrough();
      let text = "";
      out.on("data", (chunk: Buffer) => {
        text += chunk.toString("utf8");
      });
      const code = await runCli(["doctor", "--config", path], out, {
        stdin: new PassThrough(),
        stdout: out,
        stderr: out,
      });
      assert.equal(code, 1);
      assert.match(text, /^ok {4}Discord token: accepted/m);
      assert.match(
        text,
        new RegExp(`^FAIL {2}Discord channel #nohooks \\(${hooks.id}\\): the bot lacks Manage Webhooks`, "m"),
      );
      assert.ok(!text.includes(fake.token), "the token stays out of the output");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails a channel the bot cannot see, and one that does not exist", async () => {
    const checks = await run([hidden.id, "123456789012345678"]);
    assert.match(about(checks, new RegExp(hidden.id)).finding, /cannot see it \(Missing Access\)/);
    const unknown = about(checks, /123456789012345678/);
    assert.equal(unknown.status, "fail");
    assert.match(unknown.finding, /no such channel/);
  });
});

describe("Discord permissions as Discord computes them", () => {
  const guildId = "1";
  const bot = "10";
  const base = {
    guildId,
    ownerId: "99",
    userId: bot,
    memberRoles: ["20"],
    roles: [
      { id: guildId, permissions: String(PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages) },
      {
        id: "20",
        permissions: String(
          PermissionFlagsBits.ManageWebhooks | PermissionFlagsBits.ManageMessages | PermissionFlagsBits.AttachFiles,
        ),
      },
    ],
    overwrites: [],
  };
  const role = OverwriteType.Role;
  const member = OverwriteType.Member;
  const has = (bits: bigint, bit: bigint) => (bits & bit) === bit;

  it("adds up @everyone and the member's roles", () => {
    const p = channelPermissions(base);
    assert.ok(has(p, PermissionFlagsBits.ManageWebhooks) && has(p, PermissionFlagsBits.SendMessages));
    assert.deepEqual(
      missingPermissions(p).map((m) => m.name),
      ["Read Message History", "Add Reactions", "Send Messages in Threads", "Create Public Threads"],
    );
  });

  it("gives the owner and an administrator everything, overwrites or not", () => {
    const denyAll = [{ id: bot, type: member, allow: "0", deny: String(PermissionFlagsBits.ViewChannel) }];
    assert.deepEqual(missingPermissions(channelPermissions({ ...base, ownerId: bot, overwrites: denyAll })), []);
    const admin = {
      ...base,
      roles: [...base.roles, { id: "30", permissions: String(PermissionFlagsBits.Administrator) }],
      memberRoles: ["20", "30"],
      overwrites: denyAll,
    };
    assert.deepEqual(missingPermissions(channelPermissions(admin)), []);
  });

  it("applies @everyone's overwrite, then the roles' together, then the member's own", () => {
    const view = String(PermissionFlagsBits.ViewChannel);
    const hooks = String(PermissionFlagsBits.ManageWebhooks);
    // @everyone may not view; the bot's role may again.
    const roleAllows = channelPermissions({
      ...base,
      overwrites: [
        { id: guildId, type: role, allow: "0", deny: view },
        { id: "20", type: role, allow: view, deny: "0" },
      ],
    });
    assert.ok(has(roleAllows, PermissionFlagsBits.ViewChannel));
    // The bot's own overwrite wins over its role's.
    const ownDenies = channelPermissions({
      ...base,
      overwrites: [
        { id: "20", type: role, allow: hooks, deny: "0" },
        { id: bot, type: member, allow: "0", deny: hooks },
      ],
    });
    assert.ok(!has(ownDenies, PermissionFlagsBits.ManageWebhooks));
    // A role overwrite for a role the bot does not have changes nothing.
    const otherRole = channelPermissions({ ...base, overwrites: [{ id: "77", type: role, allow: "0", deny: view }] });
    assert.ok(has(otherRole, PermissionFlagsBits.ViewChannel));
  });

  it("takes everything without View Channel, and files without Send Messages", () => {
    const view = String(PermissionFlagsBits.ViewChannel);
    const send = String(PermissionFlagsBits.SendMessages);
    assert.equal(
      channelPermissions({ ...base, overwrites: [{ id: guildId, type: role, allow: "0", deny: view }] }),
      0n,
    );
    const mute = channelPermissions({ ...base, overwrites: [{ id: bot, type: member, allow: "0", deny: send }] });
    assert.ok(!has(mute, PermissionFlagsBits.AttachFiles), "Attach Files goes with Send Messages");
    assert.ok(has(mute, PermissionFlagsBits.ManageWebhooks));
  });
});
