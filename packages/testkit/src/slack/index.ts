/**
 * The fake Slack: a local Slack that the real @slack/bolt (5.x), @slack/web-api
 * and @slack/socket-mode talk to, for the Slack bridge's tests.
 *
 * Start / connect
 *   const fake = await startFakeSlack(); // options: FakeSlackOptions
 *   const app = new App({ token: fake.botToken, appToken: fake.appToken, socketMode: true,
 *                         clientOptions: { slackApiUrl: fake.apiUrl } });
 *   await app.start(); await fake.waitForConnection();
 *   HTTP mode: new App({ token, signingSecret: fake.signingSecret, clientOptions: ..., port })
 *   then fake.useHttpEvents({ url: "http://127.0.0.1:<port>/slack/events" }).
 *   Tokens: fake.botToken (xoxb-, every method), fake.appToken (xapp-, apps.connections.open only).
 *   Ids: fake.teamId, fake.appId, fake.botId, fake.botUser.id.
 *
 * Web API (`${fake.apiUrl}<method>`, form, multipart or JSON bodies, token in
 * Authorization: Bearer or `token`): auth.test, apps.connections.open,
 * conversations.list/info/members/history/replies/join/open, users.info/list/
 * getPresence, dnd.teamInfo, users.profile.get, usergroups.list, team.info, emoji.list,
 * bots.info, chat.postMessage/update/delete/getPermalink, reactions.add/remove,
 * files.getUploadURLExternal (+ POST of the bytes to upload_url),
 * files.completeUploadExternal, files.info; url_private needs
 * `Authorization: Bearer <bot token>` (without it: a 200 HTML sign-in page, as Slack).
 * Errors as Slack: `{ ok:false, error }` with HTTP 200: not_authed, invalid_auth,
 * token_revoked, not_allowed_token_type, unknown_method, channel_not_found,
 * not_in_channel, missing_scope (+ needed, provided), invalid_arguments
 * (+ response_metadata.messages; arguments checked against the vendored
 * OpenAPI description), no_text, invalid_blocks, message_not_found,
 * cant_update_message, cant_delete_message, already_reacted, no_reaction,
 * invalid_name, thread_not_found, file_not_found...; rate limits: HTTP 429,
 * Retry-After, `error: "ratelimited"` (Slack's tiers, on by default:
 * rate-limits.ts; `rateLimits: false` turns them off).
 * The fake's successful answers are checked against the same description's
 * success schemas, and event payloads against Slack's wrapper schema: a
 * departure is a `violations` line (`response <method>: ...`, `event <type>: ...`).
 *
 * Socket Mode: hello; envelopes `events_api` with envelope_id, payload (the
 * event_callback wrapper), accepts_response_payload, retry_attempt,
 * retry_reason; unacked envelopes redelivered after ackTimeoutMs (3 s) with
 * retry_attempt + 1, retry_reason "timeout", at most maxRetries (3) times.
 * fake.disconnect("refresh_requested" | "warning" | "link_disabled" |
 * "too_many_websockets"), fake.dropSockets(), fake.loseAcks(n), fake.giveUpUndelivered(),
 * fake.envelopes (sends, acked, failed), fake.connections { opened, open }.
 * Hostile tests: fake.sendRawFrame(frame) sends any frame as given (outside
 * the envelope bookkeeping; acks naming no envelope are fake.strayAcks);
 * fake.eventPayload(event) is the wrapper Slack would send, not delivered.
 *
 * HTTP Events: fake.useHttpEvents({ url, timeoutMs?, retryDelayMs?, maxRetries? }):
 * signed POSTs (X-Slack-Signature v0, X-Slack-Request-Timestamp), retries with
 * X-Slack-Retry-Num / X-Slack-Retry-Reason; fake.verifyRequestUrl()
 * (url_verification); fake.deliverBadlySigned(event, "wrong-secret" | "tampered");
 * fake.httpDeliveries; slackSignature(secret, ts, body).
 *
 * Scenario (each sends the event Slack would, to the app if its bot is in the channel):
 *   createUser({ name, realName?, displayName?, image72?, presence?, statusText?, statusEmoji? }) -> team_join
 *   updateUser(id, { realName?, displayName?, image72?, statusText?, statusEmoji?, deleted? }) -> user_change
 *   setPresence(id, "active" | "away") (users.getPresence; no event: presence_change is RTM-only)
 *   setDnd(id, { snoozeMinutes } | { snoozeUntil } | { window: { start, end } } | { off: true }) (dnd.teamInfo;
 *     no event: dnd_updated_user is for user tokens only)
 *   createChannel({ name, private?, members?, bot? = true, topic?, purpose? })
 *   joinChannel(c, user) -> member_joined_channel; leaveChannel -> member_left_channel
 *   openDm(user) -> the bot's D channel; addEmoji(name, url?) -> emoji_changed
 *   createUsergroup({ handle, users }) -> subteam_created; updateUsergroup(id, { handle?, name? }) -> subteam_updated
 *   post(c, user, text, { threadTs?, broadcast?, blocks?, files? }) -> message / file_share (rich_text block by default)
 *   edit(c, ts, text) -> message_changed; remove(c, ts) -> message_deleted
 *   react(c, ts, user, name, "add" | "remove") -> reaction_added / reaction_removed
 *   deliverEvent(event) -> any event, as given, in the wrapper
 * Failures: failNext(method | "*", { error?, count?, retryAfterSeconds?, extra? }),
 *   rateLimitNext(method, { retryAfterSeconds?, count? }), revokeToken(), setScopes([...]).
 * Read back: messages(c), message(c, ts), botActions(c) (post/update/delete/react/unreact
 *   with username, icon_url, icon_emoji, thread_ts, blocks, mrkdwn, files), botPosts(c), dmPosts(user),
 *   reactionsOn(c, ts), file(id) (with bytes), requests, violations.
 * Lookup: userNamed(name).
 * Waiters: waitFor(pred), waitForPosts(c, n), waitForConnection(n?), waitForAcks().
 */

export {
  DEFAULT_BOT_SCOPES as SLACK_DEFAULT_BOT_SCOPES,
  type FakeSlack,
  type FakeSlackOptions,
  type SlackPostOptions,
  startFakeSlack,
} from "./fake-slack.ts";
export { type HttpDelivery as SlackHttpDelivery, slackSignature } from "./http-events.ts";
export type {
  BotAction as SlackBotAction,
  Reaction as SlackReaction,
  SlackEvent,
  SlackMessage,
} from "./message-store.ts";
export {
  type MethodRateLimit as SlackMethodRateLimit,
  type RateLimitOptions as SlackRateLimitOptions,
  SLACK_METHOD_LIMITS,
  SLACK_TIERS,
} from "./rate-limits.ts";
export { SlackScenarioError } from "./slack-errors.ts";
export type {
  DisconnectReason as SlackDisconnectReason,
  EnvelopeRecord as SlackEnvelopeRecord,
} from "./socket-mode.ts";
export type { SlackRequestRecord } from "./web-api.ts";
export type {
  NewSlackChannel,
  NewSlackUser,
  Presence as SlackPresence,
  SlackChannel,
  SlackProfile,
  SlackUser,
  SlackUsergroup,
  UserPatch as SlackUserPatch,
} from "./workspace.ts";
