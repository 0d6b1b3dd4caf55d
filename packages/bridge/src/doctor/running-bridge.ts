/**
 * Whether a bridge with this configuration runs now: its ops endpoint answers
 * /healthz. The XMPP checks connect as the component, and a second
 * connection as a running bridge's component is no harmless look: Prosody
 * either refuses it (component_conflict_resolve = "kick_new", the default)
 * or cuts the bridge off for it ("kick_old"), and ejabberd accepts it and
 * shares the component's traffic between the two, so the bridge would miss
 * stanzas meanwhile. So those checks wait until the bridge is stopped.
 */
import type { BridgeConfig } from "../config/index.ts";

/** The health URL of a bridge that answers with this configuration, or undefined when none does. */
export async function runningBridge(config: BridgeConfig, timeoutMs = 1500): Promise<string | undefined> {
  const { host, port } = config.ops;
  if (port === 0) return undefined; // a free port picked at start: nothing to find it by
  const reachable = host === "0.0.0.0" ? "127.0.0.1" : host === "::" || host === "[::]" ? "::1" : host;
  const url = `http://${reachable.includes(":") && !reachable.startsWith("[") ? `[${reachable}]` : reachable}:${port}/healthz`;
  try {
    const answer = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    // A body that is not JSON is not a Parley bridge's health answer.
    const body = (await answer.json().catch(() => undefined)) as { status?: unknown } | undefined;
    return answer.ok && body?.status === "ok" ? url : undefined;
  } catch {
    return undefined; // nothing listens there (or not in time): no bridge runs with this configuration
  }
}
