/**
 * A connector's state (`ConnectorState`) over the store: its keys in a scope
 * of their own, and `expiresWithMessage` turned into the message map's
 * lifetime, so per-message keys go when their message does.
 */
import type { ConnectorState, StateKeyOptions } from "../connector/connector.ts";
import { messageLifetimeMs, type RetentionPolicy } from "./store-retention.ts";
import type { BridgeStore, StateWriteOptions } from "./store-types.ts";

export function connectorStateIn(
  store: Pick<BridgeStore, "getState" | "setState">,
  network: string,
  retention: RetentionPolicy,
): ConnectorState {
  const scope = `connector:${network}`;
  const messageLifetime = messageLifetimeMs(retention);
  const writeOptions = (o: StateKeyOptions | undefined): StateWriteOptions => {
    if (o?.ttlMs !== undefined) return { ttlMs: o.ttlMs };
    if (o?.expiresWithMessage && messageLifetime !== undefined) return { ttlMs: messageLifetime };
    return {};
  };
  return {
    get: (key) => store.getState(scope, key),
    set: (key, value, options) => store.setState(scope, key, value, writeOptions(options)),
  };
}
