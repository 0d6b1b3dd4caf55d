/**
 * Reads parley.yaml: YAML, then `${ENV}` interpolation, then the schema, then
 * each connector's own schema. Every problem found on the way is collected
 * and thrown together as one ConfigError; no message quotes a value, and as a
 * second guard every secret and environment value is scrubbed from them.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { isNode, LineCounter, parseDocument } from "yaml";
import type { ZodType } from "zod";
import { ConfigError, type ConfigIssue, formatConfigPath } from "./config-error.ts";
import { interpolateEnv, protectReferences } from "./interpolate-env.ts";
import { type BridgeConfig, configSchema } from "./schema.ts";
import { schemaIssues } from "./schema-issues.ts";
import { REDACTED, SECRET_SETTING, scrubSecrets } from "./secrets.ts";

export interface ConfigSource {
  /** The file to read; also names the source in messages when `text` is given. */
  readonly path?: string;
  /** The YAML itself (tests, or a config that did not come from a file). */
  readonly text?: string;
}

export interface LoadConfigOptions {
  /** Where `${NAME}` references are looked up; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Per connector name, the schema of its `connectors.<name>` section; names not listed are then unknown. */
  readonly connectorSchemas?: Readonly<Record<string, ZodType>>;
}

/** Loads and validates a configuration; throws ConfigError listing every problem. */
export function loadConfig(source: ConfigSource, options: LoadConfigOptions = {}): BridgeConfig {
  const env = options.env ?? process.env;
  const name = source.path ?? "(inline text)";
  const text = source.text ?? readSource(source.path);

  const lineCounter = new LineCounter();
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(protectReferences(text), { lineCounter, prettyErrors: false, uniqueKeys: true });
  } catch {
    // Only pathological input (nesting deep enough to exhaust the stack) gets here.
    throw new ConfigError(
      [{ path: "", problem: "cannot be parsed as YAML", fix: "check that it is a YAML file" }],
      name,
    );
  }
  const position = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const syntax = [...doc.errors, ...doc.warnings].map(
    (e): ConfigIssue => ({
      path: "",
      ...position(e.pos[0]),
      ...yamlProblem(e.code, e.message),
    }),
  );
  if (syntax.length > 0) throw new ConfigError(syntax, name);

  let tree: unknown;
  try {
    tree = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch {
    throw new ConfigError(
      [
        {
          path: "",
          problem: "has YAML aliases (*name) that are undefined or expand too much",
          fix: "write the values out instead of using & anchors and * aliases",
        },
      ],
      name,
    );
  }
  if (tree === null || typeof tree !== "object" || Array.isArray(tree)) {
    throw new ConfigError(
      [
        {
          path: "",
          problem: "is not a mapping of sections",
          fix: "start from examples/parley.example.yaml (xmpp:, store:, ...)",
        },
      ],
      name,
    );
  }

  const interpolated = interpolateEnv(tree, env);
  const schema = configSchema(options.connectorSchemas);
  const parsed = schema.safeParse(interpolated.value);
  const issues: ConfigIssue[] = [...interpolated.issues];
  if (!parsed.success) {
    for (const issue of schemaIssues(parsed.error.issues, interpolated.value, schema)) {
      if (!coveredBy(issue.path, interpolated.failedPaths)) issues.push(issue);
    }
  }
  if (issues.length === 0 && parsed.success) return withPackagePaths(parsed.data, source.path);

  /** Where the field is written, or else its nearest written parent. */
  const locate = (path: string): { line?: number; column?: number } => {
    const steps = pathSteps(path);
    for (let n = steps.length; n > 0; n--) {
      const node = doc.getIn(steps.slice(0, n), true);
      if (isNode(node) && node.range) return position(node.range[0]);
    }
    return {};
  };
  const hidden = [...interpolated.substituted, ...rawSecrets(interpolated.value, interpolated.failedPaths)]
    .filter((s) => s.length >= 4)
    .sort((a, b) => b.length - a.length);
  const safe = issues.map((i) => ({
    ...i,
    ...locate(i.path),
    problem: scrubSecrets(i.problem, hidden),
    fix: scrubSecrets(i.fix, hidden),
  }));
  throw new ConfigError(safe, name);
}

/**
 * A connector package given as a relative path is relative to the config
 * file (to the working directory for a config given as text), wherever the
 * bridge is started from.
 */
function withPackagePaths(config: BridgeConfig, path: string | undefined): BridgeConfig {
  const base = path !== undefined ? dirname(resolve(path)) : process.cwd();
  const connectorPackages: Record<string, string> = {};
  for (const [name, from] of Object.entries(config.connectorPackages)) {
    connectorPackages[name] = from.startsWith("./") || from.startsWith("../") ? resolve(base, from) : from;
  }
  return { ...config, connectorPackages };
}

function readSource(path: string | undefined): string {
  if (path === undefined) throw new TypeError("loadConfig needs a `path` or a `text`");
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = e instanceof Error && "code" in e ? String(e.code) : "";
    const where = resolve(path);
    const problem =
      code === "ENOENT"
        ? `does not exist (looked for ${where})`
        : code === "EACCES" || code === "EPERM"
          ? `cannot be read: permission denied (${where})`
          : code === "EISDIR"
            ? `is a directory, not a file (${where})`
            : `cannot be read (${code || "unknown error"}, ${where})`;
    const fix =
      code === "ENOENT"
        ? "check the path, or copy examples/parley.example.yaml there"
        : "check the path and that the bridge's user may read it";
    throw new ConfigError([{ path: "", problem, fix }], path);
  }
}

/**
 * Our own words for YAML syntax errors. The parser's messages can quote
 * pieces of the source (an escape sequence, a tag), which may be part of a
 * secret, so only its message up to the first colon is kept.
 */
function yamlProblem(code: string, message: string): { problem: string; fix: string } {
  switch (code) {
    case "DUPLICATE_KEY":
      return { problem: "a key appears twice in the same mapping", fix: "keep one of them" };
    case "TAB_AS_INDENT":
      return { problem: "indents with a tab", fix: "indent with spaces" };
    case "BAD_DQ_ESCAPE":
      return {
        problem: "has an invalid escape sequence in a double-quoted string",
        fix: "write \\\\ for a backslash, or use single quotes",
      };
    case "TAG_RESOLVE_FAILED":
      return { problem: "uses an unknown YAML tag", fix: "remove the !tag" };
    default: {
      const head = (message.split(/:\s/, 1)[0] ?? message).trim();
      return {
        problem: `is not valid YAML (${head.charAt(0).toLowerCase()}${head.slice(1)})`,
        fix: "fix the syntax there; quote values that contain `: `, ` #`, or that start with a symbol",
      };
    }
  }
}

/** Whether a schema issue at `path` is a consequence of an interpolation failure already reported. */
function coveredBy(path: string, failed: ReadonlySet<string>): boolean {
  for (const f of failed) if (path === f || path.startsWith(`${f}.`) || path.startsWith(`${f}[`)) return true;
  return false;
}

/** `links[0].room` -> ["links", 0, "room"], to find the node in the YAML document. */
function pathSteps(path: string): (string | number)[] {
  const steps: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (m[2] !== undefined) steps.push(Number(m[2]));
    else if (m[1] !== undefined) steps.push(m[1]);
  }
  return steps;
}

/**
 * Secret-looking values in a tree that failed validation (so secretsOf
 * cannot be used); strings left uninterpolated are references, not values.
 */
function rawSecrets(tree: unknown, references: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const walk = (v: unknown, secret: boolean, path: PropertyKey[]) => {
    if (path.length > 32) return;
    if (typeof v === "string") {
      if (references.has(formatConfigPath(path))) return;
      if (secret) out.push(v);
      try {
        const p = new URL(v).password;
        if (p !== "") out.push(p, decodeURIComponent(p));
      } catch {
        // not a URL, or a password that does not decode: nothing to add
      }
    } else if (typeof v === "number" && secret) out.push(String(v));
    else if (Array.isArray(v)) {
      for (const [i, child] of v.entries()) walk(child, secret, [...path, i]);
    } else if (v !== null && typeof v === "object") {
      for (const [k, child] of Object.entries(v)) walk(child, secret || SECRET_SETTING.test(k), [...path, k]);
    }
  };
  walk(tree, false, []);
  return out.filter((s) => s !== REDACTED);
}
