/**
 * The demo's Slack side: the testkit's fake Slack (a workspace with a
 * #lobby channel and two members) and the Slack bridge on the real
 * @slack/bolt in Socket Mode, linking #lobby with the same MUC room as
 * Discord and Matrix. What the bridge posts to Slack for XMPP users (and for
 * the other networks' people, who are XMPP occupants too) is printed.
 */
import type { Bridge } from "@parley/bridge";
import { createConnector } from "@parley/slack";
import { type FakeSlack, type SlackUser, startFakeSlack, type XmppServer } from "@parley/testkit";
import { envRef, startDemoBridge } from "./demo-bridge.ts";

export interface SlackSide {
  readonly fake: FakeSlack;
  readonly channelId: string;
  readonly members: readonly SlackUser[];
  readonly bridge: Bridge;
  readonly logFile: string;
}

export async function startSlackSide(o: {
  readonly server: XmppServer;
  readonly domain: string;
  readonly secret: string;
  readonly dir: string;
  readonly room: string;
  readonly say: (line: string) => void;
  readonly cleanups: Array<() => Promise<unknown>>;
}): Promise<SlackSide> {
  o.say("starting the fake Slack…");
  const fake = await startFakeSlack({ botName: "Parley", teamName: "Parley demo" });
  o.cleanups.push(() => fake.stop());
  const members = [
    fake.createUser({ name: "hedy", realName: "Hedy Lamarr", displayName: "Hedy", presence: "active" }),
    fake.createUser({ name: "barbara", realName: "Barbara Liskov", displayName: "Barbara", presence: "active" }),
  ];
  const lobby = fake.createChannel({ name: "lobby", members: members.map((m) => m.id) });

  // The bridge's posts: Slack shows an XMPP user's message under their own name (`username`).
  fake.on("request", (r) => {
    if (r.method !== "chat.postMessage" || !r.ok || r.args.channel !== lobby.id) return;
    o.say(`\n[slack #lobby] ${String(r.args.username ?? "Parley")}: ${String(r.args.text ?? "")}`);
  });

  o.say("starting the Slack bridge…");
  const { bridge, logFile } = await startDemoBridge({
    server: o.server,
    network: "slack",
    domain: o.domain,
    secret: o.secret,
    dir: o.dir,
    channel: lobby.id,
    room: o.room,
    connectorYaml: [
      `    botToken: ${envRef("SLACK_BOT_TOKEN")}`,
      `    appToken: ${envRef("SLACK_APP_TOKEN")}`,
      `    apiUrl: ${fake.apiUrl}`,
    ].join("\n"),
    env: { SLACK_BOT_TOKEN: fake.botToken, SLACK_APP_TOKEN: fake.appToken },
    makeConnector: createConnector,
    say: o.say,
  });
  o.cleanups.push(() => bridge.stop());
  return { fake, channelId: lobby.id, members, bridge, logFile };
}
