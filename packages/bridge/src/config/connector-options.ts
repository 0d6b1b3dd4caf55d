/**
 * A connector's settings (`connectors.<network>`) checked by its own zod
 * schema: zod's issues as ConfigIssues naming the setting, the problem in
 * plain words and the fix the connector gives for that setting. Shared by the
 * connectors so their messages read alike; no setting's value reaches a
 * message (it is read only to tell "missing" from "wrong").
 */
import type { z } from "zod";
import { isRecord } from "../connector/json-values.ts";
import { ConfigError, type ConfigIssue } from "./config-error.ts";

export interface ConnectorOptionsHelp {
  /** The key under `connectors`, e.g. "slack". */
  readonly connector: string;
  /** How messages name the connector, e.g. "the Slack connector". */
  readonly label: string;
  /** The fix for each setting; its keys are also the settings listed for an unknown one. */
  readonly fixes: Readonly<Record<string, string>>;
  /** The fix when the whole section is wrong, e.g. "write a mapping such as { token: ... }". */
  readonly example: string;
  /** The problem for a string that fails a format check, by zod's format name (default: "is not an http(s) URL"). */
  readonly formats?: Readonly<Record<string, string>>;
}

/**
 * Checks `connectors.<network>` (absent reads as `{}`) against the
 * connector's schema: its settings with defaults applied, or one ConfigError
 * listing every problem.
 */
export function parseConnectorOptions<S extends z.ZodType>(
  schema: S,
  options: unknown,
  help: ConnectorOptionsHelp,
): z.output<S> {
  const parsed = schema.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  throw new ConfigError(connectorOptionIssues(parsed.error.issues, options, help));
}

/** The ConfigIssues for zod's `issues` about `input` (the connector's section as written). */
export function connectorOptionIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  help: ConnectorOptionsHelp,
): ConfigIssue[] {
  return issues.flatMap((issue): ConfigIssue[] => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        path: `connectors.${help.connector}.${key}`,
        problem: `is not a setting of ${help.label}`,
        fix: `remove it; the settings are ${Object.keys(help.fixes).join(", ")}`,
      }));
    }
    const field = typeof issue.path[0] === "string" ? issue.path[0] : "";
    const path = field === "" ? `connectors.${help.connector}` : `connectors.${help.connector}.${field}`;
    const value = field !== "" && isRecord(input) ? input[field] : input;
    return [{ path, problem: problemOf(issue, value, help), fix: help.fixes[field] ?? help.example }];
  });
}

function problemOf(issue: z.core.$ZodIssue, value: unknown, help: ConnectorOptionsHelp): string {
  switch (issue.code) {
    case "invalid_type":
      if (value === undefined) return "is required";
      if (value === null) return "is empty";
      return `must be ${issue.expected === "int" ? "a whole number" : `a ${issue.expected}`}`;
    case "too_small":
      return issue.origin === "string" ? "must not be empty" : `must be at least ${String(issue.minimum)}`;
    case "too_big":
      return issue.origin === "string"
        ? `must be at most ${String(issue.maximum)} characters long`
        : `must be at most ${String(issue.maximum)}`;
    case "invalid_format":
      return help.formats?.[issue.format] ?? "is not an http(s) URL";
    case "invalid_value":
      return "is not one of the choices";
    case "custom":
      return issue.message;
    default:
      return "is not valid";
  }
}
