/**
 * What `parley init` asks and writes for Matrix: where the homeserver is and
 * its server name, where the application service listens, generated as_token
 * and hs_token written into the section, and the registration Synapse loads,
 * made from that same section (so the two cannot disagree).
 */
import type { ConnectorInitResult, InitContext, InitQuestion } from "@parley/bridge";
import { parseMatrixOptions } from "./config.ts";
import { buildRegistration, homeserverConfigLine, registrationYaml } from "./registration.ts";

export const REGISTRATION_FILE_NAME = "matrix-registration.yaml";

function httpUrlProblem(value: string): string | undefined {
  try {
    const url = new URL(value);
    if ((url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "" && url.search === "") return;
  } catch {
    // not a URL at all: said below
  }
  return "is not an http:// or https:// URL";
}

const portProblem = (value: string) =>
  /^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 65535 ? undefined : "is not a port (1 to 65535)";

export const initQuestions: readonly InitQuestion[] = [
  {
    name: "homeserverUrl",
    flag: "matrix-homeserver-url",
    prompt: "Where the bridge reaches the homeserver's client API",
    example: "http://127.0.0.1:8008",
    default: () => "http://127.0.0.1:8008",
    check: httpUrlProblem,
  },
  {
    name: "serverName",
    flag: "matrix-server-name",
    prompt: "The homeserver's server name (the part after the colon in user IDs)",
    example: "example.org",
    default: (c) => c.domain,
    check: (value) => (/^[A-Za-z0-9.\-[\]:]+$/.test(value) ? undefined : "is not a server name"),
  },
  {
    name: "listenPort",
    flag: "matrix-listen-port",
    prompt: "The port the application service listens on, for the homeserver",
    example: "9000",
    default: () => "9000",
    check: portProblem,
  },
];

export function initConnector(context: InitContext): ConnectorInitResult {
  const { homeserverUrl = "", serverName = "", listenPort = "9000" } = context.answers;
  const section = {
    homeserverUrl,
    serverName,
    asToken: context.newSecret(),
    hsToken: context.newSecret(),
    listen: { host: "127.0.0.1", port: Number(listenPort) },
  };
  const registration = buildRegistration(parseMatrixOptions(section));
  const where = context.pathOf(REGISTRATION_FILE_NAME);
  return {
    section,
    files: [
      {
        name: REGISTRATION_FILE_NAME,
        content: registrationYaml(registration),
        what: "the application-service registration for Synapse (it holds the tokens of the matrix config)",
      },
    ],
    nextSteps: [
      `Let Synapse load the registration: make ${where} readable by Synapse's user (or copy it where Synapse keeps its files and use that path), add  ${homeserverConfigLine(where)}  to homeserver.yaml, and restart Synapse.`,
      `Invite @${registration.sender_localpart}:${serverName} to a private Matrix room you link; a public room it joins by itself.`,
    ],
  };
}
