/**
 * Users made the way a real deployment makes them, over HTTP: ordinary users
 * through the client-server API's registration with the m.login.dummy stage
 * (open registration without verification), admins through Synapse's
 * shared-secret registration API, the only way to make an admin without
 * touching the database.
 */
import { createHmac, randomBytes } from "node:crypto";

export interface RegisterUserOptions {
  /** Default: random. */
  readonly password?: string;
  /** Make the user a server admin (through the shared-secret API). */
  readonly admin?: boolean;
  readonly displayName?: string;
}

export interface RegisteredUser {
  readonly userId: string;
  readonly accessToken: string;
  readonly deviceId: string;
}

/** A Matrix error answer, with its HTTP status and errcode; never the request's tokens. */
export class MatrixRequestError extends Error {
  readonly status: number;
  readonly errcode: string | undefined;
  constructor(what: string, status: number, body: unknown) {
    const b = (typeof body === "object" && body !== null ? body : {}) as { errcode?: unknown; error?: unknown };
    const errcode = typeof b.errcode === "string" ? b.errcode : undefined;
    const error = typeof b.error === "string" ? b.error : undefined;
    super(`${what} failed: HTTP ${status}${errcode ? ` ${errcode}` : ""}${error ? `: ${error}` : ""}`);
    this.name = "MatrixRequestError";
    this.status = status;
    this.errcode = errcode;
  }
}

/** One JSON request to the homeserver; rejects with a MatrixRequestError on a non-2xx answer. */
export async function matrixRequest(
  baseUrl: string,
  what: string,
  method: string,
  path: string,
  body?: unknown,
  accessToken?: string,
): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (accessToken !== undefined) headers.authorization = `Bearer ${accessToken}`;
  const res = await fetch(new URL(path, baseUrl), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { error: `not JSON: ${text.slice(0, 200)}` };
  }
  if (!res.ok) throw new MatrixRequestError(what, res.status, parsed);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${what}: expected a JSON object, got ${text.slice(0, 200)}`);
  }
  return parsed as Record<string, unknown>;
}

function registered(what: string, body: Record<string, unknown>): RegisteredUser {
  const { user_id, access_token, device_id } = body;
  if (typeof user_id !== "string" || typeof access_token !== "string" || typeof device_id !== "string") {
    throw new Error(`${what}: the answer lacks user_id, access_token or device_id`);
  }
  return { userId: user_id, accessToken: access_token, deviceId: device_id };
}

export async function registerUser(
  baseUrl: string,
  sharedSecret: string,
  localpart: string,
  o: RegisterUserOptions = {},
): Promise<RegisteredUser> {
  const what = `registering ${JSON.stringify(localpart)}`;
  if (typeof localpart !== "string" || localpart === "") throw new Error(`${what}: the localpart is empty`);
  const password = o.password ?? randomBytes(12).toString("hex");
  if (o.admin) return registerWithSharedSecret(baseUrl, sharedSecret, localpart, password, o.displayName, what);
  const user = registered(
    what,
    await matrixRequest(baseUrl, what, "POST", "/_matrix/client/v3/register", {
      username: localpart,
      password,
      auth: { type: "m.login.dummy" },
      initial_device_display_name: "parley testkit",
    }),
  );
  if (o.displayName !== undefined) {
    await matrixRequest(
      baseUrl,
      `setting the display name of ${user.userId}`,
      "PUT",
      `/_matrix/client/v3/profile/${encodeURIComponent(user.userId)}/displayname`,
      { displayname: o.displayName },
      user.accessToken,
    );
  }
  return user;
}

async function registerWithSharedSecret(
  baseUrl: string,
  sharedSecret: string,
  localpart: string,
  password: string,
  displayName: string | undefined,
  what: string,
): Promise<RegisteredUser> {
  const path = "/_synapse/admin/v1/register";
  const { nonce } = await matrixRequest(baseUrl, `${what}: asking for a nonce`, "GET", path);
  if (typeof nonce !== "string") throw new Error(`${what}: the homeserver gave no registration nonce`);
  const mac = createHmac("sha1", sharedSecret).update(`${nonce}\0${localpart}\0${password}\0admin`).digest("hex");
  const body: Record<string, unknown> = { nonce, username: localpart, password, admin: true, mac };
  if (displayName !== undefined) body.displayname = displayName;
  return registered(what, await matrixRequest(baseUrl, what, "POST", path, body));
}
