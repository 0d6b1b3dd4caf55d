/**
 * The faults a scenario injects mid-burst, each followed by what an operator's
 * supervisor (or the network itself) does next: the bridge killed and started
 * again, the XMPP server killed -9 and restarted under the running bridge,
 * Synapse restarted under it, the fake Discord dropping the gateway or
 * answering REST with a burst of 5xx, the fake Slack cutting Socket Mode.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { World } from "./world.ts";

export type FaultKind =
  | "bridge-sigkill"
  | "bridge-sigterm"
  | "xmpp-server-kill9"
  | "synapse-restart"
  | "discord-gateway-drop"
  | "discord-rest-5xx"
  | "slack-socket-drop";

/** What happened, in words for the report. */
export type FaultNote = string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long a killed bridge stays down before it is started again (a supervisor's restart delay). */
const BRIDGE_DOWN_MS = 2000;

/** Injects the fault and resolves once what it broke is running again. */
export async function inject(kind: FaultKind, world: World): Promise<FaultNote> {
  switch (kind) {
    case "bridge-sigkill": {
      const how = await world.bridge.kill("SIGKILL");
      await sleep(BRIDGE_DOWN_MS);
      await world.bridge.start();
      return `bridge ended by ${how}, started again after ${BRIDGE_DOWN_MS} ms`;
    }
    case "bridge-sigterm": {
      const stopping = Date.now();
      const how = await world.bridge.kill("SIGTERM");
      const stopMs = Date.now() - stopping;
      await world.bridge.start();
      return `bridge ended by SIGTERM (${how}) after ${stopMs} ms, started again at once`;
    }
    case "xmpp-server-kill9": {
      if (world.xmpp.kind !== "prosody") throw new Error("xmpp-server-kill9 is written for Prosody (its pidfile)");
      const pid = Number(readFileSync(join(world.xmpp.dir, "prosody.pid"), "utf8").trim());
      if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no Prosody pid in ${world.xmpp.dir}/prosody.pid`);
      process.kill(pid, "SIGKILL");
      while (alive(pid)) await sleep(20);
      const restarting = Date.now();
      await world.xmpp.restart();
      return `Prosody (pid ${pid}) killed -9, restarted in ${Date.now() - restarting} ms; the bridge kept running`;
    }
    case "synapse-restart": {
      if (!world.synapse) throw new Error("synapse-restart needs the Matrix world");
      const restarting = Date.now();
      await world.synapse.restart();
      return `Synapse restarted in ${Date.now() - restarting} ms; the bridge kept running`;
    }
    case "discord-gateway-drop": {
      if (!world.discord) throw new Error("discord-gateway-drop needs the Discord world");
      world.discord.dropConnection();
      await sleep(1000);
      world.discord.dropConnection();
      return "the gateway dropped the bridge's connection twice, 1 s apart (close 4000: resume)";
    }
    case "slack-socket-drop": {
      if (!world.slack) throw new Error("slack-socket-drop needs the Slack world");
      const opened = world.slack.connections.opened;
      world.slack.dropSockets();
      await world.slack.waitForConnection(opened + 1, { timeoutMs: 60_000 });
      return "Slack cut every Socket Mode connection without a close frame; the bridge opened a new one";
    }
    case "discord-rest-5xx": {
      if (!world.discord) throw new Error("discord-rest-5xx needs the Discord world");
      // Thirty 502s from the edge in a row, then two 500s for posts that Discord did make.
      world.discord.failNext({ status: 502, count: 30 });
      world.discord.failNext({ status: 500, count: 2, afterProcessing: true });
      return "REST answered the next 30 requests 502 (the edge's page) and the 2 after them 500 after posting";
    }
  }
}

/** Whether the fault has a part the suite must wait out before it is over (the 5xx burst being used up). */
export async function faultOver(kind: FaultKind, world: World, timeoutMs: number): Promise<void> {
  if (kind !== "discord-rest-5xx" || !world.discord) return;
  const deadline = Date.now() + timeoutMs;
  while (world.discord.pendingFailures > 0 && Date.now() < deadline) await sleep(100);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
