/**
 * What the Slack app must grant the bridge: exactly the bot scopes the code
 * uses and the events it handles (the manifest in the README lists the
 * same), named once here for the doctor and `parley init`.
 */

/** Bot scopes, each with what it is used for. */
export const BOT_SCOPES: ReadonlyArray<{ readonly scope: string; readonly use: string }> = [
  { scope: "channels:history", use: "message events and catch-up (conversations.history/replies) in public channels" },
  { scope: "groups:history", use: "the same in private channels" },
  { scope: "im:history", use: "direct messages to the bot (answers to XMPP users)" },
  { scope: "channels:read", use: "conversations.info and conversations.members, member_joined/left_channel" },
  { scope: "groups:read", use: "the same for private channels" },
  { scope: "im:write", use: "conversations.open for direct messages from XMPP users" },
  { scope: "chat:write", use: "chat.postMessage, chat.update, chat.delete" },
  { scope: "chat:write.customize", use: "posting under XMPP users' names and avatars (username, icon_url)" },
  { scope: "reactions:read", use: "reaction_added/removed events" },
  { scope: "reactions:write", use: "reactions.add/remove" },
  { scope: "files:read", use: "downloading shared files (url_private) to re-host them" },
  { scope: "files:write", use: "the external upload flow for XMPP users' files" },
  { scope: "users:read", use: "users.info (names, avatars), users.getPresence, user_change events" },
  {
    scope: "usergroups:read",
    use: "usergroups.list and subteam_created/updated events (the handles of mentioned user groups)",
  },
  {
    scope: "dnd:read",
    use: "dnd.teamInfo: members in Do Not Disturb (a snooze or their DND hours) shown as dnd (read when polled: dnd_updated_user is a user-token event)",
  },
];

/** Bot events the app subscribes to. */
export const BOT_EVENTS: readonly string[] = [
  "message.channels",
  "message.groups",
  "message.im",
  "reaction_added",
  "reaction_removed",
  "member_joined_channel",
  "member_left_channel",
  "user_change",
  "subteam_created",
  "subteam_updated",
];

/** The app-level token's scope (Socket Mode). */
export const APP_TOKEN_SCOPE = "connections:write";
