/**
 * What `parley init` asks everyone, and how any question (common or a
 * connector's) is answered: from its flag, else at the prompt when there is
 * one, else by its default; a missing or bad flag is an InitUsageError that
 * names the flag and gives an example.
 */
import { parseJid } from "@parley/stanza";
import {
  type ConnectorInit,
  type InitBasics,
  type InitQuestion,
  InitUsageError,
  NETWORK_NAME,
} from "./init-connector.ts";
import { type InitFlags, singleValue } from "./init-flags.ts";
import type { Prompter } from "./init-prompt.ts";

export type ServerKind = "prosody" | "ejabberd";

export interface BridgeAnswers {
  readonly network: string;
  readonly componentDomain: string;
  /** The connector's own answers. */
  readonly answers: Readonly<Record<string, string>>;
  readonly init: ConnectorInit;
}

export interface InitAnswers {
  readonly server: ServerKind;
  readonly domain: string;
  readonly mucDomain: string;
  readonly componentPort: number;
  /** A bare JID, or "" for none. */
  readonly admin: string;
  readonly bridges: readonly BridgeAnswers[];
}

/** What the domain of a server, service or component must be. */
export function domainProblem(value: string): string | undefined {
  const r = parseJid(value);
  if (!r.ok || r.value.local !== undefined || r.value.resource !== undefined || !value.includes(".")) {
    return "is not a domain name (such as example.org: no @, no /)";
  }
  return undefined;
}

const oneOf = (allowed: readonly string[]) => (value: string) =>
  allowed.includes(value) ? undefined : `is not one of ${allowed.join(", ")}`;

function networksProblem(value: string): string | undefined {
  const names = splitList(value);
  if (names.length === 0) return "names no network";
  const bad = names.find((n) => !NETWORK_NAME.test(n));
  if (bad !== undefined) return "has a name that is not a network (lower-case letters, digits and dashes)";
  if (new Set(names).size !== names.length) return "names a network twice";
  return undefined;
}

function portProblem(value: string): string | undefined {
  const n = Number(value);
  return /^\d+$/.test(value) && n >= 1 && n <= 65535 ? undefined : "is not a port (a whole number from 1 to 65535)";
}

function bareJidProblem(value: string): string | undefined {
  if (value === "") return undefined;
  const r = parseJid(value);
  return r.ok && r.value.local !== undefined && r.value.resource === undefined
    ? undefined
    : "is not a bare JID (such as admin@example.org)";
}

export function splitList(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== "");
}

export const COMMON_QUESTIONS = {
  server: {
    name: "server",
    flag: "server",
    prompt: "XMPP server (prosody or ejabberd)",
    example: "prosody",
    check: oneOf(["prosody", "ejabberd"]),
  },
  domain: {
    name: "domain",
    flag: "domain",
    prompt: "The XMPP server's domain",
    example: "example.org",
    check: domainProblem,
  },
  network: {
    name: "network",
    flag: "network",
    prompt: "Networks to bridge (discord, matrix; comma-separated)",
    example: "discord",
    check: networksProblem,
  },
  componentPort: {
    name: "componentPort",
    flag: "component-port",
    prompt: "The port the server accepts components on",
    example: "5347",
    default: () => "5347",
    check: portProblem,
  },
  admin: {
    name: "admin",
    flag: "admin",
    prompt: "Your XMPP address, to run the bridge's admin commands (optional)",
    example: "admin@example.org",
    optional: true,
    check: bareJidProblem,
  },
} as const;

/** The MUC service's domain: not the server's own. */
export function mucDomainQuestion(domain: string): InitQuestion {
  return {
    name: "mucDomain",
    flag: "muc-domain",
    prompt: "The MUC service the rooms live on",
    example: `conference.${domain}`,
    default: () => `conference.${domain}`,
    check: (value) =>
      value.toLowerCase() === domain
        ? "is the server's own domain; the rooms need a service of their own"
        : domainProblem(value),
  };
}

/** One bridge's component domain: none of the domains `taken` already (the server's, the MUC service's, other bridges'). */
export function componentDomainQuestion(network: string, taken: ReadonlySet<string>): InitQuestion {
  return {
    name: "componentDomain",
    flag: "component-domain",
    prompt: `The ${network} bridge's component domain`,
    example: `${network}.example.org`,
    default: (c) => `${network}.${c.domain}`,
    check: (value) =>
      taken.has(value.toLowerCase())
        ? "is already the server's, the MUC service's or another bridge's domain"
        : domainProblem(value),
  };
}

export interface Answering {
  readonly flags: InitFlags;
  /** Present when answers missing from the command line are asked for. */
  readonly prompter?: Prompter;
}

/**
 * Answers one question. Without `fromFlag` the question's flag is not read
 * (a bridge's component domain when several are set up): it is asked, or
 * takes its default.
 */
export async function answer(
  question: InitQuestion,
  context: InitBasics,
  how: Answering,
  fromFlag = true,
): Promise<string> {
  const flag = question.flag;
  const check = (value: string): string | undefined => {
    if (value === "") return question.optional ? undefined : "is empty";
    return question.check?.(value);
  };
  const given = fromFlag ? singleValue(how.flags, flag) : undefined;
  if (given !== undefined) {
    const value = given.trim();
    const problem = check(value);
    if (problem !== undefined) {
      throw new InitUsageError(`--${flag}`, problem, `write it like --${flag} ${question.example}`);
    }
    return value;
  }
  const fallback = question.default?.(context);
  if (how.prompter) return how.prompter.ask(question.prompt, fallback, check);
  if (fallback !== undefined) return fallback;
  if (question.optional) return "";
  throw new InitUsageError(
    `--${flag}`,
    "is missing",
    `give it, e.g. --${flag} ${question.example} (or run parley init at a terminal to be asked)`,
  );
}

/** Whether any required common answer is missing from the command line (then a terminal is asked). */
export function requiredMissing(flags: InitFlags): boolean {
  return ["server", "domain", "network"].some((flag) => !flags.values.has(flag));
}
