/**
 * Writes checks as they come, one line each (`ok`, `FAIL`, `warn`, then what
 * was checked, what was found and the fix), and a closing count. Every line
 * passes through the secret scrubber first: no check quotes a secret on
 * purpose, and this makes sure none does by accident (a server echoing a
 * token back in an error, say).
 */
import { scrubSecrets } from "../config/secrets.ts";
import type { DoctorCheck, DoctorStatus } from "./doctor-check.ts";

const LABEL: Readonly<Record<DoctorStatus, string>> = { ok: "ok  ", fail: "FAIL", warn: "warn" };

export function formatCheck(check: DoctorCheck): string {
  const fix =
    check.status !== "ok" && check.fix !== undefined
      ? `${/[.!?]$/.test(check.finding) ? "" : "."} Fix: ${check.fix}`
      : "";
  return `${LABEL[check.status]}  ${check.subject}: ${check.finding}${fix}`;
}

export class DoctorReport {
  private readonly out: NodeJS.WritableStream;
  private readonly secrets: readonly string[];
  private readonly counts: Record<DoctorStatus, number> = { ok: 0, fail: 0, warn: 0 };

  constructor(out: NodeJS.WritableStream, secrets: readonly string[]) {
    this.out = out;
    this.secrets = secrets;
  }

  add(...checks: readonly DoctorCheck[]): void {
    for (const check of checks) {
      this.counts[check.status]++;
      this.line(formatCheck(check));
    }
  }

  /** A line that is not a check (a heading, a note on what a check did). */
  note(text: string): void {
    this.line(text);
  }

  get failures(): number {
    return this.counts.fail;
  }

  /** The closing count; the exit code follows from `failures`. */
  finish(): void {
    const { ok, fail, warn } = this.counts;
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
    const verdict = fail > 0 ? "the bridge is not ready: fix what FAILed and run parley doctor again" : "ready";
    this.line(`\n${plural(ok, "check")} ok, ${plural(fail, "failure")}, ${plural(warn, "warning")}: ${verdict}`);
  }

  private line(text: string): void {
    this.out.write(`${scrubSecrets(text, this.secrets)}\n`);
  }
}
