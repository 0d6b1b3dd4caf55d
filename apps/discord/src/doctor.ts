/**
 * The Discord side of `parley doctor` (the package's `diagnose` export): the
 * bot token (GET /users/@me), the privileged intents the bridge asks the
 * gateway for against those the application has turned on (GET
 * /applications/@me; a login asking for one turned off is closed with 4014),
 * and in each linked channel the bot's permissions, computed from the
 * guild's roles and the channel's overwrites as Discord computes them.
 */
import { type DoctorCheck, type DoctorContext, failed, passed, warned } from "@parley/bridge";
import {
  type APIChannel,
  type APIGuild,
  type APIGuildMember,
  type APIUser,
  ApplicationFlags,
  ChannelType,
  GatewayIntentBits,
} from "discord-api-types/v10";
import { parseDiscordOptions } from "./config.ts";
import { channelPermissions, missingPermissions } from "./doctor-permissions.ts";
import { DoctorRest, type RestAnswer } from "./doctor-rest.ts";
import { INTENTS } from "./gateway-session.ts";

const NEW_TOKEN =
  "the token is wrong or was reset: copy a new one from the Developer Portal (your application > Bot > Reset Token) into connectors.discord.token";

/** The privileged intents, by the name of their switch on the Developer Portal's Bot page. */
const PRIVILEGED = [
  {
    intent: GatewayIntentBits.GuildMembers,
    flags: ApplicationFlags.GatewayGuildMembers | ApplicationFlags.GatewayGuildMembersLimited,
    name: "Server Members Intent",
  },
  {
    intent: GatewayIntentBits.GuildPresences,
    flags: ApplicationFlags.GatewayPresence | ApplicationFlags.GatewayPresenceLimited,
    name: "Presence Intent",
  },
  {
    intent: GatewayIntentBits.MessageContent,
    flags: ApplicationFlags.GatewayMessageContent | ApplicationFlags.GatewayMessageContentLimited,
    name: "Message Content Intent",
  },
] as const;

const THREADS: ReadonlySet<number> = new Set([
  ChannelType.PublicThread,
  ChannelType.PrivateThread,
  ChannelType.AnnouncementThread,
]);

export async function diagnose(options: unknown, context: DoctorContext): Promise<DoctorCheck[]> {
  const o = parseDiscordOptions(options);
  const rest = new DoctorRest(o.apiUrl, o.token);
  const me = await rest.get<APIUser>("/users/@me");
  if (!me.ok) return [tokenCheck(me, rest.where)];
  const checks: DoctorCheck[] = [passed("Discord token", `accepted: the bot is ${me.value.username} (${me.value.id})`)];
  checks.push(await intentsCheck(rest));
  for (const channel of context.channels) checks.push(await channelCheck(rest, me.value.id, channel));
  return checks;
}

function tokenCheck(answer: Extract<RestAnswer<unknown>, { ok: false }>, where: string): DoctorCheck {
  if (answer.status === 401) return failed("Discord token", "Discord refused it (401 Unauthorized)", NEW_TOKEN);
  if (answer.status === 0) {
    return failed(
      "Discord token",
      `not checked: ${where} could not be reached (${answer.message})`,
      "check the machine's network and DNS, or connectors.discord.apiUrl",
    );
  }
  return failed(
    "Discord token",
    `Discord answered ${answer.status} (${answer.message})`,
    "try again later; if it persists, check connectors.discord.apiUrl",
  );
}

async function intentsCheck(rest: DoctorRest): Promise<DoctorCheck> {
  const app = await rest.get<{ flags?: number }>("/applications/@me");
  if (!app.ok) {
    return warned(
      "Discord intents",
      `not checked: the application could not be read (${app.status}: ${app.message})`,
      "check in the Developer Portal (your application > Bot) that the privileged intents are on",
    );
  }
  const flags = app.value.flags ?? 0;
  const needed = PRIVILEGED.filter((p) => INTENTS.includes(p.intent));
  const off = needed.filter((p) => (flags & p.flags) === 0);
  if (off.length === 0) return passed("Discord intents", `on: ${needed.map((p) => p.name).join(", ")}`);
  const names = off.map((p) => p.name).join(", ");
  return failed(
    "Discord intents",
    `the application has ${names} turned off, and the bridge asks for ${off.length === 1 ? "it" : "them"}: Discord would close its gateway connection (4014 Disallowed intents)`,
    `in the Developer Portal, your application > Bot > Privileged Gateway Intents: turn on ${names}, then start the bridge`,
  );
}

async function channelCheck(rest: DoctorRest, botId: string, id: string): Promise<DoctorCheck> {
  const subject = `Discord channel ${id}`;
  const channel = await rest.get<APIChannel>(`/channels/${encodeURIComponent(id)}`);
  if (!channel.ok) return channelUnreadable(subject, channel);
  const c = channel.value;
  const label = `Discord channel ${"name" in c && c.name ? `#${c.name} ` : ""}(${id})`;
  const guildId = "guild_id" in c ? c.guild_id : undefined;
  if (guildId === undefined) {
    return failed(
      label,
      "is not a channel of a server (a direct message?)",
      "link a channel of a server the bot is in (its id: right-click the channel > Copy Channel ID)",
    );
  }
  // A thread has no overwrites of its own: its parent's apply.
  const thread = THREADS.has(c.type);
  const parentId = thread && "parent_id" in c ? c.parent_id : undefined;
  const holder = parentId ? await rest.get<APIChannel>(`/channels/${encodeURIComponent(parentId)}`) : channel;
  const guild = await rest.get<APIGuild>(`/guilds/${guildId}`);
  const member = await rest.get<APIGuildMember>(`/guilds/${guildId}/members/${botId}`);
  if (!holder.ok || !guild.ok || !member.ok) {
    const why = [holder, guild, member].find((a): a is Extract<RestAnswer<unknown>, { ok: false }> => !a.ok);
    return warned(
      label,
      `the bot's permissions could not be worked out (${why?.status}: ${why?.message})`,
      "check in the server's settings that the bot's role may view the channel, send messages, manage webhooks, read message history and manage messages there",
    );
  }
  const overwrites = "permission_overwrites" in holder.value ? (holder.value.permission_overwrites ?? []) : [];
  const permissions = channelPermissions({
    guildId,
    ownerId: guild.value.owner_id,
    userId: botId,
    memberRoles: member.value.roles,
    roles: guild.value.roles,
    overwrites,
  });
  const missing = missingPermissions(permissions).filter((p) => !(thread && p.name === "Send Messages"));
  if (missing.length === 0) return passed(label, "the bot has every permission the bridge uses there");
  const list = missing.map((p) => `${p.name} (${p.purpose})`).join(", ");
  const fix = `in the channel's settings > Permissions${thread ? " (of the thread's parent channel)" : ""}, allow ${missing.map((p) => p.name).join(", ")} for the bot's role, or remove the overwrite that denies ${missing.length === 1 ? "it" : "them"}`;
  return missing.some((p) => p.required)
    ? failed(label, `the bot lacks ${list}`, fix)
    : warned(label, `the bot lacks ${list}`, fix);
}

function channelUnreadable(subject: string, answer: Extract<RestAnswer<unknown>, { ok: false }>): DoctorCheck {
  if (answer.code === 10003 || answer.status === 404) {
    return failed(
      subject,
      "Discord knows no such channel (Unknown Channel)",
      "check the channel id in links (with Developer Mode on: right-click the channel > Copy Channel ID), and that the bot is in its server",
    );
  }
  if (answer.code === 50001 || answer.status === 403) {
    return failed(
      subject,
      "the bot cannot see it (Missing Access): it lacks View Channel there, or is not in the channel's server",
      "in the channel's settings > Permissions, allow View Channel for the bot's role; or invite the bot to the server",
    );
  }
  if (answer.status === 401) return failed(subject, "Discord refused the token (401 Unauthorized)", NEW_TOKEN);
  return failed(
    subject,
    `could not be read (${answer.status}: ${answer.message})`,
    "try again; if it persists, check the channel id in links",
  );
}
