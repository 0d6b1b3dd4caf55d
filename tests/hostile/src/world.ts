/**
 * What a batch of hostile cases runs against, started once per batch: an XMPP
 * server (Prosody or ejabberd) with a linked room, the network (the fake
 * Discord, the fake Slack in Socket Mode, or Synapse with the bridge's registration), the bridge as the real
 * `parley` CLI process, and on each side a victim whose name is worth taking
 * and an attacker. The bridge's ops endpoint tells the link drops.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { buildRegistration, parseMatrixOptions } from "@parley/matrix";
import {
  type FakeDiscord,
  type FakeSlack,
  freePort,
  isPresence,
  type Synapse,
  startFakeDiscord,
  startFakeSlack,
  startSynapse,
  startXmppServer,
  TestClient,
  type XmppServer,
  type XmppServerKind,
} from "@parley/testkit";
import { BridgeRun } from "../../faults/src/bridge-process.ts";
import { writeParleyConfig } from "../../faults/src/parley-config.ts";
import { type FileTrap, startFileTrap } from "./file-trap.ts";
import { MatrixClient } from "./matrix-client.ts";

export type Network = "discord" | "slack" | "matrix";

export interface World {
  readonly kind: XmppServerKind;
  readonly network: Network;
  readonly xmpp: XmppServer;
  readonly room: string;
  readonly componentDomain: string;
  readonly bridge: BridgeRun;
  /** The XMPP victim (nick "alice") and attacker (nick "eve"), both in the room. */
  readonly alice: TestClient;
  eve: TestClient;
  /** Connects the attacker again (a server may cut a client off for what it sent). */
  reconnectEve(): Promise<void>;
  readonly discord?: DiscordSide;
  readonly slack?: SlackSide;
  readonly matrix?: MatrixSide;
  /** The bridge's parley_xmpp_link_drops_total now (undefined: the endpoint did not answer). */
  linkDrops(): Promise<number | undefined>;
  close(): Promise<void>;
}

export interface DiscordSide {
  readonly fake: FakeDiscord;
  readonly guildId: string;
  readonly channelId: string;
  /** The Discord victim (display name "Ada") and attacker. */
  readonly ada: string;
  readonly mallory: string;
}

export interface SlackSide {
  readonly fake: FakeSlack;
  readonly channelId: string;
  /** The Slack victim (real name "Ada") and attacker, both members of the channel. */
  readonly ada: string;
  readonly mallory: string;
  /** Where hostile file shares point (see file-trap.ts). */
  readonly trap: FileTrap;
}

export interface MatrixSide {
  readonly synapse: Synapse;
  readonly roomId: string;
  /** The Matrix victim (display name "Bob") and attacker. */
  readonly bob: MatrixClient;
  readonly mallory: MatrixClient;
}

export async function startWorld(kind: XmppServerKind, network: Network, dir: string): Promise<World> {
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const c of closers.reverse()) {
      await c().catch((e: unknown) => process.stderr.write(`hostile: cleanup: ${String(e)}\n`));
    }
  };
  try {
    const xmpp = await startXmppServer(kind);
    closers.push(() => xmpp.stop());
    const component = xmpp.components[0];
    const [aliceAccount, eveAccount] = xmpp.accounts;
    if (!component || !aliceAccount || !eveAccount)
      throw new Error("the XMPP server came without a component or accounts");
    const room = `hostile-${randomBytes(4).toString("hex")}@${xmpp.mucDomain}`;
    const alice = await TestClient.connect(xmpp, aliceAccount);
    closers.push(() => alice.stop());
    await alice.joinRoom(room, "alice");
    const connectEve = async () => {
      const c = await TestClient.connect(xmpp, eveAccount);
      await c.joinRoom(room, "eve");
      return c;
    };
    const xmppPart = {
      host: xmpp.host,
      componentPort: xmpp.componentPort,
      componentDomain: component.domain,
      admin: aliceAccount.jid,
    };
    const logFile = join(dir, `bridge-${kind}-${network}.log`);
    const env: Record<string, string> = { PARLEY_COMPONENT_SECRET: component.secret };
    let discord: DiscordSide | undefined;
    let slack: SlackSide | undefined;
    let matrix: MatrixSide | undefined;
    let configFile: string;
    const relayJoined = alice.waitFor(
      isPresence(
        (p) =>
          (p.from ?? "").toLowerCase().startsWith(`${room.toLowerCase()}/`) && !/\/(alice|eve)$/.test(p.from ?? ""),
      ),
      { timeoutMs: 60_000 },
    );
    if (network === "discord") {
      const fake = await startFakeDiscord({ botName: "Parley" });
      closers.push(() => fake.stop());
      const guild = fake.createGuild({ name: "Hostile" });
      const channel = fake.createChannel(guild.id, { name: "lobby" });
      const ada = fake.addMember(guild.id, { username: "ada", globalName: "Ada" });
      const mallory = fake.addMember(guild.id, { username: "mallory", globalName: "Mallory" });
      env.DISCORD_TOKEN = fake.token;
      configFile = writeParleyConfig({
        dir,
        xmpp: xmppPart,
        link: { network: "discord", channel: channel.id, room },
        // biome-ignore lint/suspicious/noTemplateCurlyInString: `${NAME}` is parley.yaml's syntax, read from the environment
        connector: ["token: ${DISCORD_TOKEN}", `apiUrl: ${fake.restUrl}`, `cdnUrl: ${fake.cdnUrl}`],
      });
      discord = { fake, guildId: guild.id, channelId: channel.id, ada: ada.user.id, mallory: mallory.user.id };
    } else if (network === "slack") {
      const fake = await startFakeSlack({ botName: "Parley" });
      closers.push(() => fake.stop());
      const ada = fake.createUser({ name: "ada", realName: "Ada" });
      const mallory = fake.createUser({ name: "mallory", realName: "Mallory" });
      const channel = fake.createChannel({ name: "lobby", members: [ada.id, mallory.id] });
      env.SLACK_BOT_TOKEN = fake.botToken;
      env.SLACK_APP_TOKEN = fake.appToken;
      configFile = writeParleyConfig({
        dir,
        xmpp: xmppPart,
        link: { network: "slack", channel: channel.id, room },
        connector: [
          // biome-ignore lint/suspicious/noTemplateCurlyInString: `${NAME}` is parley.yaml's syntax, read from the environment
          "botToken: ${SLACK_BOT_TOKEN}",
          // biome-ignore lint/suspicious/noTemplateCurlyInString: `${NAME}` is parley.yaml's syntax, read from the environment
          "appToken: ${SLACK_APP_TOKEN}",
          `apiUrl: ${fake.apiUrl}`,
        ],
      });
      const trap = await startFileTrap();
      closers.push(() => trap.close());
      slack = { fake, channelId: channel.id, ada: ada.id, mallory: mallory.id, trap };
    } else {
      const asPort = await freePort();
      const asToken = `as-${randomBytes(16).toString("hex")}`;
      const hsToken = `hs-${randomBytes(16).toString("hex")}`;
      const options = parseMatrixOptions({
        homeserverUrl: "http://127.0.0.1:1",
        serverName: "localhost",
        asToken,
        hsToken,
        listen: { host: "127.0.0.1", port: asPort },
      });
      const synapse = await startSynapse({ appservices: [buildRegistration(options)] });
      closers.push(() => synapse.stop());
      const bobAccount = await synapse.registerUser("bob", { displayName: "Bob" });
      const malloryAccount = await synapse.registerUser("mallory", { displayName: "Mallory" });
      const bob = new MatrixClient(synapse.url, bobAccount.userId, bobAccount.accessToken);
      const mallory = new MatrixClient(synapse.url, malloryAccount.userId, malloryAccount.accessToken);
      const roomId = await bob.createPublicRoom("Hostile");
      await mallory.join(roomId);
      env.MATRIX_AS_TOKEN = asToken;
      env.MATRIX_HS_TOKEN = hsToken;
      configFile = writeParleyConfig({
        dir,
        xmpp: xmppPart,
        link: { network: "matrix", channel: roomId, room },
        connector: [
          `homeserverUrl: ${synapse.url}`,
          "serverName: localhost",
          // biome-ignore lint/suspicious/noTemplateCurlyInString: `${NAME}` is parley.yaml's syntax, read from the environment
          "asToken: ${MATRIX_AS_TOKEN}",
          // biome-ignore lint/suspicious/noTemplateCurlyInString: `${NAME}` is parley.yaml's syntax, read from the environment
          "hsToken: ${MATRIX_HS_TOKEN}",
          `appserviceId: ${options.appserviceId}`,
          `listen: { host: 127.0.0.1, port: ${asPort} }`,
        ],
      });
      matrix = { synapse, roomId, bob, mallory };
      const bot = `@${options.botLocalpart}:localhost`;
      closers.push(async () => undefined);
      // Waited for below, once the bridge runs.
      matrix = Object.assign(matrix, { bot });
    }
    const bridge = new BridgeRun({ configFile, logFile, env });
    closers.push(() => bridge.kill("SIGKILL"));
    await bridge.start();
    await relayJoined;
    if (slack) await slack.fake.waitForConnection(1, { timeoutMs: 60_000 });
    if (matrix) {
      const bot = (matrix as MatrixSide & { bot: string }).bot;
      const deadline = Date.now() + 60_000;
      while (!(await matrix.bob.joinedMembers(matrix.roomId)).includes(bot)) {
        if (Date.now() > deadline) throw new Error(`the bridge bot ${bot} did not join the Matrix room`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    let eve = await connectEve();
    closers.push(() => world.eve.stop());
    const world: World = {
      kind,
      network,
      xmpp,
      room,
      componentDomain: component.domain,
      bridge,
      alice,
      eve,
      async reconnectEve() {
        await world.eve.stop().catch(() => undefined);
        eve = await connectEve();
        world.eve = eve;
      },
      ...(discord && { discord }),
      ...(slack && { slack }),
      ...(matrix && { matrix }),
      linkDrops: () => linkDropsOf(bridge),
      close,
    };
    return world;
  } catch (e) {
    await close();
    throw e;
  }
}

/** parley_xmpp_link_drops_total from the ops endpoint this run of the bridge logged. */
async function linkDropsOf(bridge: BridgeRun): Promise<number | undefined> {
  const started = bridge
    .logSince()
    .split("\n")
    .filter((l) => l.includes('"bridge started"'))
    .at(-1);
  const ops = started?.match(/"ops":"([^"]+)"/)?.[1];
  if (ops === undefined) return undefined;
  try {
    const text = await (await fetch(`${ops}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith("parley_xmpp_link_drops_total"));
    return line === undefined ? 0 : Number(line.split(" ")[1]);
  } catch {
    return undefined;
  }
}
