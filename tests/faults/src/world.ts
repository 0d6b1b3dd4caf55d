/**
 * What one scenario runs against, started fresh for it: the XMPP server
 * (Prosody or ejabberd) with a room archive that holds the whole run, the
 * network (the fake Discord, the fake Slack, or Synapse with the bridge's registration), an
 * XMPP user in the linked room, a user on the network side, and the bridge
 * as its own process with a parley.yaml. It hands the scenario a sender and
 * a receiver for its direction, each only about texts.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { buildRegistration, parseMatrixOptions } from "@parley/matrix";
import {
  type FakeDiscord,
  type FakeSlack,
  freePort,
  type PostgresServer,
  type Synapse,
  type SynapsePostgres,
  startFakeDiscord,
  startFakeSlack,
  startPostgres,
  startSynapse,
  startXmppServer,
  type XmppServer,
  type XmppServerKind,
} from "@parley/testkit";
import { BridgeRun } from "./bridge-process.ts";
import { MatrixUser } from "./matrix-user.ts";
import { writeParleyConfig } from "./parley-config.ts";
import { RoomWatcher } from "./room-watcher.ts";

export type Network = "discord" | "slack" | "matrix";
/** `to-xmpp`: the network's users send, the XMPP room receives; `from-xmpp`: the other way. */
export type Direction = "to-xmpp" | "from-xmpp";
export type SynapseDatabase = "sqlite" | "postgres";

export interface WorldOptions {
  readonly dir: string;
  readonly network: Network;
  readonly direction: Direction;
  readonly xmppServer: XmppServerKind;
  /** Prosody's rooms and archive on disk, to outlive a kill -9 of the server. */
  readonly durableRooms: boolean;
  /** Where Synapse keeps its data (Matrix worlds). */
  readonly synapseDatabase: SynapseDatabase;
}

export interface Receiver {
  /** What arrived, in arrival order. */
  live(): readonly string[];
  /** What the receiving side's history holds, oldest first. */
  history(): Promise<string[]>;
}

export interface World {
  /** How many sends may be in flight at once (1: each waits for the one before). */
  readonly sendWindow: number;
  /** The orders the sending side holds the texts in, when several were in flight at once (see `tally`). */
  readonly sentOrders?: () => Promise<string[][]>;
  readonly xmpp: XmppServer;
  readonly bridge: BridgeRun;
  readonly watcher: RoomWatcher;
  readonly discord?: FakeDiscord;
  readonly slack?: FakeSlack;
  readonly synapse?: Synapse;
  readonly send: (text: string) => Promise<void>;
  readonly receiver: Receiver;
  close(): Promise<void>;
}

/**
 * Matrix messages in flight at once from the Matrix user (the order counted is the room's, as
 * Synapse recorded it). Synapse on SQLite takes them one at a time whatever the window (10-13
 * msgs/s measured here with 1, 4 or 8 in flight), on PostgreSQL ~24 msgs/s with 8 against ~10 with 1.
 */
const MATRIX_SEND_WINDOW: Record<SynapseDatabase, number> = { sqlite: 1, postgres: 8 };

/**
 * One PostgreSQL server for every Matrix world of a run (each world gets a database of its own
 * on it): starting a cluster costs an initdb. Stopped by stopSharedServers at the end of the run.
 */
let sharedPostgres: Promise<PostgresServer> | undefined;
let databases = 0;

async function synapseDatabaseFor(kind: SynapseDatabase): Promise<SynapsePostgres | undefined> {
  if (kind === "sqlite") return undefined;
  sharedPostgres ??= startPostgres();
  const pg = await sharedPostgres;
  const database = `synapse_${++databases}`;
  await pg.createDatabase(database);
  return { host: pg.host, port: pg.port, user: pg.user, database };
}

/** Stops what worlds share (the PostgreSQL server), once every world is closed. */
export async function stopSharedServers(): Promise<void> {
  const pg = sharedPostgres;
  sharedPostgres = undefined;
  if (pg) await (await pg).stop();
}

/** Prosody's own cap (1,000 in memory) keeps only the end of a long run; this holds every run here. */
const ARCHIVE_ITEM_LIMIT = 1_000_000;

export async function startWorld(o: WorldOptions): Promise<World> {
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const c of closers.reverse()) {
      await c().catch((e: unknown) => process.stderr.write(`faults: cleanup: ${String(e)}\n`));
    }
  };
  try {
    const xmpp = await startXmppServer(o.xmppServer, {
      archiveItemLimit: ARCHIVE_ITEM_LIMIT,
      durableRooms: o.durableRooms,
    });
    closers.push(() => xmpp.stop());
    const component = xmpp.components[0];
    const account = xmpp.accounts[0];
    if (!component || !account) throw new Error("the XMPP server came without a component or an account");
    const room = `faults-${randomBytes(4).toString("hex")}@${xmpp.mucDomain}`;
    const watcher = await RoomWatcher.connect({ server: xmpp, account, room, nick: "alice" });
    closers.push(() => watcher.stop());
    const xmppPart = {
      host: xmpp.host,
      componentPort: xmpp.componentPort,
      componentDomain: component.domain,
      admin: account.jid,
    };
    const logFile = join(o.dir, "bridge.log");
    const side = { discord: discordSide, slack: slackSide, matrix: matrixSide }[o.network];
    const world = await side({ o, xmpp, xmppPart, room, watcher, logFile, secret: component.secret, closers });
    return { ...world, close };
  } catch (e) {
    await close();
    throw e;
  }
}

type Side = Omit<World, "close">;

/** What a network's side of the world is built in. */
interface SideContext {
  readonly o: WorldOptions;
  readonly xmpp: XmppServer;
  readonly xmppPart: Parameters<typeof writeParleyConfig>[0]["xmpp"];
  readonly room: string;
  readonly watcher: RoomWatcher;
  readonly logFile: string;
  /** The component secret, handed to the bridge as PARLEY_COMPONENT_SECRET. */
  readonly secret: string;
  readonly closers: Array<() => Promise<unknown>>;
}

/** The bridge as its own process with `configFile` and the secrets in `env`, started and seen in the room. */
async function startBridgeInRoom(c: SideContext, configFile: string, env: Record<string, string>): Promise<BridgeRun> {
  const bridge = new BridgeRun({ configFile, logFile: c.logFile, env: { PARLEY_COMPONENT_SECRET: c.secret, ...env } });
  c.closers.push(() => bridge.kill("SIGKILL"));
  await bridge.start();
  await c.watcher.untilOtherOccupant(30_000);
  return bridge;
}

/**
 * A sender that makes the fake network's user post synchronously, letting the fake write what
 * it dispatched every 25 posts: a burst, not a stall.
 */
function burstSender(post: (text: string) => void): (text: string) => Promise<void> {
  let posted = 0;
  return async (text) => {
    post(text);
    if (++posted % 25 === 0) await new Promise((r) => setImmediate(r));
  };
}

/** A fake network's channel as one side of a one-way run: its user posts, or the bridge posts to it. */
interface FakeChannel {
  /** The network's user posts `text` (synchronously, in the fake). */
  post(text: string): void;
  /** The bridge's posts as the network answered them. */
  live(): readonly string[];
  /** The bridge's posts the channel holds now. */
  history(): string[];
}

/** The side of a fake network (Discord, Slack): bursts from its user to the room, or from the room to it. */
function fakeNetworkSide(
  c: SideContext,
  bridge: BridgeRun,
  fakes: Pick<Side, "discord" | "slack">,
  channel: FakeChannel,
): Side {
  const base = { sendWindow: 1, xmpp: c.xmpp, bridge, watcher: c.watcher, ...fakes };
  if (c.o.direction === "to-xmpp")
    return { ...base, send: burstSender(channel.post), receiver: roomReceiver(c.watcher) };
  return {
    ...base,
    send: (text) => c.watcher.say(text),
    receiver: { live: channel.live, history: async () => channel.history() },
  };
}

/** The XMPP room as the receiving side: the watcher's live messages and the room's archive. */
function roomReceiver(watcher: RoomWatcher): Receiver {
  return {
    live: () => watcher.live.map((m) => m.body),
    history: async () => (await watcher.archive()).map((m) => m.body),
  };
}

async function discordSide(c: SideContext): Promise<Side> {
  const { o, room, closers } = c;
  const discord = await startFakeDiscord({ botName: "Parley" });
  closers.push(() => discord.stop());
  const guild = discord.createGuild({ name: "Faults" });
  const channel = discord.createChannel(guild.id, { name: "lobby" });
  const ada = discord.addMember(guild.id, { username: "ada", globalName: "Ada" });
  const configFile = writeParleyConfig({
    dir: o.dir,
    xmpp: c.xmppPart,
    link: { network: "discord", channel: channel.id, room },
    // biome-ignore lint/suspicious/noTemplateCurlyInString: `${NAME}` is parley.yaml's syntax, read from the environment
    connector: ["token: ${DISCORD_TOKEN}", `apiUrl: ${discord.restUrl}`, `cdnUrl: ${discord.cdnUrl}`],
  });
  const bridge = await startBridgeInRoom(c, configFile, { DISCORD_TOKEN: discord.token });

  const isRelayed = (m: { webhook_id?: string; author: { id: string } }) =>
    m.webhook_id !== undefined || m.author.id === discord.bot.id;
  const liveTexts: string[] = [];
  discord.on("dispatch", (d) => {
    if (d.t !== "MESSAGE_CREATE") return;
    const m = d.d as { channel_id?: string; content?: string; webhook_id?: string; author: { id: string } };
    if (m.channel_id === channel.id && isRelayed(m) && typeof m.content === "string") liveTexts.push(m.content);
  });

  return fakeNetworkSide(
    c,
    bridge,
    { discord },
    {
      post: (text) => discord.post(channel.id, ada.user.id, text),
      live: () => liveTexts,
      history: () =>
        discord
          .messages(channel.id)
          .filter(isRelayed)
          .map((m) => m.content),
    },
  );
}

/**
 * chat.postMessage's limit in the Slack world, 50 a second per channel: Slack's own (about one a
 * second) would make 2,000 XMPP -> Slack posts take over half an hour. The fake still answers 429
 * with Retry-After past it, so the bridge's rate-limit handling stays in the run.
 */
const SLACK_POSTS_PER_MINUTE = 3_000;

async function slackSide(c: SideContext): Promise<Side> {
  const { o, room, closers } = c;
  const slack = await startFakeSlack({
    botName: "Parley",
    // A burst of one second's posts: Retry-After counts whole seconds, so a smaller bucket would
    // hold the bridge to one bucketful a second, under the limit.
    rateLimits: {
      methods: {
        "chat.postMessage": { perMinute: SLACK_POSTS_PER_MINUTE, burst: SLACK_POSTS_PER_MINUTE / 60, perChannel: true },
      },
    },
  });
  closers.push(() => slack.stop());
  const ada = slack.createUser({ name: "ada", realName: "Ada" });
  const channel = slack.createChannel({ name: "lobby", members: [ada.id] });
  const configFile = writeParleyConfig({
    dir: o.dir,
    xmpp: c.xmppPart,
    link: { network: "slack", channel: channel.id, room },
    connector: [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: `${NAME}` is parley.yaml's syntax, read from the environment
      "botToken: ${SLACK_BOT_TOKEN}",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: `${NAME}` is parley.yaml's syntax, read from the environment
      "appToken: ${SLACK_APP_TOKEN}",
      `apiUrl: ${slack.apiUrl}`,
    ],
  });
  const bridge = await startBridgeInRoom(c, configFile, {
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_APP_TOKEN: slack.appToken,
  });

  // Live: each post Slack accepted, as it answered it; history: the channel as Slack keeps it.
  const liveTexts: string[] = [];
  slack.on("request", (r) => {
    if (r.method === "chat.postMessage" && r.ok && r.args.channel === channel.id && typeof r.args.text === "string")
      liveTexts.push(r.args.text);
  });
  return fakeNetworkSide(
    c,
    bridge,
    { slack },
    {
      post: (text) => void slack.post(channel.id, ada.id, text),
      live: () => liveTexts,
      history: () =>
        slack
          .messages(channel.id)
          .filter((m) => m.bot_id === slack.botId)
          .map((m) => m.text),
    },
  );
}

async function matrixSide(c: SideContext): Promise<Side> {
  const { o, xmpp, room, watcher, closers } = c;
  const asPort = await freePort();
  const asToken = `as-${randomBytes(16).toString("hex")}`;
  const hsToken = `hs-${randomBytes(16).toString("hex")}`;
  const options = parseMatrixOptions({
    homeserverUrl: "http://127.0.0.1:1", // the registration does not name it; the config below does
    serverName: "localhost",
    asToken,
    hsToken,
    listen: { host: "127.0.0.1", port: asPort },
  });
  const postgres = await synapseDatabaseFor(o.synapseDatabase);
  const synapse = await startSynapse({ appservices: [buildRegistration(options)], ...(postgres && { postgres }) });
  closers.push(() => synapse.stop());
  const bobAccount = await synapse.registerUser("bob", { displayName: "Bob" });
  const bob = new MatrixUser(synapse.url, bobAccount.userId, bobAccount.accessToken);
  closers.push(() => bob.stop());
  const roomId = await bob.createPublicRoom("Faults");
  const configFile = writeParleyConfig({
    dir: o.dir,
    xmpp: c.xmppPart,
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
  const bridge = await startBridgeInRoom(c, configFile, { MATRIX_AS_TOKEN: asToken, MATRIX_HS_TOKEN: hsToken });
  const bot = `@${options.botLocalpart}:localhost`;
  const deadline = Date.now() + 30_000;
  while (!(await bob.joinedMembers(roomId)).includes(bot)) {
    if (Date.now() > deadline) throw new Error(`the bridge bot ${bot} did not join the Matrix room in 30 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  await bob.startSync(roomId);

  if (o.direction === "to-xmpp") {
    return {
      // The order is read back from the room and counted against.
      sendWindow: MATRIX_SEND_WINDOW[o.synapseDatabase],
      // The room's two orders: the one Synapse persisted them in (its stream order, what /sync shows
      // and what it pushes to the bridge), unless /sync skipped some (a limited timeline), and the
      // room's history (its graph order, what /messages reads back). Messages sent at the same
      // moment can stand in a different order in each; following either is in order.
      sentOrders: async () => {
        const history = (await bob.history(roomId, "own")).map((m) => m.body);
        return bob.gaps === 0 ? [bob.ownLive.map((m) => m.body), history] : [history];
      },
      xmpp,
      bridge,
      watcher,
      synapse,
      send: async (text) => {
        await bob.send(roomId, text);
      },
      receiver: roomReceiver(watcher),
    };
  }
  return {
    sendWindow: 1,
    xmpp,
    bridge,
    watcher,
    synapse,
    send: (text) => watcher.say(text),
    receiver: {
      live: () => bob.live.map((m) => m.body),
      history: async () => (await bob.history(roomId)).map((m) => m.body),
    },
  };
}
