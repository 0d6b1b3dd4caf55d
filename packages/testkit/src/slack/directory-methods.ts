/**
 * The read side of the Web API a bridge uses to learn the workspace: who the
 * bot is, Socket Mode's connection URL, channels and their members, users,
 * profiles and presence, usergroups, the team, custom emoji and bots.
 */
import { channelScopes, paginate, requiredStr, scopes, str, visibleChannel } from "./method-kit.ts";
import { SlackApiError } from "./slack-errors.ts";
import type { MethodSpec, SlackWorld } from "./web-api.ts";
import type { SlackChannel } from "./workspace.ts";

function channelObject(w: SlackWorld, c: SlackChannel, withCount = false): Record<string, unknown> {
  const o: Record<string, unknown> = { ...structuredClone(c) };
  if (c.is_im) {
    o.is_user_deleted = w.ws.user(c.user ?? "")?.deleted ?? false;
    o.priority = 0;
  } else {
    o.is_member = w.ws.botIsMember(c.id);
    if (withCount) o.num_members = w.ws.membersOf(c.id).length;
  }
  return o;
}

function user(w: SlackWorld, id: unknown) {
  const u = typeof id === "string" ? w.ws.user(id) : undefined;
  if (!u) throw new SlackApiError("user_not_found");
  return u;
}

const TYPE_OF = (c: SlackChannel): string =>
  c.is_im ? "im" : c.is_mpim ? "mpim" : c.is_private ? "private_channel" : "public_channel";

export const DIRECTORY_METHODS: Record<string, MethodSpec> = {
  "auth.test": {
    scopes: scopes(),
    run: (w) => ({
      url: `https://${w.ws.teamDomain}.slack.com/`,
      team: w.ws.teamName,
      user: w.ws.botUser.name,
      team_id: w.ws.teamId,
      user_id: w.ws.botUser.id,
      bot_id: w.ws.botId,
      is_enterprise_install: false,
    }),
  },
  "apps.connections.open": {
    token: "app",
    // connections:write is the app-level token's scope, which it always has here; bot scopes do not apply.
    scopes: scopes(),
    run: (w) => ({ url: w.socket.issueUrl() }),
  },
  "conversations.list": {
    scopes: scopes("channels:read", "groups:read", "im:read", "mpim:read"),
    run: (w, args) => {
      const types = (str(args, "types") ?? "public_channel").split(",").map((t) => t.trim());
      const excludeArchived = args.exclude_archived === true;
      const list = w.ws
        .allChannels()
        .filter((c) => types.includes(TYPE_OF(c)))
        .filter((c) => !c.is_private || w.ws.botIsMember(c.id))
        .filter((c) => !(excludeArchived && c.is_archived))
        .map((c) => channelObject(w, c, true));
      const { page, next_cursor } = paginate(list, args, { defaultLimit: 100 });
      return { channels: page, response_metadata: { next_cursor } };
    },
  },
  "conversations.info": {
    scopes: channelScopes("read"),
    run: (w, args) => ({
      channel: channelObject(w, visibleChannel(w, args.channel), args.include_num_members === true),
    }),
  },
  "conversations.members": {
    scopes: channelScopes("read"),
    run: (w, args) => {
      const c = visibleChannel(w, args.channel);
      const { page, next_cursor } = paginate([...w.ws.membersOf(c.id)], args, { defaultLimit: 100 });
      return { members: page, response_metadata: { next_cursor } };
    },
  },
  "conversations.join": {
    scopes: scopes("channels:join"),
    channelArg: "channel",
    run: (w, args) => {
      const c = typeof args.channel === "string" ? w.ws.channel(args.channel) : undefined;
      if (!c) throw new SlackApiError("channel_not_found");
      if (c.is_private) throw new SlackApiError("method_not_supported_for_channel_type");
      if (c.is_archived) throw new SlackApiError("is_archived");
      const joined = w.ws.join(c.id, w.ws.botUser.id);
      if (joined) w.memberJoined(c.id, w.ws.botUser.id);
      return {
        channel: channelObject(w, c),
        ...(joined ? {} : { warning: "already_in_channel", response_metadata: { warnings: ["already_in_channel"] } }),
      };
    },
  },
  "conversations.open": {
    scopes: scopes("im:write", "mpim:write"),
    run: (w, args) => {
      const channelArg = str(args, "channel");
      if (channelArg) return { channel: channelObject(w, visibleChannel(w, channelArg)) };
      const users = (str(args, "users") ?? "").split(",").filter((u) => u !== "");
      if (users.length === 0) throw new SlackApiError("users_list_not_supplied");
      if (users.length > 1) throw new SlackApiError("method_not_supported_for_channel_type");
      const u = user(w, users[0]);
      const already = w.ws.dmOf(u.id) !== undefined;
      const c = w.ws.openDm(u.id);
      const full = args.return_im === true;
      return {
        ...(already ? { no_op: true, already_open: true } : {}),
        channel: full ? channelObject(w, c) : { id: c.id },
      };
    },
  },
  "users.info": {
    scopes: scopes("users:read"),
    run: (w, args) => ({ user: structuredClone(user(w, args.user)) }),
  },
  "users.list": {
    scopes: scopes("users:read"),
    run: (w, args) => {
      const { page, next_cursor } = paginate(w.ws.allUsers(), args, { defaultLimit: 200 });
      return {
        members: structuredClone(page),
        cache_ts: Math.floor(Date.now() / 1000),
        response_metadata: { next_cursor },
      };
    },
  },
  "users.getPresence": {
    scopes: scopes("users:read"),
    run: (w, args) => {
      const u = user(w, args.user ?? w.ws.botUser.id);
      return { presence: w.ws.presenceOf(u.id) };
    },
  },
  "dnd.teamInfo": {
    scopes: scopes("dnd:read"),
    run: (w, args) => {
      const ids = (str(args, "users") ?? "").split(",").filter((u) => u !== "");
      const users: Record<string, unknown> = {};
      for (const id of ids) users[id] = w.ws.dndOf(user(w, id).id);
      return { users };
    },
  },
  "users.profile.get": {
    scopes: scopes("users.profile:read"),
    run: (w, args) => ({ profile: { ...structuredClone(user(w, args.user ?? w.ws.botUser.id).profile), fields: {} } }),
  },
  "usergroups.list": {
    scopes: scopes("usergroups:read"),
    run: (w, args) => ({
      usergroups: w.ws.allUsergroups().map((g) => {
        const { users, ...rest } = structuredClone(g);
        return args.include_users === true ? { ...rest, users } : rest;
      }),
    }),
  },
  "team.info": {
    scopes: scopes("team:read"),
    run: (w) => ({
      team: {
        id: w.ws.teamId,
        name: w.ws.teamName,
        url: `https://${w.ws.teamDomain}.slack.com/`,
        domain: w.ws.teamDomain,
        email_domain: "",
        icon: {
          image_default: true,
          image_34: "",
          image_44: "",
          image_68: "",
          image_88: "",
          image_102: "",
          image_132: "",
          image_230: "",
        },
        avatar_base_url: "https://ca.slack-edge.com/",
        is_verified: false,
      },
    }),
  },
  "emoji.list": {
    scopes: scopes("emoji:read"),
    run: (w) => ({ emoji: w.ws.allEmoji(), cache_ts: `${Math.floor(Date.now() / 1000)}.000000` }),
  },
  "bots.info": {
    scopes: scopes("users:read"),
    run: (w, args) => {
      const id = requiredStr(args, "bot", "bot_not_found");
      if (id !== w.ws.botId) throw new SlackApiError("bot_not_found");
      const image = w.ws.botUser.profile.image_72;
      return {
        bot: {
          id,
          deleted: false,
          name: w.ws.botUser.real_name,
          updated: w.ws.botUser.updated,
          app_id: w.ws.appId,
          user_id: w.ws.botUser.id,
          icons: { image_36: image, image_48: image, image_72: image },
        },
      };
    },
  },
};
