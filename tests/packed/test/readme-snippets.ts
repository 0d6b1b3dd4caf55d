/**
 * The fenced code blocks of the repository's READMEs, as the snippet test
 * runs them. A TypeScript line written `expression; // => value` states what
 * the expression gives; it becomes an assertion when the snippet runs, so a
 * README cannot claim a result the code does not give.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface Snippet {
  /** The README, relative to the repository root. */
  readonly file: string;
  /** The 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: string;
  /** The words after the language on the opening fence (```yaml slack-app-manifest): what the block is. */
  readonly kind: string;
  readonly code: string;
}

/** Where a snippet is, for messages: `packages/bridge/README.md:42`. */
export function whereIs(s: Snippet): string {
  return `${s.file}:${s.line}`;
}

/** Every fenced block of `file` (relative to `root`), in order. */
export function snippetsOf(root: string, file: string): Snippet[] {
  const lines = readFileSync(join(root, file), "utf8").split("\n");
  const out: Snippet[] = [];
  let open: { line: number; lang: string; kind: string; body: string[] } | undefined;
  lines.forEach((text, i) => {
    const fence = /^```(\S*)(?:[ \t]+(\S.*?))?\s*$/.exec(text);
    if (fence === null) {
      open?.body.push(text);
      return;
    }
    if (open === undefined) {
      open = { line: i + 1, lang: fence[1] ?? "", kind: fence[2] ?? "", body: [] };
      return;
    }
    out.push({ file, line: open.line, lang: open.lang, kind: open.kind, code: `${open.body.join("\n")}\n` });
    open = undefined;
  });
  if (open !== undefined) throw new Error(`${file}:${open.line}: a code fence is never closed`);
  return out;
}

/** The line a snippet module prints at exit, followed by how many claims it checked. */
export const CHECKED = "readme-claims-checked:";

const EXPECTATION = /^(\s*)(.+?);\s*\/\/\s*=>\s*(.+)$/;

/**
 * The snippet as a module that checks its own `// =>` claims: each such line
 * becomes `__expect(expression, value, "file:line")`. Returns the module text
 * and how many claims it checks.
 */
export function withExpectations(s: Snippet): { code: string; claims: number } {
  let claims = 0;
  const body = s.code.split("\n").map((text, i) => {
    const m = EXPECTATION.exec(text);
    if (m === null) return text;
    claims++;
    const [, indent, expression, value] = m;
    return `${indent}__expect(${expression}, ${value}, ${JSON.stringify(`${s.file}:${s.line + 1 + i}`)});`;
  });
  // Claims inside a branch that is not taken are not checked: the module reports how many were, at exit.
  const prelude = [
    'import { deepStrictEqual as __deepStrictEqual } from "node:assert/strict";',
    "let __checked = 0;",
    `process.on("exit", () => process.stdout.write(\`\\n${CHECKED} \${__checked}\\n\`));`,
    "const __expect = (actual: unknown, expected: unknown, where: string) => {",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a template literal of the generated module
    "  __deepStrictEqual(JSON.parse(JSON.stringify(actual)), expected, `${where}: the README's claim`);",
    "  __checked++;",
    "};",
  ];
  return { code: `${prelude.join("\n")}\n${body.join("\n")}`, claims };
}

/** The commands of a shell snippet: one per line, comments and blank lines left out, `\` continuations joined. */
export function commandsOf(s: Snippet): string[] {
  const out: string[] = [];
  let pending = "";
  for (const raw of s.code.split("\n")) {
    const text = raw.replace(/\s+#.*$/, "").replace(/^#.*$/, "");
    if (text.trim() === "") continue;
    if (text.endsWith("\\")) {
      pending += `${text.slice(0, -1)} `;
      continue;
    }
    out.push((pending + text).trim());
    pending = "";
  }
  return out;
}
