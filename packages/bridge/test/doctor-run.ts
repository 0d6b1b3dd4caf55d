/**
 * Running `parley doctor` from a test: a parley.yaml written to a folder of
 * its own, the CLI run as an operator runs it, and its output read back line
 * by line.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import type { XmppServer } from "@parley/testkit";
import type { DoctorDependencies } from "../src/cli/doctor-command.ts";
import { runDoctor } from "../src/cli/doctor-command.ts";
import { runCli } from "../src/cli/run-cli.ts";

export interface DoctorOutput {
  readonly code: number;
  /** What went to stdout: the checks. */
  readonly out: string;
  /** What went to stderr: usage and configuration errors. */
  readonly err: string;
  /** The check line about `subject` (the text after the status, up to its colon), asserted to be there. */
  line(subject: string): string;
  /** Whether a check line about `subject` is there. */
  has(subject: string): boolean;
}

/** Collects what is written to it. */
export function collector(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
  });
  return { stream, text: () => text };
}

export class DoctorFolder {
  readonly dir = mkdtempSync(join(tmpdir(), "parley-doctor-"));
  private count = 0;

  /** Writes `yaml` as a parley.yaml of its own and runs `parley doctor --config` on it. */
  async run(yaml: string, dependencies?: DoctorDependencies): Promise<DoctorOutput> {
    const path = join(this.dir, `parley-${++this.count}.yaml`);
    writeFileSync(path, yaml);
    return runDoctorOn(["--config", path], dependencies);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Runs the doctor with `args`: through `parley doctor` as the CLI dispatches
 * it, or straight through runDoctor when dependencies are swapped.
 */
export async function runDoctorOn(args: readonly string[], dependencies?: DoctorDependencies): Promise<DoctorOutput> {
  const out = collector();
  const err = collector();
  const streams = { stdin: new PassThrough(), stdout: out.stream, stderr: err.stream };
  const code =
    dependencies === undefined
      ? await runCli(["doctor", ...args], err.stream, streams)
      : await runDoctor(args, streams, dependencies);
  const text = out.text();
  const lines = text.split("\n");
  const find = (subject: string) => lines.find((l) => /^(ok|FAIL|warn) {2,}/.test(l) && l.includes(`  ${subject}: `));
  return {
    code,
    out: text,
    err: err.text(),
    has: (subject) => find(subject) !== undefined,
    line(subject) {
      const l = find(subject);
      assert.ok(l, `no check about "${subject}" in:\n${text}${err.text()}`);
      return l;
    },
  };
}

/** The xmpp section for `server`'s first component, with fields replaced by `change`. */
export function xmppSection(
  server: XmppServer,
  change: Partial<{ host: string; port: number; domain: string; secret: string; mucDomain: string }> = {},
): string {
  const c = server.components[0];
  if (!c) throw new Error("the test server has no component");
  const x = {
    host: server.host,
    port: server.componentPort,
    domain: c.domain,
    secret: c.secret,
    mucDomain: server.mucDomain,
    ...change,
  };
  return [
    "xmpp:",
    `  host: ${x.host}`,
    `  port: ${x.port}`,
    `  domain: ${x.domain}`,
    `  secret: "${x.secret}"`,
    `  mucDomain: ${x.mucDomain}`,
  ].join("\n");
}

/** A whole parley.yaml for the reference connector: the xmpp section, a store in `dir`, no ops port to find, links. */
export function doctorConfig(
  xmpp: string,
  dir: string,
  links: ReadonlyArray<{ channel: string; room: string }>,
  extra = "",
): string {
  return `${xmpp}
store:
  url: sqlite:${join(dir, "parley.db")}
ops:
  port: 0
links:
${links.map((l) => `  - { network: reference, channel: ${l.channel}, room: "${l.room}" }`).join("\n") || "  []"}
connectors:
  reference: {}
${extra}`;
}

/** The status word a check line starts with. */
export function statusOf(line: string): string {
  return line.split(/\s+/, 1)[0] ?? "";
}
