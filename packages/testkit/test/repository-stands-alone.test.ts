/**
 * The repository stands alone: a clone with nothing beside it builds, tests,
 * runs the demo and reads its own documents. So no file of the repository may
 * name a place outside it: not the reference folder that sat next to it while
 * it was written, not an absolute path of that machine, and no relative path
 * that climbs above the repository root (an import, a `new URL(...)`, a
 * `join(...)` or `resolve(...)` of string literals, a Markdown link, a path in
 * a config file or script).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { posix } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

/** This file is packages/testkit/test/<name>: the root is three folders up. */
const REPOSITORY_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

interface OutsidePath {
  /** Relative to the repository root, with forward slashes. */
  readonly file: string;
  readonly line: number;
  readonly reason: string;
}

/** Places outside the repository that no file may mention, however it uses them. */
const OUTSIDE_NAMES: ReadonlyArray<{ readonly pattern: RegExp; readonly reason: string }> = [
  { pattern: /shared\/specs/, reason: "names the specs folder that sat beside the repository" },
  { pattern: /\.\.\/shared\b/, reason: "names the shared folder beside the repository" },
  { pattern: /\/work\//, reason: "names the work folder at the root of the machine the repository was written on" },
];

const CODE = /\.(?:[cm]?[jt]s|[jt]sx)$/;
const MARKDOWN = /\.md$/;
/** Data: what it holds are protocol examples and descriptions, not paths the repository reads. */
const DATA = /\.xml$/;

/** Whether `target`, taken from the folder of `file`, leaves the repository. */
function climbsOut(file: string, target: string): boolean {
  if (target.startsWith("/")) return false;
  const resolved = posix.normalize(posix.join(posix.dirname(file), target));
  return resolved === ".." || resolved.startsWith("../");
}

/** Every place in `text` (the content of `file`) that names a path outside the repository. */
function findOutsidePaths(file: string, text: string): OutsidePath[] {
  const found: OutsidePath[] = [];
  const report = (index: number, reason: string) => found.push({ file, line: lineAt(text, index), reason });

  for (const { pattern, reason } of OUTSIDE_NAMES) {
    for (const match of text.matchAll(new RegExp(pattern.source, "g"))) report(match.index, reason);
  }
  const climbing = (index: number, target: string, how: string) => {
    if (climbsOut(file, target)) report(index, `${how} "${target}" climbs above the repository root`);
  };
  if (CODE.test(file)) {
    const specifier = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(["'])([^"'\n]*)\1/g;
    for (const match of text.matchAll(specifier)) climbing(match.index, match[2] ?? "", "the import");
    for (const match of text.matchAll(/\bnew\s+URL\(\s*(["'`])([^"'`\n]*)\1/g)) {
      climbing(match.index, match[2] ?? "", "new URL of");
    }
    for (const match of text.matchAll(/\b(join|resolve)\(/g)) {
      const literals = literalArguments(text, match.index + match[0].length);
      if (literals.length > 0 && !literals.some((literal) => literal.startsWith("/"))) {
        climbing(match.index, posix.join(...literals), `${match[1]} of`);
      }
    }
  } else if (MARKDOWN.test(file)) {
    const links = /\]\(\s*<?([^)\s>]+)|^\s*\[[^\]]+\]:\s*<?(\S+?)>?\s*$|\b(?:href|src)=["']([^"']+)["']/gm;
    for (const match of text.matchAll(links)) {
      const target = (match[1] ?? match[2] ?? match[3] ?? "").replace(/[#?].*$/, "");
      if (target !== "" && !/^[a-z][a-z0-9+.-]*:/i.test(target)) climbing(match.index, target, "the link to");
    }
  } else if (!DATA.test(file)) {
    // Config files and scripts: every token made of ../ steps, taken from the file's folder
    // (where npm runs a package's scripts and where tsconfig resolves `extends`).
    for (const match of text.matchAll(/(?<=^|[\s"'`=(:,])((?:\.\.\/)+[^\s"'`),;]*|\.\.(?=$|[\s"'`),;]))/gm)) {
      climbing(match.index, match[1] ?? "", "the path");
    }
  }
  const distinct = new Map(found.map((f) => [`${f.line} ${f.reason}`, f]));
  return [...distinct.values()].sort((a, b) => a.line - b.line);
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < index; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

/**
 * The string literals passed directly to the call whose arguments start at
 * `start` (nested calls and template literals with substitutions are not
 * literals of this call), in order.
 */
function literalArguments(text: string, start: number): string[] {
  const literals: string[] = [];
  let depth = 1;
  for (let i = start; i < text.length && depth > 0; i++) {
    const c = text[i];
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
    else if (c === '"' || c === "'" || c === "`") {
      let end = i + 1;
      while (end < text.length && text[end] !== c && text[end] !== "\n") end += text[end] === "\\" ? 2 : 1;
      const literal = text.slice(i + 1, end);
      if (depth === 1 && !(c === "`" && literal.includes("${"))) literals.push(literal);
      i = end;
    }
  }
  return literals;
}

/** The repository's files, relative to its root: tracked ones and new ones git does not ignore. */
function repositoryFiles(): string[] {
  let listing: string;
  try {
    listing = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
      cwd: REPOSITORY_ROOT,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    throw new Error(
      `git ls-files failed in ${REPOSITORY_ROOT} (${String(error)}): run this test in a git checkout of the repository`,
    );
  }
  return [...new Set(listing.split("\0").filter((file) => file !== ""))].sort();
}

/** Binary files (images, archives) hold no paths a person wrote; a NUL byte near the start gives them away. */
function isBinary(content: Buffer): boolean {
  return content.subarray(0, 8000).includes(0);
}

describe("the repository stands alone", () => {
  it("no source, test, script, config or document names a path outside the repository", () => {
    assert.ok(
      existsSync(posix.join(REPOSITORY_ROOT, "package.json")) && existsSync(posix.join(REPOSITORY_ROOT, "packages")),
      `${REPOSITORY_ROOT} is not the repository root`,
    );
    const files = repositoryFiles();
    assert.ok(files.includes("packages/testkit/test/repository-stands-alone.test.ts"), "this file is listed");
    const found: OutsidePath[] = [];
    let scanned = 0;
    for (const file of files) {
      const path = posix.join(REPOSITORY_ROOT, file);
      // Deleted in the work tree and not yet committed: nothing left to read.
      if (!existsSync(path)) continue;
      const content = readFileSync(path);
      if (isBinary(content)) continue;
      scanned++;
      found.push(...findOutsidePaths(file, content.toString("utf8")));
    }
    assert.ok(scanned > 100, `only ${scanned} files were scanned`);
    assert.deepEqual(
      found.map((f) => `${f.file}:${f.line}: ${f.reason}`),
      [],
      "each line names a path outside the repository: vendor what it needs, or link inside the repository",
    );
  });
});

describe("findOutsidePaths finds what was planted", () => {
  // Built from pieces, so that this file does not itself name what it plants.
  const up = (steps: number) => "../".repeat(steps);
  const specsFolder = ["shared", "specs"].join("/");
  const machinePath = ["", "work", "main", ""].join("/");
  const lines = (found: OutsidePath[]) => found.map((f) => f.line);

  it("a mention of the specs folder, the shared folder or the machine's work folder, anywhere and in any file", () => {
    const text = `first line\n// read from ${specsFolder}/xmpp\nconst dir = "${machinePath}x";\n${up(1)}shared/DESIGN.md\n`;
    for (const file of ["packages/a/src/x.ts", "README.md", "packages/a/package.json", "docs/notes.txt"]) {
      assert.deepEqual(lines(findOutsidePaths(file, text)), [2, 3, 4], file);
    }
  });
  it("an import specifier that climbs out, and none that stays in", () => {
    const file = "packages/stanza/test/x.test.ts";
    const text = [
      `import { a } from "${up(4)}elsewhere/a.ts";`,
      `import { b } from "${up(1)}src/index.ts";`,
      `const c = await import("${up(3)}scripts/c.mjs");`,
      `const d = await import('${up(5)}d.js');`,
      `import "${up(4)}side-effect.ts";`,
      `import { e } from "@parley/stanza";`,
    ].join("\n");
    assert.deepEqual(lines(findOutsidePaths(file, text)), [1, 4, 5]);
  });
  it("new URL, join and resolve of literals that climb out, taken from the file's folder", () => {
    const file = "packages/testkit/src/discord/openapi-check.ts";
    const text = [
      `const inside = new URL("${up(2)}vendor/discord/openapi.json", import.meta.url);`,
      `const outside = new URL("${up(5)}elsewhere/openapi.json", import.meta.url);`,
      `const joined = join(dirname(fileURLToPath(import.meta.url)), "${up(5)}", "elsewhere");`,
      `const resolved = resolve(here, ${Array(5).fill('".."').join(", ")}, "x");`,
      `const near = resolve(here, "..", "fixtures");`,
      `const absolute = join("/tmp", "${up(9)}x");`,
      `const nested = join(root, name("${up(9)}"));`,
    ].join("\n");
    assert.deepEqual(lines(findOutsidePaths(file, text)), [2, 3, 4]);
  });
  it("leaves alone strings that are data, such as a path-traversal attempt a test sends", () => {
    const text = `assert.equal(safeName("${up(3)}etc/passwd"), "passwd");\n`;
    assert.deepEqual(findOutsidePaths("packages/bridge/test/media.test.ts", text), []);
  });
  it("a Markdown link out of the repository, and none that stays in it or goes to the web", () => {
    const text = [
      `- Design notes: [design](${up(1)}design/DESIGN.md)`,
      "- [stanza](packages/stanza/README.md) and [up one](apps/demo/../../docs/DESIGN.md#mapping)",
      `- [spec](https://xmpp.org/extensions/xep-0045.html) and [mail](mailto:a@b)`,
      `[ref]: ${up(1)}elsewhere/notes.md`,
      `<img src="${up(2)}logo.png">`,
    ].join("\n");
    assert.deepEqual(lines(findOutsidePaths("README.md", text)), [1, 4, 5]);
    assert.deepEqual(lines(findOutsidePaths("packages/stanza/README.md", `[root](${up(2)}README.md)`)), []);
  });
  it("a path in a config file or script, taken from the file's folder", () => {
    const file = "packages/stanza/package.json";
    const text = [
      `"build": "tsc -p tsconfig.build.json && node ${up(2)}scripts/ship-ambient-types.mjs",`,
      `"extends": "${up(3)}tsconfig.base.json",`,
    ].join("\n");
    assert.deepEqual(lines(findOutsidePaths(file, text)), [2]);
    assert.deepEqual(lines(findOutsidePaths(".ci/run", `cd ${up(2)}elsewhere`)), [1]);
  });
  it("not in XML data", () => {
    assert.deepEqual(findOutsidePaths("packages/stanza/test/protocol-cases/a/b.xml", `<a href="${up(9)}"/>`), []);
  });
});
