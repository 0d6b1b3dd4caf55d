/**
 * What `parley doctor` reports: one check per line, each ok, failed or worth
 * a warning, and for the last two what an operator does about it. Connector
 * packages add their own checks through an optional export,
 * `diagnose(options, context)`, loaded by package name as `createConnector` is.
 */
import type { BridgeConfig } from "../config/index.ts";
import type { Logger } from "../ops/logger-types.ts";

/** ok: as the bridge needs it; fail: the bridge cannot work so; warn: it works, with something missing. */
export type DoctorStatus = "ok" | "fail" | "warn";

export interface DoctorCheck {
  readonly status: DoctorStatus;
  /** What was checked, e.g. "component handshake" or "room lobby@conference.example.org: archive". */
  readonly subject: string;
  /** What was found, as a sentence. Never a secret. */
  readonly finding: string;
  /** For fail and warn: what to change, and where, in words an operator can act on. */
  readonly fix?: string;
}

/** What a connector's `diagnose` is given besides its own `connectors.<network>` section. */
export interface DoctorContext {
  readonly logger: Logger;
  readonly config: BridgeConfig;
  /** The network's linked channels: those of the config's links and those admins linked (from the store). */
  readonly channels: readonly string[];
}

/** The optional export of a connector package that `parley doctor` calls; resolves with its checks, never throws for a failed check. */
export type DiagnoseFunction = (options: unknown, context: DoctorContext) => Promise<DoctorCheck[]>;

export function passed(subject: string, finding: string): DoctorCheck {
  return { status: "ok", subject, finding };
}

export function failed(subject: string, finding: string, fix: string): DoctorCheck {
  return { status: "fail", subject, finding, fix };
}

export function warned(subject: string, finding: string, fix: string): DoctorCheck {
  return { status: "warn", subject, finding, fix };
}
