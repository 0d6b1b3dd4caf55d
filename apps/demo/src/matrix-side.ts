/**
 * The demo's Matrix side: a real Synapse (installed from PyPI into a cached
 * virtualenv when missing) on localhost, a Matrix account demo / demo, a
 * public room #lobby:localhost, and the Matrix bridge (an application service)
 * linking that room with the same MUC room as Discord, so that the two
 * networks talk through XMPP.
 */
import { randomBytes } from "node:crypto";
import type { Bridge } from "@parley/bridge";
import { buildRegistration, createConnector, type MatrixOptions } from "@parley/matrix";
import { ensureSynapse, freePort, matrixRequest, type Synapse, startSynapse, type XmppServer } from "@parley/testkit";
import { envRef, startDemoBridge } from "./demo-bridge.ts";

export interface MatrixSide {
  readonly synapse: Synapse;
  readonly bridge: Bridge;
  readonly roomId: string;
  readonly logFile: string;
  /** The demo user's access token, for the prompt's `matrix` command. */
  readonly accessToken: string;
  /** Posts as the demo Matrix user. */
  post(text: string): Promise<void>;
  /** The last text messages of the Matrix room: sender and body, oldest first. */
  recent(limit?: number): Promise<Array<{ sender: string; body: string }>>;
}

/** One client-server API call as the demo user. */
function matrixCall(
  synapse: Synapse,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  return matrixRequest(
    synapse.url,
    `${method} ${path.split("?")[0]}`,
    method,
    `/_matrix/client/v3${path}`,
    body,
    token,
  );
}

export async function startMatrixSide(o: {
  server: XmppServer;
  domain: string;
  secret: string;
  dir: string;
  room: string;
  say: (line: string) => void;
  cleanups: Array<() => Promise<unknown>>;
}): Promise<MatrixSide> {
  o.say("checking Synapse (the first run installs it from PyPI, which takes a minute)…");
  await ensureSynapse();
  const options: MatrixOptions = {
    homeserverUrl: "http://127.0.0.1:1", // known once Synapse listens
    serverName: "localhost",
    asToken: randomBytes(24).toString("hex"),
    hsToken: randomBytes(24).toString("hex"),
    appserviceId: "parley-demo",
    listen: { host: "127.0.0.1", port: await freePort() },
    userPrefix: "_xmpp_",
    aliasPrefix: "_xmpp_",
    botLocalpart: "xmppbridge",
  };
  o.say("starting Synapse…");
  const synapse = await startSynapse({ serverName: "localhost", appservices: [buildRegistration(options)] });
  o.cleanups.push(() => synapse.stop());
  const demo = await synapse.registerUser("demo", { password: "demo", displayName: "Demo" });
  const created = await matrixCall(synapse, demo.accessToken, "POST", "/createRoom", {
    preset: "public_chat",
    room_alias_name: "lobby",
    name: "Lobby (bridged to XMPP and Discord)",
  });
  const roomId = String(created.room_id);

  o.say("starting the Matrix bridge…");
  const { bridge, logFile } = await startDemoBridge({
    server: o.server,
    network: "matrix",
    domain: o.domain,
    secret: o.secret,
    dir: o.dir,
    channel: roomId,
    room: o.room,
    connectorYaml: [
      `    homeserverUrl: ${synapse.url}`,
      "    serverName: localhost",
      `    asToken: ${envRef("AS_TOKEN")}`,
      `    hsToken: ${envRef("HS_TOKEN")}`,
      `    appserviceId: ${options.appserviceId}`,
      `    listen: { host: 127.0.0.1, port: ${options.listen.port} }`,
    ].join("\n"),
    env: { AS_TOKEN: options.asToken, HS_TOKEN: options.hsToken },
    makeConnector: createConnector,
    say: o.say,
  });
  o.cleanups.push(() => bridge.stop());
  let txn = 0;
  return {
    synapse,
    bridge,
    roomId,
    logFile,
    accessToken: demo.accessToken,
    async post(text) {
      txn++;
      await matrixCall(
        synapse,
        demo.accessToken,
        "PUT",
        `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/demo-${Date.now()}-${txn}`,
        { msgtype: "m.text", body: text },
      );
    },
    async recent(limit = 10) {
      const r = await matrixCall(
        synapse,
        demo.accessToken,
        "GET",
        `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=${limit * 3}`,
      );
      const chunk = (Array.isArray(r.chunk) ? r.chunk : []) as Array<Record<string, unknown>>;
      return chunk
        .filter((e) => e.type === "m.room.message")
        .map((e) => ({
          sender: String(e.sender),
          body: String((e.content as Record<string, unknown> | undefined)?.body ?? ""),
        }))
        .slice(0, limit)
        .reverse();
    },
  };
}
