/**
 * The one error a bad configuration produces. It carries every problem found
 * in the file at once, so a person fixes them in one edit instead of one per
 * restart. Each issue names the field, what is wrong and what to write
 * instead; none of them ever quotes a value, because the value may be a
 * secret or come from the environment.
 */

/** One problem in the configuration. `path` is the field (`xmpp.port`, `links[0].room`), or "" for the file itself. */
export interface ConfigIssue {
  readonly path: string;
  readonly problem: string;
  readonly fix: string;
  /** 1-based position in the YAML text, when known. */
  readonly line?: number;
  readonly column?: number;
}

export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  /** `source` names the file (or "(inline text)") in file-level lines. */
  constructor(issues: readonly ConfigIssue[], source = "(inline text)") {
    super(issues.map((i) => formatConfigIssue(i, source)).join("\n"));
    this.name = "ConfigError";
    this.issues = issues;
  }
}

/** One line of a ConfigError message: "config field `xmpp.port`: <problem>; <fix>". */
export function formatConfigIssue(issue: ConfigIssue, source = "(inline text)"): string {
  if (issue.path !== "") return `config field \`${issue.path}\`: ${issue.problem}; ${issue.fix}`;
  const where =
    issue.line === undefined
      ? ""
      : `, line ${issue.line}${issue.column === undefined ? "" : `, column ${issue.column}`}`;
  return `config file \`${source}\`${where}: ${issue.problem}; ${issue.fix}`;
}

/** Renders a zod/yaml style path (`["links", 0, "room"]`) as `links[0].room`. */
export function formatConfigPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const step of path) {
    if (typeof step === "number") out += `[${step}]`;
    else out += out === "" ? String(step) : `.${String(step)}`;
  }
  return out;
}
