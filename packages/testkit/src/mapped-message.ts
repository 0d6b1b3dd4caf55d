/**
 * "The bridge has mapped that message": its store's message map knows a
 * network message and the room's stanza-id for it (the map is written once
 * the room reflected the message, so a test that edits or reacts next waits
 * for this first).
 */
import { pollUntil } from "./poll-until.ts";

/** What this needs of the bridge's store (@parley/bridge's BridgeStore has it). */
export interface MessageMapReader {
  byRemoteId(network: string, remoteId: string): Promise<ReadonlyArray<{ readonly stanzaId?: string | undefined }>>;
}

/** Polls the map until a row for `remoteId` on `network` has a stanza-id. */
export async function waitUntilMapped(
  store: MessageMapReader,
  network: string,
  remoteId: string,
  o: { timeoutMs: number; intervalMs: number },
): Promise<void> {
  await pollUntil(
    `the message map to know ${remoteId}`,
    async () => (await store.byRemoteId(network, remoteId)).some((r) => r.stanzaId !== undefined) || undefined,
    o,
  );
}
