/**
 * The Matrix side of `parley doctor` (the package's `diagnose` export): the
 * homeserver answers at homeserverUrl (GET /_matrix/client/versions); it
 * knows the as_token, so the registration is loaded, and the user that token
 * acts as is the bridge's bot (GET /account/whoami); and it reaches the
 * application service with the right hs_token (the AS ping, doctor-ping.ts).
 */
import { type DoctorCheck, type DoctorContext, failed, passed } from "@parley/bridge";
import { parseMatrixOptions } from "./config.ts";
import { pingCheck } from "./doctor-ping.ts";
import { botUserId } from "./matrix-ids.ts";

export async function diagnose(options: unknown, _context: DoctorContext): Promise<DoctorCheck[]> {
  const o = parseMatrixOptions(options);
  const home = await homeserverCheck(o.homeserverUrl);
  if (home.status !== "ok") return [home];
  const bot = botUserId(o);
  const registration = await registrationChecks(o.homeserverUrl, o.asToken, bot);
  if (registration.some((c) => c.status !== "ok")) return [home, ...registration];
  return [home, ...registration, await pingCheck(o)];
}

async function homeserverCheck(url: string): Promise<DoctorCheck> {
  const subject = "Matrix homeserver";
  const fix =
    "start the homeserver, or set connectors.matrix.homeserverUrl to the URL of its client API (e.g. http://127.0.0.1:8008)";
  try {
    const answer = await fetch(`${url}/_matrix/client/versions`, { signal: AbortSignal.timeout(10_000) });
    // Not JSON: not a Matrix client API, which the check says next.
    const body = (await answer.json().catch(() => undefined)) as { versions?: unknown } | undefined;
    if (!answer.ok || !Array.isArray(body?.versions)) {
      return failed(subject, `${url} answers ${answer.status}, but not as a Matrix client API`, fix);
    }
    return passed(subject, `answers at ${url}`);
  } catch (e) {
    const cause = e instanceof Error && e.cause instanceof Error ? ` (${e.cause.message})` : "";
    return failed(subject, `cannot be reached at ${url}${cause}`, fix);
  }
}

/** The registration is loaded (the as_token is known), and the user it acts as is the bridge's bot. */
async function registrationChecks(url: string, asToken: string, bot: string): Promise<DoctorCheck[]> {
  const subject = "Matrix registration";
  let status: number;
  let body: { user_id?: string; errcode?: string; error?: string };
  try {
    const answer = await fetch(`${url}/_matrix/client/v3/account/whoami`, {
      headers: { Authorization: `Bearer ${asToken}` },
      signal: AbortSignal.timeout(10_000),
    });
    status = answer.status;
    body = ((await answer.json().catch(() => ({}))) ?? {}) as typeof body; // not JSON: the status alone answers
  } catch (e) {
    return [failed(subject, `not checked: ${e instanceof Error ? e.message : String(e)}`, "run parley doctor again")];
  }
  if (body.errcode === "M_UNKNOWN_TOKEN" || body.errcode === "M_MISSING_TOKEN") {
    return [
      failed(
        subject,
        `the homeserver does not know connectors.matrix.asToken (${body.errcode}): it has not loaded the registration, or the registration's as_token is another`,
        "write the registration with parley-matrix register, list its file in app_service_config_files of homeserver.yaml and restart the homeserver; asToken must be the registration's as_token",
      ),
    ];
  }
  if (status !== 200 || body.user_id === undefined) {
    return [
      failed(
        subject,
        `the homeserver answered ${status}${body.errcode ? ` ${body.errcode}` : ""} when asked who the as_token is`,
        "read the homeserver's log",
      ),
    ];
  }
  const loaded = passed(subject, "loaded: the homeserver knows connectors.matrix.asToken");
  if (body.user_id !== bot) {
    return [
      loaded,
      failed(
        "Matrix bot user",
        `the as_token acts as ${body.user_id}, but the bridge's bot is ${bot}`,
        "make the registration's sender_localpart and connectors.matrix.botLocalpart the same (parley-matrix register writes both), and serverName the homeserver's server_name",
      ),
    ];
  }
  return [loaded, passed("Matrix bot user", `${bot} exists: the as_token acts as it`)];
}
