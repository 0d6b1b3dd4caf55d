/**
 * A member's permissions in a guild channel, computed as Discord computes
 * them: the guild owner has all; otherwise @everyone's permissions and those
 * of the member's roles, all of them when one grants Administrator; then the
 * channel's overwrites in Discord's order (@everyone's, then the member's
 * roles' together, then the member's own), each denying before it allows;
 * then what follows implicitly (without View Channel nothing; without Send
 * Messages no files, embeds, mentions of everyone or text-to-speech).
 */
import { OverwriteType, PermissionFlagsBits } from "discord-api-types/v10";

export interface PermissionInputs {
  readonly guildId: string;
  readonly ownerId: string;
  readonly userId: string;
  /** The member's role ids (without @everyone, whose id is the guild's). */
  readonly memberRoles: readonly string[];
  /** Every role of the guild, @everyone included, with its permissions as Discord sends them (a decimal string). */
  readonly roles: ReadonlyArray<{ readonly id: string; readonly permissions: string }>;
  /** The channel's permission overwrites (a thread's are its parent's). */
  readonly overwrites: ReadonlyArray<{
    readonly id: string;
    readonly type: number;
    readonly allow: string;
    readonly deny: string;
  }>;
}

const ALL = Object.values(PermissionFlagsBits).reduce((all, bit) => all | bit, 0n);

/** What Send Messages being denied takes with it. */
const NEEDS_SEND =
  PermissionFlagsBits.SendTTSMessages |
  PermissionFlagsBits.MentionEveryone |
  PermissionFlagsBits.EmbedLinks |
  PermissionFlagsBits.AttachFiles;

export function channelPermissions(o: PermissionInputs): bigint {
  if (o.userId === o.ownerId) return ALL;
  const roleBits = new Map(o.roles.map((r) => [r.id, BigInt(r.permissions)]));
  let permissions = roleBits.get(o.guildId) ?? 0n;
  for (const id of o.memberRoles) permissions |= roleBits.get(id) ?? 0n;
  if ((permissions & PermissionFlagsBits.Administrator) !== 0n) return ALL;

  const apply = (allow: bigint, deny: bigint) => {
    permissions = (permissions & ~deny) | allow;
  };
  const everyone = o.overwrites.find((w) => w.id === o.guildId);
  if (everyone) apply(BigInt(everyone.allow), BigInt(everyone.deny));
  let allow = 0n;
  let deny = 0n;
  for (const w of o.overwrites) {
    if (w.type !== OverwriteType.Role || w.id === o.guildId || !o.memberRoles.includes(w.id)) continue;
    allow |= BigInt(w.allow);
    deny |= BigInt(w.deny);
  }
  apply(allow, deny);
  const own = o.overwrites.find((w) => w.type === OverwriteType.Member && w.id === o.userId);
  if (own) apply(BigInt(own.allow), BigInt(own.deny));

  if ((permissions & PermissionFlagsBits.ViewChannel) === 0n) return 0n;
  if ((permissions & PermissionFlagsBits.SendMessages) === 0n) permissions &= ~NEEDS_SEND;
  return permissions;
}

/** A permission the bridge uses in a linked channel: its name in Discord's settings, and what the bridge does with it. */
export interface BridgePermission {
  readonly bit: bigint;
  readonly name: string;
  readonly purpose: string;
  /** Without it the bridge cannot relay (fail); otherwise a feature is missing (warn). */
  readonly required: boolean;
}

export const BRIDGE_PERMISSIONS: readonly BridgePermission[] = [
  { bit: PermissionFlagsBits.ViewChannel, name: "View Channel", purpose: "to read the channel", required: true },
  {
    bit: PermissionFlagsBits.SendMessages,
    name: "Send Messages",
    purpose: "to post in the channel and show the XMPP users typing",
    required: true,
  },
  {
    bit: PermissionFlagsBits.ManageWebhooks,
    name: "Manage Webhooks",
    purpose: "to post as the XMPP users, under their names and avatars",
    required: true,
  },
  {
    bit: PermissionFlagsBits.ReadMessageHistory,
    name: "Read Message History",
    purpose: "to catch up after a restart and to resolve replies",
    required: true,
  },
  {
    bit: PermissionFlagsBits.ManageMessages,
    name: "Manage Messages",
    purpose: "to delete what XMPP moderators remove",
    required: true,
  },
  {
    bit: PermissionFlagsBits.AddReactions,
    name: "Add Reactions",
    purpose: "to carry the XMPP users' reactions",
    required: false,
  },
  {
    bit: PermissionFlagsBits.AttachFiles,
    name: "Attach Files",
    purpose: "to carry files the XMPP users send",
    required: false,
  },
  {
    bit: PermissionFlagsBits.SendMessagesInThreads,
    name: "Send Messages in Threads",
    purpose: "to carry what XMPP users say in threads",
    required: false,
  },
  {
    bit: PermissionFlagsBits.CreatePublicThreads,
    name: "Create Public Threads",
    purpose: "to continue the threads XMPP users start as Discord threads",
    required: false,
  },
];

/** The bridge's permissions that `permissions` lacks. */
export function missingPermissions(permissions: bigint): BridgePermission[] {
  return BRIDGE_PERMISSIONS.filter((p) => (permissions & p.bit) === 0n);
}
