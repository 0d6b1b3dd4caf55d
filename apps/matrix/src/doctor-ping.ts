/**
 * The application-service ping (POST /_matrix/client/v1/appservice/{id}/ping):
 * the homeserver calls the registration's url with the registration's
 * hs_token and says how that went. Something must answer there: when the
 * listen port is free (the bridge is stopped), the doctor listens on it for
 * the length of the ping with the bridge's own application-service server,
 * which checks the hs_token as the bridge does; transactions that arrive
 * meanwhile are refused with a 500, so the homeserver keeps them and sends
 * them again later (at once when the bridge pings at its start). When the
 * port is taken (the bridge runs), what listens there answers.
 *
 * Synapse's answers: 200 {duration_ms}; 403 M_FORBIDDEN for an id that is
 * not the as_token's registration; 502 M_URL_NOT_SET; 502
 * M_CONNECTION_FAILED when nothing answers at the url; 502 M_BAD_STATUS with
 * the application service's status (403 for a wrong hs_token); 504
 * M_CONNECTION_TIMEOUT.
 */
import { randomUUID } from "node:crypto";
import { type DoctorCheck, failed, passed, silentLogger, warned } from "@parley/bridge";
import { type AppserviceServer, startAppserviceServer } from "./appservice-server.ts";
import type { MatrixOptions } from "./config.ts";

const SUBJECT = "Matrix application-service ping";

class DoctorOnly extends Error {
  constructor() {
    super("parley doctor answers only the ping: the bridge is not running");
  }
}

export async function pingCheck(o: MatrixOptions): Promise<DoctorCheck> {
  const where = `${o.listen.host}:${o.listen.port}`;
  let listener: AppserviceServer | undefined;
  let answeredBy: string;
  try {
    listener = await startAppserviceServer({
      host: o.listen.host,
      port: o.listen.port,
      hsToken: o.hsToken,
      logger: silentLogger,
      handlers: {
        transaction: async () => {
          throw new DoctorOnly();
        },
        queryUser: async () => {
          throw new DoctorOnly();
        },
        queryAlias: async () => {
          throw new DoctorOnly();
        },
      },
    });
    answeredBy = `parley doctor, listening briefly on ${where} as the bridge would`;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE") {
      return failed(
        SUBJECT,
        `the application service could not listen on ${where} (${e instanceof Error ? e.message : String(e)})`,
        "set connectors.matrix.listen to an address and port of this machine that is free",
      );
    }
    answeredBy = `what already listens on ${where} (the bridge, running?)`;
  }
  try {
    return await ping(o, answeredBy, listener !== undefined);
  } finally {
    await listener?.close();
  }
}

async function ping(o: MatrixOptions, answeredBy: string, doctorListens: boolean): Promise<DoctorCheck> {
  const url = `${o.homeserverUrl}/_matrix/client/v1/appservice/${encodeURIComponent(o.appserviceId)}/ping`;
  let status: number;
  let body: { errcode?: string; error?: string; status?: number; duration_ms?: number };
  try {
    const answer = await fetch(url, {
      method: "POST",
      headers: { Authorization: `Bearer ${o.asToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ transaction_id: `parley-doctor-${randomUUID()}` }),
      signal: AbortSignal.timeout(30_000),
    });
    status = answer.status;
    body = ((await answer.json().catch(() => ({}))) ?? {}) as typeof body; // not JSON: the status alone answers
  } catch (e) {
    return failed(
      SUBJECT,
      `the homeserver did not answer (${e instanceof Error ? e.message : String(e)})`,
      "run parley doctor again; if it persists, read the homeserver's log",
    );
  }
  if (status === 200) {
    const took = typeof body.duration_ms === "number" ? ` in ${body.duration_ms} ms` : "";
    return passed(
      SUBJECT,
      `the homeserver reached the application service at the registration's url${took}; answered by ${answeredBy}`,
    );
  }
  const said = `${status} ${body.errcode ?? ""}${body.error ? `: ${body.error}` : ""}`.trim();
  switch (body.errcode) {
    case "M_FORBIDDEN":
      return failed(
        SUBJECT,
        `the homeserver refused (${said}): connectors.matrix.appserviceId is not the id of the registration the as_token belongs to`,
        "set connectors.matrix.appserviceId to the registration's id",
      );
    case "M_URL_NOT_SET":
      return failed(
        SUBJECT,
        `the registration the homeserver loaded has no url (${said})`,
        "write the registration again with parley-matrix register (it puts the url from connectors.matrix.listen or publicUrl), then restart the homeserver",
      );
    case "M_CONNECTION_FAILED":
    case "M_CONNECTION_TIMEOUT":
      return failed(
        SUBJECT,
        `the homeserver could not reach the application service at the registration's url (${said})`,
        doctorListens
          ? `the registration's url must lead to ${o.listen.host}:${o.listen.port} from the homeserver: set connectors.matrix.publicUrl (or listen) to match, write the registration again with parley-matrix register, and restart the homeserver`
          : "check that the bridge runs and that the registration's url leads to it from the homeserver",
      );
    case "M_BAD_STATUS":
      if (body.status === 403 || body.status === 401) {
        return failed(
          SUBJECT,
          `the application service refused the homeserver's hs_token (${body.status}): the registration's hs_token is not connectors.matrix.hsToken`,
          "set connectors.matrix.hsToken to the registration's hs_token (or write the registration again with parley-matrix register and restart the homeserver)",
        );
      }
      return failed(
        SUBJECT,
        `the application service at the registration's url answered ${body.status ?? "an error"}`,
        `check that the registration's url leads to the bridge (${o.listen.host}:${o.listen.port}), not to another service`,
      );
    case "M_UNRECOGNIZED":
      return warned(
        SUBJECT,
        `the homeserver does not know the ping (${said}): it is older than the Matrix 1.7 application-service ping`,
        "upgrade the homeserver (Synapse 1.84 or later) to have it checked; until then, watch the bridge's log for transactions arriving",
      );
    default:
      return failed(SUBJECT, `the homeserver answered ${said}`, "read the homeserver's log");
  }
}
