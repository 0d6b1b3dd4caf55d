/**
 * What `parley init` asks and writes for Slack: the tokens stay in the
 * environment (`${SLACK_BOT_TOKEN}`, `${SLACK_APP_TOKEN}`), a first channel
 * can be linked at once, and the steps left on Slack's side (create the app
 * from the manifest, install it, invite the bot) are spelled out.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the section holds the literal ${SLACK_...} references
import type { ConnectorInitResult, InitContext, InitQuestion } from "@parley/bridge";
import { parseJid } from "@parley/stanza";
import { APP_TOKEN_SCOPE } from "./slack-app.ts";

const CHANNEL = /^[CG][A-Z0-9]{6,}$/;

function roomProblem(value: string): string | undefined {
  const r = parseJid(value.includes("@") ? value : `${value}@room.invalid`);
  return r.ok && r.value.resource === undefined ? undefined : "is not a room name (such as lobby) nor a room JID";
}

export const initQuestions: readonly InitQuestion[] = [
  {
    name: "channel",
    flag: "slack-channel",
    prompt: "A Slack channel id to link now (optional)",
    example: "C0123456789",
    optional: true,
    check: (v) => (CHANNEL.test(v) ? undefined : "is not a Slack channel id (C or G and letters and digits)"),
  },
  {
    name: "room",
    flag: "slack-room",
    prompt: "The room to link that channel with",
    example: "lobby",
    default: () => "lobby",
    when: (answers) => (answers.channel ?? "") !== "",
    check: roomProblem,
  },
];

export function initConnector(context: InitContext): ConnectorInitResult {
  const { channel = "", room = "lobby" } = context.answers;
  const steps = [
    "Create the Slack app from the manifest in the @parley/slack README (api.slack.com/apps > Create New App > From a manifest) and install it to your workspace.",
    `Under Basic Information > App-Level Tokens, generate a token with ${APP_TOKEN_SCOPE}: that is SLACK_APP_TOKEN; OAuth & Permissions > Bot User OAuth Token is SLACK_BOT_TOKEN.`,
    "Invite the bot to each bridged channel: /invite @YourApp in the channel.",
  ];
  if (channel === "") {
    steps.push(
      'Link channels under links in the config: { network: slack, channel: "<channel id>", room: <room> } (the id is at the bottom of the channel details).',
    );
  }
  return {
    section: { botToken: "${SLACK_BOT_TOKEN}", appToken: "${SLACK_APP_TOKEN}" },
    ...(channel !== "" && { links: [{ channel, room }] }),
    environment: [
      { name: "SLACK_BOT_TOKEN", what: "the bot token, xoxb-... (your app > OAuth & Permissions)" },
      {
        name: "SLACK_APP_TOKEN",
        what: `the app-level token, xapp-..., with ${APP_TOKEN_SCOPE} (your app > Basic Information)`,
      },
    ],
    nextSteps: steps,
  };
}
