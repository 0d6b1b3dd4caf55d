/**
 * A guard in front of @slack/socket-mode's frame handling. The client (3.x)
 * reads `payload.event.type` of every `events_api` frame without looking, in
 * an async handler nothing awaits: a frame whose payload or event is not an
 * object became an unhandled rejection, and the bridge process exited. It
 * also emits each frame under its own `type` (an event's type, for
 * `events_api`) on the same emitter as its internal events, so a frame typed
 * `ws_message`, `connected` or `disconnected` would be taken for one of them.
 * The guard lets through `hello`, `disconnect`, and the envelope types Slack
 * documents for Socket Mode when their payload has the shape the client reads;
 * what it drops is logged.
 */
import type { Logger } from "@parley/bridge";
import { isRecord } from "@parley/bridge";

/** The envelope types Slack sends over Socket Mode besides hello and disconnect. */
const ENVELOPE_TYPES = new Set(["events_api", "interactive", "slash_commands"]);
/** Events the client emits on its own emitter: a frame must not be emitted under one of these names. */
const CLIENT_EVENTS = new Set([
  "ws_message",
  "error",
  "close",
  "slack_event",
  "connecting",
  "connected",
  "reconnecting",
  "disconnecting",
  "disconnected",
  "authenticated",
  "unable_to_socket_mode_start",
  "hello",
  "disconnect",
]);

/** Why a Socket Mode frame would break the client, or undefined when it may go on. */
export function frameProblem(data: unknown, isBinary: boolean): string | undefined {
  // The client ignores binary frames and text that is not JSON on its own.
  if (isBinary) return undefined;
  const text =
    typeof data === "string" ? data : data instanceof Uint8Array ? new TextDecoder().decode(data) : undefined;
  if (text === undefined) return "a frame that is neither text nor bytes";
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return undefined; // not JSON: the client ignores it on its own (see above)
  }
  if (!isRecord(frame)) return "a frame that is not a JSON object";
  const type = frame.type;
  if (type === "hello" || type === "disconnect") return undefined;
  if (typeof type !== "string" || !ENVELOPE_TYPES.has(type)) return `an envelope of unknown type ${describe(type)}`;
  if (!isRecord(frame.payload)) return `a ${type} envelope whose payload is not an object`;
  if (type !== "events_api") return undefined;
  const event = frame.payload.event;
  if (!isRecord(event)) return "an events_api envelope without an event object";
  if (typeof event.type !== "string" || event.type === "") return "an event without a type";
  if (CLIENT_EVENTS.has(event.type)) return `an event typed ${describe(event.type)}, a name of the client's own`;
  return undefined;
}

/** The part of a SocketModeClient the guard uses (an EventEmitter3). */
export interface FrameEmitter {
  listeners(event: "ws_message"): Array<(...args: unknown[]) => unknown>;
  removeAllListeners(event: "ws_message"): unknown;
  on(event: "ws_message", listener: (data: unknown, isBinary: boolean) => void): unknown;
}

/** Puts the guard in front of the client's own `ws_message` handling. */
export function guardSocketFrames(client: FrameEmitter, logger: Logger): void {
  const handlers = client.listeners("ws_message");
  client.removeAllListeners("ws_message");
  client.on("ws_message", (data, isBinary) => {
    const problem = frameProblem(data, isBinary);
    if (problem !== undefined) {
      logger.warn("a Slack Socket Mode frame was dropped", { problem });
      return;
    }
    for (const h of handlers) {
      // The client's handler is async: a rejection it still has is logged, not left to end the process.
      Promise.resolve(h.call(client, data, isBinary)).catch((e: unknown) =>
        logger.warn("a Slack Socket Mode frame failed", { error: e instanceof Error ? e.message : String(e) }),
      );
    }
  });
}

function describe(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v.slice(0, 40)) : typeof v;
}
