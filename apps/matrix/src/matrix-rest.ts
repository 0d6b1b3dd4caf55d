/**
 * The few client-server calls the bridge makes through the SDK's HTTP layer
 * rather than its higher-level methods, which expect a synced client (local
 * echoes, room objects, threads): sending an event with a transaction id of
 * the bridge's choosing, a user's own membership in a room (a per-room
 * name), a read receipt, reading one event, and a room's power levels.
 */
import { type MatrixClient, Method } from "matrix-js-sdk";

function path(template: string, vars: Readonly<Record<string, string>>): string {
  return template.replace(/\$(\w+)/g, (_, k: string) => encodeURIComponent(vars[k] ?? ""));
}

/**
 * Sends a room event; the same `txnId` from the same user is deduplicated by
 * the homeserver. `ts` dates it (ms since the epoch), which the homeserver
 * honours for application services only. Resolves with its ID.
 */
export async function sendRoomEvent(
  client: MatrixClient,
  roomId: string,
  type: string,
  content: Readonly<Record<string, unknown>>,
  txnId: string,
  ts?: number,
): Promise<string> {
  const r = await client.http.authedRequest<{ event_id: string }>(
    Method.Put,
    path("/rooms/$room/send/$type/$txn", { room: roomId, type, txn: txnId }),
    ts !== undefined ? { ts: String(Math.trunc(ts)) } : undefined,
    content as Record<string, unknown>,
  );
  return r.event_id;
}

/** Sets the membership event of `client`'s own user in a room (to show a name or avatar there only). */
export async function setOwnMember(
  client: MatrixClient,
  roomId: string,
  userId: string,
  content: Readonly<Record<string, unknown>>,
): Promise<void> {
  await client.http.authedRequest(
    Method.Put,
    path("/rooms/$room/state/m.room.member/$user", { room: roomId, user: userId }),
    undefined,
    content as Record<string, unknown>,
  );
}

/** Redacts an event as `client`'s user. */
export async function redactRoomEvent(
  client: MatrixClient,
  roomId: string,
  eventId: string,
  txnId: string,
  reason?: string,
): Promise<void> {
  await client.http.authedRequest(
    Method.Put,
    path("/rooms/$room/redact/$event/$txn", { room: roomId, event: eventId, txn: txnId }),
    undefined,
    reason !== undefined ? { reason } : {},
  );
}

/**
 * Registers a ghost (`m.login.application_service`, the as_token as the
 * bearer) without logging it in: the bridge acts for it with the as_token.
 * The SDK's registerRequest sends no token, so this one is written out.
 */
export async function registerAppserviceUser(client: MatrixClient, localpart: string): Promise<void> {
  await client.http.authedRequest(Method.Post, "/register", undefined, {
    type: "m.login.application_service",
    username: localpart,
    inhibit_login: true,
  });
}

/** Marks `eventId` read (a public m.read receipt, not tied to a thread). */
export async function sendReadReceipt(client: MatrixClient, roomId: string, eventId: string): Promise<void> {
  await client.http.authedRequest(
    Method.Post,
    path("/rooms/$room/receipt/m.read/$event", { room: roomId, event: eventId }),
    undefined,
    {},
  );
}

/** Who sent an event, as `client` may see it; undefined when it cannot be read. */
export async function senderOfEvent(
  client: MatrixClient,
  roomId: string,
  eventId: string,
): Promise<string | undefined> {
  try {
    const e = await client.http.authedRequest<{ sender?: unknown }>(
      Method.Get,
      path("/rooms/$room/event/$event", { room: roomId, event: eventId }),
    );
    return typeof e.sender === "string" ? e.sender : undefined;
  } catch {
    return undefined; // the event is gone or hidden from the bot: its sender is unknown, and the edit or redaction is judged without it
  }
}

/** The power level an action needs in a room (`redact`, `kick`, `ban`, `invite`, or an event type to send). */
export async function requiredPowerLevel(
  client: MatrixClient,
  roomId: string,
  action: string,
): Promise<number | undefined> {
  let pl: Record<string, unknown>;
  try {
    pl = await client.getStateEvent(roomId, "m.room.power_levels", "");
  } catch {
    return undefined; // power levels that cannot be read give no level to name: the notice goes without one
  }
  const num = (v: unknown, d: number) => (typeof v === "number" ? v : d);
  switch (action) {
    case "redact":
      return num(pl.redact, 50);
    case "kick":
      return num(pl.kick, 50);
    case "ban":
      return num(pl.ban, 50);
    case "invite":
      return num(pl.invite, 0);
    default: {
      const events = typeof pl.events === "object" && pl.events !== null ? (pl.events as Record<string, unknown>) : {};
      return num(events[action], num(pl.events_default, 0));
    }
  }
}
