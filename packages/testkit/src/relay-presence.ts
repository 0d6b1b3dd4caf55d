/**
 * "The bridge is in the room": the presence of the bridge's relay in a MUC
 * room, as a user already in the room sees it. Start waiting before the
 * bridge starts (the client's inbox keeps what came first anyway).
 */
import { isPresence, type Received } from "./stanza-inbox.ts";
import type { XmppSession } from "./xmpp-session.ts";

/** Resolves with the first available presence from an occupant of `room` (matched case-insensitively). */
export function waitForRelay(
  client: Pick<XmppSession, "waitFor">,
  room: string,
  timeoutMs = 15_000,
): Promise<Received> {
  const prefix = `${room.toLowerCase()}/`;
  return client.waitFor(
    isPresence((p) => (p.from ?? "").toLowerCase().startsWith(prefix) && p.type !== "unavailable"),
    { timeoutMs, description: "the bridge's relay in the room" },
  );
}

/** Runs `start` (which starts the bridge) while waiting for its relay in `room`; resolves once both are done. */
export async function startAndAwaitRelay(
  client: Pick<XmppSession, "waitFor">,
  room: string,
  start: () => Promise<void>,
  timeoutMs = 15_000,
): Promise<void> {
  const seen = waitForRelay(client, room, timeoutMs);
  try {
    await start();
  } catch (e) {
    // The bridge did not start: its relay will not come, and that is not the error to report.
    seen.catch(() => undefined);
    throw e;
  }
  await seen;
}
