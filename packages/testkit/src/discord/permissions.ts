/**
 * The permissions a scenario can take away from the bot, and what the bot has
 * otherwise: every permission but Administrator, so channel overwrites still
 * apply to it (an administrator would bypass them, in Discord and in
 * discord.js's own `permissionsFor`).
 */
import { PermissionFlagsBits } from "discord-api-types/v10";

export type DeniablePermission =
  | "SendMessages"
  | "ManageWebhooks"
  | "ManageMessages"
  | "AddReactions"
  | "AttachFiles"
  | "ViewChannel"
  | "CreatePublicThreads";

export const DENIABLE_PERMISSIONS: Readonly<Record<DeniablePermission, bigint>> = {
  SendMessages: PermissionFlagsBits.SendMessages,
  ManageWebhooks: PermissionFlagsBits.ManageWebhooks,
  ManageMessages: PermissionFlagsBits.ManageMessages,
  AddReactions: PermissionFlagsBits.AddReactions,
  AttachFiles: PermissionFlagsBits.AttachFiles,
  ViewChannel: PermissionFlagsBits.ViewChannel,
  CreatePublicThreads: PermissionFlagsBits.CreatePublicThreads,
};

/** Every permission bit Discord defines, Administrator excluded. */
export const BOT_PERMISSIONS: bigint = Object.values(PermissionFlagsBits).reduce(
  (all, bit) => (bit === PermissionFlagsBits.Administrator ? all : all | bit),
  0n,
);

/** What @everyone gets in a new guild (Discord's default set). */
export const EVERYONE_PERMISSIONS: bigint =
  PermissionFlagsBits.ViewChannel |
  PermissionFlagsBits.CreateInstantInvite |
  PermissionFlagsBits.ChangeNickname |
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.SendMessagesInThreads |
  PermissionFlagsBits.CreatePublicThreads |
  PermissionFlagsBits.EmbedLinks |
  PermissionFlagsBits.AttachFiles |
  PermissionFlagsBits.AddReactions |
  PermissionFlagsBits.UseExternalEmojis |
  PermissionFlagsBits.MentionEveryone |
  PermissionFlagsBits.ReadMessageHistory |
  PermissionFlagsBits.Connect |
  PermissionFlagsBits.Speak |
  PermissionFlagsBits.UseVAD;

export function isDeniablePermission(name: string): name is DeniablePermission {
  return Object.hasOwn(DENIABLE_PERMISSIONS, name);
}
