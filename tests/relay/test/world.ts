/**
 * One XMPP room linked to three networks at once, each through its own
 * bridge: the real `parley` CLI as three processes, each an XEP-0114
 * component of the same Prosody (discord.<domain>, slack.<domain>,
 * matrix.<domain>) with its own parley.yaml and SQLite store. The networks
 * are the testkit's fake Discord and fake Slack (in this process, so the test
 * drives their users) and a real Synapse with the Matrix bridge registered as
 * an application service. Alice is an XMPP user in the room; Ada (Discord),
 * Anna (Slack) and Bob (Matrix) are the networks' users.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildRegistration, parseMatrixOptions } from "@parley/matrix";
import {
  BridgeProcess,
  type FakeDiscord,
  type FakeSlack,
  freePort,
  type Synapse,
  startFakeDiscord,
  startFakeSlack,
  startSynapse,
  startXmppServer,
  TestClient,
  type XmppServer,
} from "@parley/testkit";
import { MatrixUser } from "./matrix-user.ts";

const PARLEY = fileURLToPath(import.meta.resolve("@parley/bridge/package.json")).replace(
  /package\.json$/,
  "bin/parley.js",
);

export type Network = "discord" | "slack" | "matrix";
export const NETWORKS: readonly Network[] = ["discord", "slack", "matrix"];

export interface RelayWorld {
  readonly dir: string;
  readonly xmpp: XmppServer;
  readonly room: string;
  readonly alice: TestClient;
  readonly discord: FakeDiscord;
  readonly discordChannel: string;
  readonly ada: string;
  readonly slack: FakeSlack;
  readonly slackChannel: string;
  readonly anna: string;
  readonly synapse: Synapse;
  readonly matrixRoom: string;
  readonly bob: MatrixUser;
  /** The Matrix bridge's bot, which joins the linked room. */
  readonly matrixBot: string;
  readonly bridges: Readonly<Record<Network, BridgeProcess>>;
  close(): Promise<void>;
}

/** The parley.yaml of one bridge: what an operator writes, secrets as `${NAME}` read from the environment. */
function writeConfig(o: {
  dir: string;
  network: Network;
  xmpp: XmppServer;
  domain: string;
  opsPort: number;
  channel: string;
  room: string;
  connector: readonly string[];
}): string {
  const file = join(o.dir, `${o.network}.yaml`);
  const lines = [
    "xmpp:",
    `  host: ${o.xmpp.host}`,
    `  port: ${o.xmpp.componentPort}`,
    `  domain: ${o.domain}`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: parley.yaml's `${NAME}`, read from the environment
    "  secret: ${PARLEY_COMPONENT_SECRET}",
    `store: { url: "sqlite:${join(o.dir, `${o.network}.db`)}" }`,
    "http: { host: 127.0.0.1, port: 0 }",
    `ops: { host: 127.0.0.1, port: ${o.opsPort} }`,
    "log: { level: info }",
    `media: { dir: "${join(o.dir, `${o.network}-media`)}", allowPrivateAddresses: true }`,
    "links:",
    `  - { network: ${o.network}, channel: "${o.channel}", room: "${o.room}" }`,
    "connectors:",
    `  ${o.network}:`,
    ...o.connector.map((l) => `    ${l}`),
    "",
  ];
  writeFileSync(file, lines.join("\n"));
  return file;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startRelayWorld(): Promise<RelayWorld> {
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch((e: unknown) => process.stderr.write(`relay: cleanup: ${e}\n`));
  };
  try {
    const dir = mkdtempSync(join(tmpdir(), "parley-relay-"));
    closers.push(async () => {
      if (process.env.PARLEY_KEEP_SERVERS !== "1") rmSync(dir, { recursive: true, force: true });
    });
    const secret = () => randomBytes(12).toString("hex");
    const components = Object.fromEntries(
      NETWORKS.map((n) => [n, { domain: `${n}.localhost`, secret: secret() }]),
    ) as Record<Network, { domain: string; secret: string }>;
    const xmpp = await startXmppServer("prosody", {
      domain: "localhost",
      components: NETWORKS.map((n) => components[n]),
    });
    closers.push(() => xmpp.stop());
    const account = xmpp.accounts[0];
    if (!account) throw new Error("the XMPP server has no account");
    const room = `lobby-${randomBytes(3).toString("hex")}@${xmpp.mucDomain}`;
    const alice = await TestClient.connect(xmpp, account);
    closers.push(() => alice.stop());
    await alice.joinRoom(room, "alice");

    const discord = await startFakeDiscord({ botName: "Parley" });
    closers.push(() => discord.stop());
    const guild = discord.createGuild({ name: "Relay" });
    const discordChannel = discord.createChannel(guild.id, { name: "lobby" }).id;
    const ada = discord.addMember(guild.id, { username: "ada", globalName: "Ada" }).user.id;

    const slack = await startFakeSlack({ botName: "Parley" });
    closers.push(() => slack.stop());
    const anna = slack.createUser({ name: "anna", realName: "Anna Smith", displayName: "Anna", presence: "active" }).id;
    const slackChannel = slack.createChannel({ name: "lobby", members: [anna] }).id;

    const asPort = await freePort();
    const asToken = `as-${secret()}`;
    const hsToken = `hs-${secret()}`;
    const matrixOptions = parseMatrixOptions({
      homeserverUrl: "http://127.0.0.1:1", // the registration does not name it; the config file does
      serverName: "localhost",
      asToken,
      hsToken,
      listen: { host: "127.0.0.1", port: asPort },
    });
    const synapse = await startSynapse({ appservices: [buildRegistration(matrixOptions)] });
    closers.push(() => synapse.stop());
    const bobAccount = await synapse.registerUser("bob", { displayName: "Bob" });
    const bob = new MatrixUser(synapse.url, bobAccount.userId, bobAccount.accessToken);
    const matrixRoom = await bob.createPublicRoom("Lobby");

    const sections: Record<Network, { channel: string; connector: string[]; env: Record<string, string> }> = {
      discord: {
        channel: discordChannel,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: parley.yaml's `${NAME}`
        connector: ["token: ${DISCORD_TOKEN}", `apiUrl: ${discord.restUrl}`, `cdnUrl: ${discord.cdnUrl}`],
        env: { DISCORD_TOKEN: discord.token },
      },
      slack: {
        channel: slackChannel,
        connector: [
          // biome-ignore lint/suspicious/noTemplateCurlyInString: parley.yaml's `${NAME}`
          "botToken: ${SLACK_BOT_TOKEN}",
          // biome-ignore lint/suspicious/noTemplateCurlyInString: parley.yaml's `${NAME}`
          "appToken: ${SLACK_APP_TOKEN}",
          `apiUrl: ${slack.apiUrl}`,
        ],
        env: { SLACK_BOT_TOKEN: slack.botToken, SLACK_APP_TOKEN: slack.appToken },
      },
      matrix: {
        channel: matrixRoom,
        connector: [
          `homeserverUrl: ${synapse.url}`,
          "serverName: localhost",
          // biome-ignore lint/suspicious/noTemplateCurlyInString: parley.yaml's `${NAME}`
          "asToken: ${MATRIX_AS_TOKEN}",
          // biome-ignore lint/suspicious/noTemplateCurlyInString: parley.yaml's `${NAME}`
          "hsToken: ${MATRIX_HS_TOKEN}",
          `appserviceId: ${matrixOptions.appserviceId}`,
          `listen: { host: 127.0.0.1, port: ${asPort} }`,
        ],
        env: { MATRIX_AS_TOKEN: asToken, MATRIX_HS_TOKEN: hsToken },
      },
    };
    const start = async (network: Network): Promise<BridgeProcess> => {
      const opsPort = await freePort();
      const s = sections[network];
      const configFile = writeConfig({
        dir,
        network,
        xmpp,
        domain: components[network].domain,
        opsPort,
        channel: s.channel,
        room,
        connector: s.connector,
      });
      const bridge = await BridgeProcess.start({
        script: PARLEY,
        args: ["--config", configFile],
        logFile: join(dir, `${network}.log`),
        opsUrl: `http://127.0.0.1:${opsPort}`,
        env: { ...process.env, PARLEY_COMPONENT_SECRET: components[network].secret, ...s.env },
      });
      closers.push(() => bridge.stop());
      return bridge;
    };
    const [discordBridge, slackBridge, matrixBridge] = await Promise.all(NETWORKS.map(start));
    const matrixBot = `@${matrixOptions.botLocalpart}:localhost`;
    const deadline = Date.now() + 30_000;
    while (!(await bob.joinedMembers(matrixRoom)).includes(matrixBot)) {
      if (Date.now() > deadline) throw new Error(`the Matrix bridge's bot ${matrixBot} did not join the room in 30 s`);
      await sleep(200);
    }
    return {
      dir,
      xmpp,
      room,
      alice,
      discord,
      discordChannel,
      ada,
      slack,
      slackChannel,
      anna,
      synapse,
      matrixRoom,
      bob,
      matrixBot,
      bridges: {
        discord: discordBridge as BridgeProcess,
        slack: slackBridge as BridgeProcess,
        matrix: matrixBridge as BridgeProcess,
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
