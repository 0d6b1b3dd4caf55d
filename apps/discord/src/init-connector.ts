/**
 * What `parley init` asks and writes for Discord: the token stays in the
 * environment (`${DISCORD_TOKEN}`), a first channel can be linked at once, and
 * the steps left on Discord's side (intents, the invite with the permissions
 * the bridge uses) are spelled out, with the invite link when the
 * application's id is given.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the section holds the literal ${DISCORD_TOKEN} reference
import type { ConnectorInitResult, InitContext, InitQuestion } from "@parley/bridge";
import { parseJid } from "@parley/stanza";
import { BRIDGE_PERMISSIONS } from "./doctor-permissions.ts";

const SNOWFLAKE = /^\d{17,20}$/;
const snowflake = (value: string) => (SNOWFLAKE.test(value) ? undefined : "is not a Discord id (17 to 20 digits)");

/** A room as links take it: a bare room name (on xmpp.mucDomain) or a room JID. */
function roomProblem(value: string): string | undefined {
  const r = parseJid(value.includes("@") ? value : `${value}@room.invalid`);
  return r.ok && r.value.resource === undefined ? undefined : "is not a room name (such as lobby) nor a room JID";
}

export const initQuestions: readonly InitQuestion[] = [
  {
    name: "applicationId",
    flag: "discord-application-id",
    prompt: "The Discord application's id, for the bot's invite link (optional)",
    example: "1234567890123456789",
    optional: true,
    check: snowflake,
  },
  {
    name: "channel",
    flag: "discord-channel",
    prompt: "A Discord channel id to link now (optional)",
    example: "1234567890123456789",
    optional: true,
    check: snowflake,
  },
  {
    name: "room",
    flag: "discord-room",
    prompt: "The room to link that channel with",
    example: "lobby",
    default: () => "lobby",
    when: (answers) => (answers.channel ?? "") !== "",
    check: roomProblem,
  },
];

/** Every permission the bridge uses in a channel, as the invite link's integer. */
export const INVITE_PERMISSIONS = BRIDGE_PERMISSIONS.reduce((all, p) => all | p.bit, 0n).toString();

function inviteLink(applicationId: string): string {
  return `https://discord.com/oauth2/authorize?client_id=${applicationId}&scope=bot&permissions=${INVITE_PERMISSIONS}`;
}

export function initConnector(context: InitContext): ConnectorInitResult {
  const { applicationId = "", channel = "", room = "lobby" } = context.answers;
  const names = BRIDGE_PERMISSIONS.map((p) => p.name).join(", ");
  const steps = [
    "In the Discord Developer Portal (https://discord.com/developers/applications), open your application > Bot and enable the privileged intents Server Members, Presence and Message Content.",
    applicationId === ""
      ? `Invite the bot to your server with its invite link: ${inviteLink("<your application id>")} (the permissions ${names}).`
      : `Invite the bot to your server: ${inviteLink(applicationId)} (the permissions ${names}).`,
  ];
  if (channel === "") {
    steps.push(
      'Link channels under links in the config: { network: discord, channel: "<channel id>", room: <room> } (Discord: Settings > Advanced > Developer Mode, then right-click a channel > Copy Channel ID).',
    );
  }
  return {
    section: { token: "${DISCORD_TOKEN}" },
    ...(channel !== "" && { links: [{ channel, room }] }),
    environment: [
      {
        name: "DISCORD_TOKEN",
        what: "the bot's token (Developer Portal > your application > Bot > Reset Token)",
      },
    ],
    nextSteps: steps,
  };
}
