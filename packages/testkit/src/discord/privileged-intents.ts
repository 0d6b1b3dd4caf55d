/**
 * Privileged gateway intents, as Discord gates them: an application must
 * have each turned on (Developer Portal, the application's Bot page) before
 * its bot may IDENTIFY with it; asking for one that is off closes the
 * gateway with 4014 Disallowed intent(s). The application object shows what
 * is on in its `flags`: for a bot in fewer than 100 servers, which is every
 * bot of the fake, the *_LIMITED flag of each intent turned on.
 */
import { ApplicationFlags, GatewayIntentBits } from "discord-api-types/v10";

export type PrivilegedIntent = "GuildPresences" | "GuildMembers" | "MessageContent";

const PRIVILEGED: Readonly<Record<PrivilegedIntent, { readonly intent: number; readonly flag: number }>> = {
  GuildPresences: { intent: GatewayIntentBits.GuildPresences, flag: ApplicationFlags.GatewayPresenceLimited },
  GuildMembers: { intent: GatewayIntentBits.GuildMembers, flag: ApplicationFlags.GatewayGuildMembersLimited },
  MessageContent: { intent: GatewayIntentBits.MessageContent, flag: ApplicationFlags.GatewayMessageContentLimited },
};

export const PRIVILEGED_INTENT_NAMES = Object.keys(PRIVILEGED) as PrivilegedIntent[];

/** The application's `flags` with these privileged intents turned on. */
export function applicationFlags(enabled: ReadonlySet<PrivilegedIntent>): number {
  let flags = 0;
  for (const name of enabled) flags |= PRIVILEGED[name].flag;
  return flags;
}

/** Whether an IDENTIFY with `intents` asks for a privileged intent that is turned off. */
export function asksForDisallowed(intents: number, enabled: ReadonlySet<PrivilegedIntent>): boolean {
  return PRIVILEGED_INTENT_NAMES.some((name) => (intents & PRIVILEGED[name].intent) !== 0 && !enabled.has(name));
}
