/**
 * `${NAME}` interpolation of environment variables into the string values of
 * a parsed config tree, so secrets stay out of the file. It runs on parsed
 * values, not on the YAML text, so an environment value can never change the
 * structure of the document (a value holding `\n  admin: ...` stays one
 * string). `$${NAME}` is the escape for a literal `${NAME}`.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings show users the literal ${NAME} syntax of the config file
import { type ConfigIssue, formatConfigPath } from "./config-error.ts";

export interface InterpolatedTree {
  /** The tree with every reference replaced; a string with a bad reference is left as written. */
  readonly value: unknown;
  readonly issues: ConfigIssue[];
  /** Paths (as formatted by formatConfigPath) of strings that could not be interpolated. */
  readonly failedPaths: ReadonlySet<string>;
  /** Every environment value substituted, to be kept out of messages. */
  readonly substituted: readonly string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Deeper than this is not a configuration any more; refusing it keeps recursion bounded. */
export const MAX_CONFIG_DEPTH = 64;

export function interpolateEnv(tree: unknown, env: NodeJS.ProcessEnv): InterpolatedTree {
  const issues: ConfigIssue[] = [];
  const failedPaths = new Set<string>();
  const substituted = new Set<string>();

  const visit = (node: unknown, path: PropertyKey[]): unknown => {
    if (path.length > MAX_CONFIG_DEPTH) {
      const field = formatConfigPath(path.slice(0, 2));
      if (!failedPaths.has(field)) {
        failedPaths.add(field);
        issues.push({
          path: field,
          problem: `nests deeper than ${MAX_CONFIG_DEPTH} levels`,
          fix: "flatten it; no setting needs that much nesting",
        });
      }
      return undefined;
    }
    if (typeof node === "string") {
      const r = interpolateString(restoreReferences(node), env);
      if (r.ok) {
        for (const v of r.used) substituted.add(v);
        return r.value;
      }
      const field = formatConfigPath(path);
      failedPaths.add(field);
      issues.push(r.issue(field));
      return node;
    }
    if (Array.isArray(node)) return node.map((item, i) => visit(item, [...path, i]));
    if (node !== null && typeof node === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) {
        Object.defineProperty(out, k, {
          value: visit(v, [...path, k]),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return node;
  };

  const value = visit(tree, []);
  return { value, issues, failedPaths, substituted: [...substituted] };
}

/*
 * YAML forbids `{` and `}` in plain scalars inside flow collections, so the
 * natural `discord: { token: ${DISCORD_TOKEN} }` would not parse. Before
 * parsing, each `${...}` is therefore written with private-use characters of
 * the same length (keeping every line and column where it was), and the
 * parsed strings are turned back before interpolation.
 */
const OPEN = "\uE000\uE001";
const CLOSE = "\uE002";
const REFERENCE = /\$\{([^{}\r\n]*)\}/g;
const PROTECTED = /\uE000\uE001([^\uE000-\uE002]*)\uE002/g;

/** Makes `${...}` references parse anywhere in YAML; undone by interpolateEnv. */
export function protectReferences(text: string): string {
  if (/[\uE000-\uE002]/.test(text)) return text;
  return text.replace(REFERENCE, (_, inner: string) => `${OPEN}${inner}${CLOSE}`);
}

function restoreReferences(s: string): string {
  return s.includes(OPEN) ? s.replace(PROTECTED, (_, inner: string) => `\${${inner}}`) : s;
}

type StringResult = { ok: true; value: string; used: string[] } | { ok: false; issue: (field: string) => ConfigIssue };

function interpolateString(s: string, env: NodeJS.ProcessEnv): StringResult {
  if (!s.includes("${")) return { ok: true, value: s, used: [] };
  let out = "";
  const used: string[] = [];
  let i = 0;
  while (i < s.length) {
    if (s.startsWith("$${", i)) {
      out += "${";
      i += 3;
      continue;
    }
    if (!s.startsWith("${", i)) {
      out += s[i];
      i++;
      continue;
    }
    const close = s.indexOf("}", i + 2);
    const name = close < 0 ? undefined : s.slice(i + 2, close);
    if (name === undefined || !NAME.test(name)) {
      return {
        ok: false,
        issue: (field) => ({
          path: field,
          problem: "has a `${` that does not start an environment reference like ${NAME}",
          fix: "write ${NAME} with letters, digits and underscores, or $${ for a literal ${",
        }),
      };
    }
    const v = env[name];
    if (v === undefined) {
      return {
        ok: false,
        issue: (field) => ({
          path: field,
          problem: `\`${field}\` uses \${${name}}, which is not set`,
          fix: `export ${name} or write the value in the file`,
        }),
      };
    }
    out += v;
    if (v !== "") used.push(v);
    i = close + 1;
  }
  return { ok: true, value: out, used };
}
