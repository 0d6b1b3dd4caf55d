/**
 * Privileged intents in the fake Discord, as the real one gates them: the
 * application's flags say which are on, and a login asking for one that is
 * off is closed with 4014, which discord.js reports as disallowed intents.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client, GatewayIntentBits } from "discord.js";
import { ApplicationFlags } from "discord-api-types/v10";
import { type FakeDiscord, startFakeDiscord } from "../src/discord/index.ts";

async function applicationFlags(fake: FakeDiscord): Promise<number> {
  const answer = await fetch(`${fake.restUrl}/v10/applications/@me`, {
    headers: { Authorization: `Bot ${fake.token}` },
  });
  assert.equal(answer.status, 200);
  return ((await answer.json()) as { flags: number }).flags;
}

function login(fake: FakeDiscord, intents: number[]): Promise<Client> {
  const client = new Client({ intents, rest: { api: fake.restUrl, cdn: fake.cdnUrl } });
  return client.login(fake.token).then(
    () => client,
    async (e: unknown) => {
      await client.destroy();
      throw e;
    },
  );
}

describe("fake Discord: privileged intents", () => {
  let fake: FakeDiscord;
  before(async () => {
    fake = await startFakeDiscord();
    fake.createGuild({ name: "Intents" });
  });
  after(async () => {
    await fake?.stop();
  });

  it("are all on at start: the flags show them (as for a bot in fewer than 100 servers) and a login with them works", async () => {
    const flags = await applicationFlags(fake);
    for (const flag of [
      ApplicationFlags.GatewayPresenceLimited,
      ApplicationFlags.GatewayGuildMembersLimited,
      ApplicationFlags.GatewayMessageContentLimited,
    ]) {
      assert.equal(flags & flag, flag);
    }
    const client = await login(fake, [GatewayIntentBits.Guilds, GatewayIntentBits.MessageContent]);
    await client.destroy();
  });

  it("turned off, leave the flags and close a login asking for them with 4014", async () => {
    fake.setPrivilegedIntents({ MessageContent: false });
    assert.equal((await applicationFlags(fake)) & ApplicationFlags.GatewayMessageContentLimited, 0);
    await assert.rejects(login(fake, [GatewayIntentBits.Guilds, GatewayIntentBits.MessageContent]), /disallowed/i);
    const client = await login(fake, [GatewayIntentBits.Guilds]);
    await client.destroy();
    fake.setPrivilegedIntents({ MessageContent: true });
    assert.notEqual((await applicationFlags(fake)) & ApplicationFlags.GatewayMessageContentLimited, 0);
  });
});
