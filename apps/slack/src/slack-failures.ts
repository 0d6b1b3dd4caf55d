/**
 * Every Web API failure goes through here: classified for the delivery
 * queue (TransientError, honouring Retry-After; PermanentError), logged
 * once with what was being done, and, when a person must act (a scope
 * missing from the app, the bot not in a channel, a revoked token), told
 * to the bridge's admins with the fix, once per problem.
 *
 * The WebClient does not retry (see `webClientOptions`): retries belong to
 * the engine's delivery queue, which owns ordering and gives up in time.
 */
import { isRecord, type Logger, PermanentError, TransientError } from "@parley/bridge";
import { webApi } from "@slack/bolt";

/** What an admin must do about a Slack error code. */
const FIXES: Readonly<Record<string, (where: string) => string>> = {
  not_in_channel: (where) => `the Slack bot is not in ${where}: invite it there (/invite @YourApp in the channel)`,
  channel_not_found: (where) =>
    `Slack does not know ${where}, or the bot cannot see it: check the channel id in links and invite the bot`,
  missing_scope: () =>
    "the Slack app lacks a scope the bridge uses: add the scopes of the manifest in the @parley/slack README (OAuth & Permissions), reinstall the app and restart the bridge",
  invalid_auth: () =>
    "Slack refused the bot token: put a valid one (OAuth & Permissions > Bot User OAuth Token) in connectors.slack.botToken and restart the bridge",
  not_authed: () => "Slack got no token: set connectors.slack.botToken and restart the bridge",
  token_revoked: () =>
    "the Slack bot token was revoked: reinstall the app, put the new token in connectors.slack.botToken and restart the bridge",
  token_expired: () =>
    "the Slack bot token expired: turn off token rotation for the app or put a fresh token in connectors.slack.botToken",
  account_inactive: () =>
    "the Slack app was uninstalled or its bot deactivated: reinstall it and put the new token in connectors.slack.botToken",
  is_archived: (where) => `${where} is archived on Slack: unarchive it or remove its link`,
  restricted_action: (where) => `the workspace's settings do not let the bot post in ${where}: ask a Slack admin`,
};

/** Codes that will not go away by retrying, besides those needing an admin. */
const PERMANENT = new Set([
  "message_not_found",
  "cant_update_message",
  "cant_delete_message",
  "edit_window_closed",
  "msg_too_long",
  "no_text",
  "invalid_blocks",
  "invalid_arguments",
  "user_not_found",
  "users_not_found",
  "invalid_name",
  "too_many_emoji",
  "too_many_reactions",
  "file_not_found",
  "not_allowed_token_type",
  "method_deprecated",
  "cannot_dm_bot",
]);

export interface FailureContext {
  /** What was being done, for the log (`posting a message`). */
  readonly action: string;
  readonly channel?: string;
}

export interface SlackFailuresOptions {
  readonly logger: Logger;
  readonly notifyAdmins: (text: string) => Promise<void>;
  /** How a channel is named in notices (`#general (C123)`). */
  readonly channelLabel?: (id: string) => string;
}

/** The Slack error code of a WebClient failure (`not_in_channel`, `ratelimited`...), if it has one. */
export function slackErrorCode(e: unknown): string | undefined {
  if (!isRecord(e)) return undefined;
  if (e.code === webApi.ErrorCode.RateLimitedError) return "ratelimited";
  if (e.code === webApi.ErrorCode.PlatformError && isRecord(e.data) && typeof e.data.error === "string")
    return e.data.error;
  return undefined;
}

export class SlackFailures {
  private readonly o: SlackFailuresOptions;
  /** Problems already told to admins (code and channel): each is told once per run. */
  private readonly told = new Set<string>();

  constructor(o: SlackFailuresOptions) {
    this.o = o;
  }

  /** Runs a Web API call; a failure is thrown again as TransientError or PermanentError. */
  async run<T>(context: FailureContext, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      throw this.classify(e, context);
    }
  }

  /** The delivery error for `e`, with the log line and admin notice it calls for. */
  classify(e: unknown, context: FailureContext): Error {
    if (e instanceof TransientError || e instanceof PermanentError) return e;
    const where = context.channel === undefined ? "the channel" : this.label(context.channel);
    if (isRecord(e) && e.code === webApi.ErrorCode.RateLimitedError) {
      const seconds = typeof e.retryAfter === "number" ? e.retryAfter : 1;
      this.o.logger.warn("Slack rate-limited a call; the delivery queue retries after Retry-After", {
        action: context.action,
        retryAfterSeconds: seconds,
      });
      // A 429: Slack did nothing, so the retry need not look for an earlier result.
      return new TransientError(`Slack rate-limited ${context.action}`, {
        retryAfterMs: seconds * 1000,
        nothingDone: true,
        cause: e,
      });
    }
    const code = slackErrorCode(e);
    if (code !== undefined) {
      const fix = FIXES[code];
      if (fix !== undefined) {
        const text = `${context.action} failed (${code}): ${fix(where)}.`;
        this.o.logger.error("Slack refused a call; an admin must act", {
          action: context.action,
          code,
          channel: context.channel,
        });
        this.tell(`${code}:${context.channel ?? ""}`, text);
        return new PermanentError(text, { cause: e });
      }
      if (PERMANENT.has(code))
        return new PermanentError(`${context.action} failed: Slack answered ${code}`, { cause: e });
      // internal_error, fatal_error, service_unavailable, request_timeout...: Slack's side, worth another try.
      return new TransientError(`${context.action} failed: Slack answered ${code}`, { cause: e });
    }
    if (isRecord(e) && e.code === webApi.ErrorCode.HTTPError && typeof e.statusCode === "number") {
      const status = e.statusCode;
      if (status >= 400 && status < 500 && status !== 408)
        return new PermanentError(`${context.action} failed: HTTP ${status}`, { cause: e });
      return new TransientError(`${context.action} failed: HTTP ${status}`, { cause: e });
    }
    // Network failures (RequestError) and anything unexpected: try again later.
    return new TransientError(`${context.action} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }

  private label(channel: string): string {
    try {
      return this.o.channelLabel?.(channel) ?? channel;
    } catch {
      return channel; // a notice must go out even when its label cannot be had: the id names the channel
    }
  }

  private tell(key: string, text: string): void {
    if (this.told.has(key)) return;
    this.told.add(key);
    this.o.notifyAdmins(text).catch((e: unknown) => {
      this.o.logger.warn("an admin notice could not be sent", { error: e instanceof Error ? e.message : String(e) });
    });
  }
}
