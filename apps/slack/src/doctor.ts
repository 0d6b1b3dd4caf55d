/**
 * The Slack side of `parley doctor` (the package's `diagnose` export): the
 * bot token (auth.test), the scopes the token was granted against those the
 * bridge uses (Slack lists them in every answer's X-OAuth-Scopes), the
 * app-level token in Socket Mode (apps.connections.open), and each linked
 * channel: known to Slack and the bot a member.
 */
import { type DoctorCheck, type DoctorContext, failed, passed, warned } from "@parley/bridge";
import { webApi } from "@slack/bolt";
import { parseSlackOptions } from "./config.ts";
import { APP_TOKEN_SCOPE, BOT_SCOPES } from "./slack-app.ts";
import { webClientOptions } from "./slack-connector.ts";
import { slackErrorCode } from "./slack-failures.ts";

const NEW_TOKEN =
  "copy the Bot User OAuth Token (xoxb-...) from api.slack.com/apps > your app > OAuth & Permissions into connectors.slack.botToken";

export async function diagnose(options: unknown, context: DoctorContext): Promise<DoctorCheck[]> {
  const o = parseSlackOptions(options);
  const client = new webApi.WebClient(o.botToken, { ...webClientOptions(o), logger: quiet() });
  let auth: webApi.AuthTestResponse;
  try {
    auth = await client.auth.test();
  } catch (e) {
    const code = slackErrorCode(e);
    if (code !== undefined) return [failed("Slack bot token", `refused (${code})`, NEW_TOKEN)];
    return [
      failed(
        "Slack bot token",
        `Slack could not be reached: ${String(e)}`,
        "check the network, or connectors.slack.apiUrl",
      ),
    ];
  }
  const checks: DoctorCheck[] = [
    passed(
      "Slack bot token",
      `accepted: the bot is ${auth.user ?? "?"} (${auth.user_id ?? "?"}) in ${auth.team ?? "?"}`,
    ),
  ];
  const granted = auth.response_metadata?.scopes;
  if (granted === undefined) {
    checks.push(
      warned("Slack scopes", "Slack did not list the token's scopes", "compare them with the README's manifest"),
    );
  } else {
    const missing = BOT_SCOPES.filter((s) => !granted.includes(s.scope));
    checks.push(
      missing.length === 0
        ? passed("Slack scopes", "every scope the bridge uses is granted")
        : failed(
            "Slack scopes",
            `missing: ${missing.map((s) => `${s.scope} (${s.use})`).join("; ")}`,
            "add them under OAuth & Permissions > Bot Token Scopes (or use the manifest in the @parley/slack README), reinstall the app",
          ),
    );
  }
  if (o.mode === "socket") checks.push(await appTokenCheck(o.appToken ?? "", o.apiUrl));
  for (const channel of context.channels) checks.push(await channelCheck(client, channel));
  return checks;
}

async function appTokenCheck(appToken: string, apiUrl: string | undefined): Promise<DoctorCheck> {
  const client = new webApi.WebClient(appToken, { ...webClientOptions({ apiUrl }), logger: quiet() });
  try {
    await client.apps.connections.open();
    return passed("Slack app-level token", "Socket Mode connections are accepted");
  } catch (e) {
    return failed(
      "Slack app-level token",
      `refused (${slackErrorCode(e) ?? String(e)})`,
      `enable Socket Mode for the app and put an app-level token with ${APP_TOKEN_SCOPE} (Basic Information > App-Level Tokens) in connectors.slack.appToken`,
    );
  }
}

async function channelCheck(client: webApi.WebClient, channel: string): Promise<DoctorCheck> {
  const subject = `Slack channel ${channel}`;
  try {
    const r = await client.conversations.info({ channel });
    const name = r.channel?.name === undefined ? channel : `#${r.channel.name}`;
    if (r.channel?.is_archived === true)
      return failed(subject, `${name} is archived`, "unarchive it or remove its link");
    if (r.channel?.is_member !== true)
      return failed(subject, `the bot is not in ${name}`, `invite it: /invite @YourApp in ${name}`);
    return passed(subject, `${name}: the bot is a member`);
  } catch (e) {
    return failed(
      subject,
      `not found or not visible (${slackErrorCode(e) ?? String(e)})`,
      "check the channel id in links (channel details > About, at the bottom) and invite the bot",
    );
  }
}

/** The WebClient's own log lines are of no use in the doctor's report. */
function quiet(): webApi.Logger {
  const none = () => undefined;
  return {
    debug: none,
    info: none,
    warn: none,
    error: none,
    setLevel: none,
    getLevel: () => webApi.LogLevel.ERROR,
    setName: none,
  };
}
