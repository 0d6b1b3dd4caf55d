/**
 * REST routes about who and where: the gateway, the bot and other users, DMs,
 * guilds with their channels, members, roles, emoji and active threads, and
 * single channels.
 */
import type { APIGuildMember } from "discord-api-types/v10";
import { PermissionFlagsBits } from "discord-api-types/v10";
import { isThread } from "./directory.ts";
import {
  DiscordError,
  fieldError,
  invalidFormBody,
  unknownGuild,
  unknownMember,
  unknownUser,
} from "./discord-errors.ts";
import { BOT_PERMISSIONS } from "./permissions.ts";
import { intQuery, ok, param, type RestWorld, type Route, type RouteRequest, visibleChannel } from "./route-kit.ts";

function guildId(w: RestWorld, r: RouteRequest): string {
  const id = param(r, "guild_id");
  if (!w.dir.hasGuild(id)) throw unknownGuild();
  return id;
}

export const DIRECTORY_ROUTES: Readonly<Record<string, Route>> = {
  "GET /gateway": (w) => ok({ url: w.gatewayUrl }),

  "GET /gateway/bot": (w) =>
    ok({
      url: w.gatewayUrl,
      shards: 1,
      session_start_limit: {
        total: 1000,
        remaining: Math.max(0, 1000 - w.sessionStarts()),
        reset_after: 14_400_000,
        max_concurrency: 1,
      },
    }),

  // The bot's own user carries the private fields an OAuth2 "identify" scope shows.
  "GET /users/@me": (w) => ok({ ...w.dir.bot, mfa_enabled: w.dir.bot.mfa_enabled ?? false, locale: "en-US" }),

  "GET /users/{user_id}": (w, r) => {
    const user = w.dir.user(param(r, "user_id"));
    if (!user) throw unknownUser();
    return ok(user);
  },

  "GET /users/@me/guilds": (w) =>
    ok(
      w.dir.guildIds().map((id) => {
        const g = w.dir.guildObject(id);
        return {
          id,
          name: g.name,
          icon: g.icon,
          banner: null,
          owner: false,
          permissions: BOT_PERMISSIONS.toString(),
          features: [],
        };
      }),
    ),

  "POST /users/@me/channels": (w, r) => {
    const recipient = r.json.recipient_id;
    if (typeof recipient !== "string" || !w.dir.user(recipient)) {
      if (typeof recipient === "string") throw new DiscordError(400, 50033, "Invalid Recipient(s)");
      throw invalidFormBody(
        fieldError(["recipient_id"], { code: "BASE_TYPE_REQUIRED", message: "This field is required" }),
      );
    }
    return ok(w.dir.openDm(recipient));
  },

  "GET /applications/@me": (w) => ok(application(w)),
  "GET /oauth2/applications/@me": (w) => ok(application(w)),

  "GET /guilds/{guild_id}": (w, r) => ok(w.dir.guildObject(guildId(w, r), r.query.get("with_counts") === "true")),

  "GET /guilds/{guild_id}/channels": (w, r) => ok(w.dir.guildChannels(guildId(w, r))),

  "GET /guilds/{guild_id}/roles": (w, r) => ok(w.dir.roles(guildId(w, r))),

  "GET /guilds/{guild_id}/emojis": (w, r) => ok(w.dir.emojis(guildId(w, r))),

  "GET /guilds/{guild_id}/members": (w, r) => {
    const id = guildId(w, r);
    const limit = intQuery(r, "limit", 1);
    const after = BigInt(intQuery(r, "after", 0));
    const members: APIGuildMember[] = w.dir
      .memberIds(id)
      .filter((u) => BigInt(u) > after)
      .slice(0, limit)
      .map((u) => w.dir.memberObject(id, u));
    return ok(members);
  },

  "GET /guilds/{guild_id}/members/{user_id}": (w, r) => {
    const id = guildId(w, r);
    const user = param(r, "user_id");
    if (!w.dir.isMember(id, user)) throw w.dir.user(user) ? unknownMember() : unknownUser();
    return ok(w.dir.memberObject(id, user));
  },

  "GET /guilds/{guild_id}/threads/active": (w, r) => {
    const threads = w.dir.threadsOf(guildId(w, r)).filter((t) => !t.thread_metadata?.archived);
    // discord-api-types leaves has_more out of this answer; the OpenAPI description requires it.
    return ok({ threads, members: [], has_more: false });
  },

  "GET /channels/{channel_id}": (w, r) => ok(visibleChannel(w, param(r, "channel_id"))),

  "GET /channels/{channel_id}/threads/archived/public": (w, r) => archivedThreads(w, r),
  "GET /channels/{channel_id}/threads/archived/private": (w, r) => archivedThreads(w, r),

  "PUT /channels/{channel_id}/thread-members/@me": (w, r) => {
    const c = visibleChannel(w, param(r, "channel_id"));
    if (!isThread(c)) throw new DiscordError(400, 50024, "Cannot execute action on this channel type");
    return { status: 204 };
  },

  "DELETE /channels/{channel_id}/thread-members/@me": (w, r) => {
    const c = visibleChannel(w, param(r, "channel_id"));
    if (!isThread(c)) throw new DiscordError(400, 50024, "Cannot execute action on this channel type");
    return { status: 204 };
  },
};

/** The fake never archives threads, so the archive is always empty. */
function archivedThreads(w: RestWorld, r: RouteRequest) {
  visibleChannel(w, param(r, "channel_id"));
  return ok({ threads: [], members: [], has_more: false });
}

/** The bot's application as its owner sees it: a private bot, with no interactions endpoint and no team. */
function application(w: RestWorld) {
  return {
    id: w.applicationId,
    name: w.dir.bot.username,
    icon: null,
    description: "",
    type: null,
    bot_public: false,
    bot_require_code_grant: false,
    verify_key: "0".repeat(64),
    flags: w.applicationFlags(),
    flags_new: String(w.applicationFlags()),
    redirect_uris: [],
    interactions_endpoint_url: null,
    role_connections_verification_url: null,
    owner: w.dir.applicationOwner(),
    team: null,
    approximate_guild_count: w.dir.guildIds().length,
    approximate_user_install_count: 0,
    approximate_user_authorization_count: 0,
    explicit_content_filter: 0,
    eligible_oauth2_scopes: ["applications.commands", "bot"],
    bot: w.dir.bot,
    install_params: { scopes: ["bot"], permissions: (BOT_PERMISSIONS & ~PermissionFlagsBits.Administrator).toString() },
  };
}
