/**
 * `npm run demo`: the whole round trip on one machine, with no accounts.
 * Starts a real Prosody (localhost, MUC conference.localhost, account
 * demo@localhost / demo), the testkit's fake Discord with a guild, a #lobby
 * channel and a few members, and the Discord bridge (SQLite store) linking
 * #lobby with lobby@conference.localhost. Then a prompt acts as the Discord
 * members, and what XMPP users write shows up as it reaches Discord.
 * Ctrl-C (or `quit`) stops everything it started.
 */
import { randomBytes } from "node:crypto";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bridge, createLogger, loadConfig } from "@parley/bridge";
import { createConnector } from "@parley/discord";
import { type FakeDiscord, startFakeDiscord, startXmppServer, type XmppServer } from "@parley/testkit";
import { type DemoWorld, runPrompt } from "./prompt.ts";
import { ensureProsody } from "./prosody-check.ts";

const DOMAIN = "localhost";
const MUC = `conference.${DOMAIN}`;
const ROOM = `lobby@${MUC}`;
const DISCORD_DOMAIN = `discord.${DOMAIN}`;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** 5222 when nothing listens there, so that XMPP clients find the server by its name alone. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

async function main(): Promise<void> {
  const cleanups: Array<() => Promise<unknown>> = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say("\nstopping…");
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    process.exit(code);
  };
  process.on("SIGINT", () => void stopAll(0));
  process.on("SIGTERM", () => void stopAll(0));

  try {
    await ensureProsody(say);
  } catch (e) {
    say(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }

  const dir = mkdtempSync(join(tmpdir(), "parley-demo-"));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));

  say("starting Prosody…");
  const secret = randomBytes(12).toString("hex");
  const c2sPort = (await portFree(5222)) ? 5222 : undefined;
  const server: XmppServer = await startXmppServer("prosody", {
    domain: DOMAIN,
    mucDomain: MUC,
    ...(c2sPort !== undefined && { c2sPort }),
    components: [{ domain: DISCORD_DOMAIN, secret }],
    accounts: [{ local: "demo", password: "demo" }],
  });
  cleanups.push(() => server.stop());

  say("starting the fake Discord…");
  const discord: FakeDiscord = await startFakeDiscord({ botName: "Parley" });
  cleanups.push(() => discord.stop());
  const guild = discord.createGuild({ name: "Parley demo" });
  const lobby = discord.createChannel(guild.id, { name: "lobby" });
  const members = ["Ada", "Grace", "Linus"].map((name) =>
    discord.addMember(guild.id, { username: name.toLowerCase(), globalName: name, avatar: true }),
  );
  for (const m of members) discord.setPresence(m.user.id, { status: "online" });

  say("starting the Discord bridge…");
  const config = await loadConfig(
    {
      text: `
xmpp:
  host: ${server.host}
  port: ${server.componentPort}
  domain: ${DISCORD_DOMAIN}
  secret: \${SECRET}
  mucDomain: ${MUC}
store:
  url: sqlite:${join(dir, "parley.db")}
http:
  host: 127.0.0.1
  port: 0
log:
  level: warn
media:
  dir: ${join(dir, "media")}
  allowPrivateAddresses: true
admins: ["demo@${DOMAIN}"]
links:
  - { network: discord, channel: "${lobby.id}", room: "${ROOM}" }
connectors:
  discord:
    token: \${DISCORD_TOKEN}
    apiUrl: ${discord.restUrl}
    cdnUrl: ${discord.cdnUrl}
`,
    },
    { env: { SECRET: secret, DISCORD_TOKEN: discord.token } },
  );
  const logFile = join(dir, "bridge.log");
  const logger = createLogger({
    level: "info",
    secrets: [secret, discord.token],
    write: (line) => {
      // Warnings reach the terminal; everything is in the log file for a closer look.
      appendFileSync(logFile, `${line}\n`);
      if (line.includes('"level":"warn"') || line.includes('"level":"error"')) say(`[bridge] ${line}`);
    },
  });
  const connector = await createConnector(config.connectors.discord, { logger, config });
  const bridge = await Bridge.start({ config, connector, logger });
  cleanups.push(() => bridge.stop());

  const port = server.c2sPort;
  say(`
Parley demo is running.

  XMPP server   ${DOMAIN}, port ${port}${port === 5222 ? "" : " (5222 was taken)"}, no TLS
  account       demo@${DOMAIN}   password: demo
  room          ${ROOM}   (linked to #lobby on the fake Discord)
  bridge log    ${logFile}

Connect any XMPP client (Gajim, Dino, Conversations, profanity…) as demo@${DOMAIN}
with password "demo"${port === 5222 ? "" : `, server 127.0.0.1 port ${port}`}, allow plain-text login on localhost,
and join ${ROOM}. Ada, Grace and Linus are there, from Discord.
Type "help" below to act as them; what you write in the room shows up here as it reaches Discord.
`);

  const world: DemoWorld = { discord, guildId: guild.id, channelId: lobby.id, members, say };
  await runPrompt(world);
  await stopAll(0);
}

main().catch((e: unknown) => {
  say(`the demo could not start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
