/**
 * Turns zod's issues into ConfigIssues a person can act on: the field, what
 * is wrong in plain words, and what to write instead. zod's own messages are
 * not used (they are written for developers); custom checks supply their
 * problem as the issue message. Nothing here reads the offending value
 * except to tell "missing" from "wrong", so no value reaches a message.
 */
import { z } from "zod";
import { type ConfigIssue, formatConfigPath } from "./config-error.ts";
import { closestName, hintFor } from "./field-hints.ts";

const EXAMPLE = "see examples/parley.example.yaml for the expected form";

export function schemaIssues(issues: readonly z.core.$ZodIssue[], input: unknown, schema: z.ZodType): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      const known = knownKeysAt(schema, issue.path);
      for (const key of issue.keys) {
        const path = formatConfigPath([...issue.path, key]);
        const guess = closestName(key, known);
        out.push({
          path,
          problem: `unknown field \`${path}\``,
          fix:
            guess !== undefined
              ? `did you mean \`${guess}\`?`
              : known.length > 0
                ? `remove it; the fields here are ${known.join(", ")}`
                : "remove it",
        });
      }
      continue;
    }
    const path = formatConfigPath(issue.path);
    const problem = problemOf(issue, valueAt(input, issue.path));
    out.push({ path, problem, fix: hintFor(path) ?? fallbackFix(issue, path) });
  }
  return out;
}

function problemOf(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case "invalid_type":
      if (value === undefined) return "is required";
      if (value === null) return `is empty; it must be ${expectedPhrase(issue.expected)}`;
      if (issue.expected === "int" && typeof value === "number") return "must be a whole number";
      return `must be ${expectedPhrase(issue.expected)}, not ${kindOf(value)}`;
    case "too_small":
      return sizePhrase("at least", issue.origin, issue.minimum, issue.inclusive);
    case "too_big":
      return sizePhrase("at most", issue.origin, issue.maximum, issue.inclusive);
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => String(v)).join(", ")}`;
    case "invalid_format":
      return issue.format === "regex" ? "does not have the expected form" : `is not a valid ${issue.format}`;
    case "not_multiple_of":
      return `must be a multiple of ${String(issue.divisor)}`;
    case "invalid_key":
      return "has a key that is not allowed here";
    case "invalid_element":
      return "has an entry that is not allowed here";
    case "invalid_union":
      return "does not match any of the accepted forms";
    case "custom":
      return issue.message;
    default:
      return "is not valid";
  }
}

function sizePhrase(bound: string, origin: string, limit: number | bigint, inclusive?: boolean): string {
  const n = Number(limit);
  if (origin === "string") {
    if (bound === "at least" && n === 1) return "must not be empty";
    return `must be ${bound} ${n} characters long`;
  }
  if (origin === "array" || origin === "set") return `must have ${bound} ${n} entries`;
  if (inclusive === false) return `must be ${bound === "at least" ? "more" : "less"} than ${n}`;
  return `must be ${bound} ${n}`;
}

function expectedPhrase(expected: string): string {
  switch (expected) {
    case "string":
      return "text";
    case "number":
      return "a number";
    case "int":
      return "a whole number";
    case "boolean":
      return "true or false";
    case "array":
      return "a list";
    case "object":
    case "record":
      return "a mapping of fields";
    default:
      return `of type ${expected}`;
  }
}

function kindOf(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (typeof v === "string") return "text";
  if (typeof v === "number") return "a number";
  if (typeof v === "boolean") return "true/false";
  if (typeof v === "object") return "a mapping";
  return typeof v;
}

function fallbackFix(issue: z.core.$ZodIssue, path: string): string {
  if (path.startsWith("connectors.")) return "see the connector's documentation for this setting";
  return issue.code === "invalid_type" ? `add it; ${EXAMPLE}` : EXAMPLE;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const step of path) {
    if (node === null || typeof node !== "object") return undefined;
    if (!Object.hasOwn(node, step)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[step];
  }
  return node;
}

/** The field names the schema allows at `path`, for did-you-mean suggestions. */
export function knownKeysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  let here: z.core.$ZodType[] = [schema];
  for (const step of path) here = here.flatMap((s) => childrenOf(s, step));
  const keys = new Set<string>();
  for (const s of here.flatMap(unwrapped))
    if (s instanceof z.ZodObject) for (const k of Object.keys(s.shape)) keys.add(k);
  return [...keys];
}

/** The schemas a value of `s` may be after stripping optional/default/pipe wrappers (bounded, no lazies). */
function unwrapped(s: z.core.$ZodType, depth = 0): z.core.$ZodType[] {
  if (depth > 16) return [];
  if (
    s instanceof z.ZodOptional ||
    s instanceof z.ZodNullable ||
    s instanceof z.ZodDefault ||
    s instanceof z.ZodPrefault ||
    s instanceof z.ZodReadonly ||
    s instanceof z.ZodCatch ||
    s instanceof z.ZodNonOptional
  ) {
    return unwrapped(s.unwrap(), depth + 1);
  }
  if (s instanceof z.ZodPipe) return [...unwrapped(s.in, depth + 1), ...unwrapped(s.out, depth + 1)];
  return [s];
}

function childrenOf(s: z.core.$ZodType, step: PropertyKey): z.core.$ZodType[] {
  const out: z.core.$ZodType[] = [];
  for (const u of unwrapped(s)) {
    if (u instanceof z.ZodObject && typeof step === "string" && Object.hasOwn(u.shape, step)) {
      const child = u.shape[step];
      if (child) out.push(child);
    } else if (u instanceof z.ZodArray && typeof step === "number") out.push(u.element);
    else if (u instanceof z.ZodRecord && typeof step === "string") out.push(u.valueType);
  }
  return out;
}
