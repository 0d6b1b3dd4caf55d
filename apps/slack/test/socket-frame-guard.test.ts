import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Logger } from "@parley/bridge";
import bolt from "@slack/bolt";
import { LogLevel } from "@slack/web-api";
import { type FrameEmitter, frameProblem, guardSocketFrames } from "../src/socket-frame-guard.ts";

const { SocketModeReceiver } = bolt;

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const logger = {
    warnings,
    debug: () => undefined,
    info: () => undefined,
    warn: (msg: string) => void warnings.push(msg),
    error: () => undefined,
    child: () => logger,
  };
  return logger as unknown as Logger & { warnings: string[] };
}

const event = (e: unknown) =>
  JSON.stringify({
    envelope_id: "e1",
    type: "events_api",
    payload: { type: "event_callback", event: e },
    accepts_response_payload: false,
    retry_attempt: 0,
    retry_reason: "",
  });

const HOSTILE: Array<[string, string]> = [
  ["JSON null", "null"],
  ["an array", "[1,2]"],
  ["an envelope without a type", JSON.stringify({ envelope_id: "x", payload: {} })],
  ["an envelope of an unknown type", JSON.stringify({ envelope_id: "x", type: "hostile", payload: {} })],
  ["an envelope typed like the client's own events", JSON.stringify({ envelope_id: "x", type: "ws_message" })],
  ["an envelope typed connected", JSON.stringify({ envelope_id: "x", type: "disconnected", payload: {} })],
  ["a payload that is a string", JSON.stringify({ envelope_id: "x", type: "events_api", payload: "x" })],
  ["a payload that is null", JSON.stringify({ envelope_id: "x", type: "events_api", payload: null })],
  ["an event that is an array", event([{ type: "message" }])],
  ["an event without a type", event({ text: "x" })],
  ["an event typed ws_message", event({ type: "ws_message" })],
  ["an event typed disconnected", event({ type: "disconnected" })],
];

describe("the Socket Mode frame guard", () => {
  it("lets Slack's frames through: hello, disconnect, events, interactive and slash commands, and what is not JSON", () => {
    assert.equal(frameProblem(JSON.stringify({ type: "hello", num_connections: 1 }), false), undefined);
    assert.equal(frameProblem(JSON.stringify({ type: "disconnect", reason: "warning" }), false), undefined);
    assert.equal(frameProblem(event({ type: "message", text: "hi" }), false), undefined);
    assert.equal(frameProblem(Buffer.from(event({ type: "reaction_added" })), false), undefined);
    assert.equal(
      frameProblem(
        JSON.stringify({ envelope_id: "x", type: "interactive", payload: { type: "block_actions" } }),
        false,
      ),
      undefined,
    );
    assert.equal(
      frameProblem(JSON.stringify({ envelope_id: "x", type: "slash_commands", payload: {} }), false),
      undefined,
    );
    // The client ignores these on its own.
    assert.equal(frameProblem("not json {", false), undefined);
    assert.equal(frameProblem(Buffer.from([0, 1, 2]), true), undefined);
  });

  for (const [name, frame] of HOSTILE) {
    it(`drops ${name}`, () => assert.notEqual(frameProblem(frame, false), undefined));
  }

  it("in front of the real client: a good event goes on to Bolt, hostile frames go nowhere and end nothing", async () => {
    const receiver = new SocketModeReceiver({ appToken: "xapp-1-test", logLevel: LogLevel.ERROR });
    const client = receiver.client;
    const logger = recordingLogger();
    guardSocketFrames(client as unknown as FrameEmitter, logger);
    const slackEvents: unknown[] = [];
    const states: string[] = [];
    client.removeAllListeners("slack_event");
    client.on("slack_event", (e: unknown) => void slackEvents.push(e));
    for (const s of ["connected", "disconnected"]) client.on(s, () => void states.push(s));
    const rejections: unknown[] = [];
    const onRejection = (e: unknown) => void rejections.push(e);
    process.on("unhandledRejection", onRejection);
    try {
      for (const [, frame] of HOSTILE) client.emit("ws_message", Buffer.from(frame), false);
      client.emit("ws_message", Buffer.from(event({ type: "message", text: "hello" })), false);
      // Two turns of the event loop: a rejection the client's handler left would have been reported by then.
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off("unhandledRejection", onRejection);
    }
    assert.deepEqual(rejections, []);
    assert.deepEqual(states, []);
    assert.equal(slackEvents.length, 1);
    assert.equal(logger.warnings.length, HOSTILE.length);
  });
});
