/**
 * `npm run demo`: the whole round trip on one machine, with no accounts.
 * Starts a real Prosody (localhost, MUC conference.localhost, account
 * demo@localhost / demo), the testkit's fake Discord with a guild, a #lobby
 * channel and a few members, the Discord bridge (SQLite store) linking #lobby
 * with lobby@conference.localhost, the testkit's fake Slack with its own
 * #lobby and the Slack bridge (the real Bolt, Socket Mode) linking it with the
 * same room, and, when Synapse can be had, a real Synapse with the Matrix
 * bridge linking #lobby:localhost with the same room too. Then a prompt acts
 * as the Discord and Slack members (and the Matrix demo user), and what XMPP
 * users write shows up as it reaches Discord and Slack.
 * Ctrl-C (or `quit`) stops everything it started.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConnector } from "@parley/discord";
import { startFakeDiscord, startXmppServer } from "@parley/testkit";
import { envRef, startDemoBridge } from "./demo-bridge.ts";
import { type MatrixSide, startMatrixSide } from "./matrix-side.ts";
import { runPrompt } from "./prompt.ts";
import { ensureProsody } from "./prosody-check.ts";
import { startSlackSide } from "./slack-side.ts";

const DOMAIN = "localhost";
const MUC = `conference.${DOMAIN}`;
const ROOM = `lobby@${MUC}`;

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
    // Stopping anyway: a part that fails to stop is gone with the process a moment later.
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
  const discordComponent = { domain: `discord.${DOMAIN}`, secret: randomBytes(12).toString("hex") };
  const slackComponent = { domain: `slack.${DOMAIN}`, secret: randomBytes(12).toString("hex") };
  const matrixComponent = { domain: `matrix.${DOMAIN}`, secret: randomBytes(12).toString("hex") };

  say("starting Prosody…");
  const c2sPort = (await portFree(5222)) ? 5222 : undefined;
  const server = await startXmppServer("prosody", {
    domain: DOMAIN,
    mucDomain: MUC,
    ...(c2sPort !== undefined && { c2sPort }),
    components: [discordComponent, slackComponent, matrixComponent],
    accounts: [{ local: "demo", password: "demo" }],
  });
  cleanups.push(() => server.stop());

  say("starting the fake Discord…");
  const discord = await startFakeDiscord({ botName: "Parley" });
  cleanups.push(() => discord.stop());
  const guild = discord.createGuild({ name: "Parley demo" });
  const lobby = discord.createChannel(guild.id, { name: "lobby" });
  const members = ["Ada", "Grace", "Linus"].map((name) =>
    discord.addMember(guild.id, { username: name.toLowerCase(), globalName: name, avatar: true }),
  );
  for (const m of members) discord.setPresence(m.user.id, { status: "online" });

  say("starting the Discord bridge…");
  const discordBridge = await startDemoBridge({
    server,
    network: "discord",
    domain: discordComponent.domain,
    secret: discordComponent.secret,
    dir,
    channel: lobby.id,
    room: ROOM,
    connectorYaml: [
      `    token: ${envRef("DISCORD_TOKEN")}`,
      `    apiUrl: ${discord.restUrl}`,
      `    cdnUrl: ${discord.cdnUrl}`,
    ].join("\n"),
    env: { DISCORD_TOKEN: discord.token },
    makeConnector: createConnector,
    say,
  });
  cleanups.push(() => discordBridge.bridge.stop());

  const slack = await startSlackSide({
    server,
    domain: slackComponent.domain,
    secret: slackComponent.secret,
    dir,
    room: ROOM,
    say,
    cleanups,
  });

  let matrix: MatrixSide | undefined;
  if (process.env.PARLEY_DEMO_MATRIX !== "0") {
    try {
      matrix = await startMatrixSide({
        server,
        domain: matrixComponent.domain,
        secret: matrixComponent.secret,
        dir,
        room: ROOM,
        say,
        cleanups,
      });
    } catch (e) {
      say(`the Matrix side is left out: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  const port = server.c2sPort;
  say(`
Parley demo is running.

  XMPP server   ${DOMAIN}, port ${port}${port === 5222 ? "" : " (5222 was taken)"}, no TLS
  account       demo@${DOMAIN}   password: demo
  room          ${ROOM}   (linked to #lobby on the fake Discord, #lobby on the fake Slack${matrix ? " and #lobby:localhost on Matrix" : ""})
${
  matrix
    ? `  Matrix        homeserver ${matrix.synapse.url}   user: demo   password: demo   room: #lobby:localhost\n`
    : ""
}  logs          ${discordBridge.logFile}\n                ${slack.logFile}${matrix ? `\n                ${matrix.logFile}` : ""}

Connect any XMPP client (Gajim, Dino, Conversations, profanity…) as demo@${DOMAIN}
with password "demo"${port === 5222 ? "" : `, server 127.0.0.1 port ${port}`}, allow plain-text login on localhost,
and join ${ROOM}. Ada, Grace and Linus are there, from Discord; Hedy and Barbara, from Slack.${
    matrix ? `\nA Matrix client (Element…) pointed at ${matrix.synapse.url} sees the same conversation.` : ""
  }
Type "help" below to act as them; what you write in the room shows up here as it reaches Discord and Slack.
`);

  await runPrompt({ discord, guildId: guild.id, channelId: lobby.id, members, slack, matrix, say });
  await stopAll(0);
}

main().catch((e: unknown) => {
  say(`the demo could not start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
