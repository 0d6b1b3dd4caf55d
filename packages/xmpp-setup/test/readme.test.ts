/** The README's example runs as written (against this package's source) and prints what it says. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";

const README = new URL("../README.md", import.meta.url);
const SOURCE = new URL("../src/index.ts", import.meta.url);

it("the README's example runs", () => {
  const block = /```ts\n([\s\S]*?)```/.exec(readFileSync(README, "utf8"))?.[1];
  assert.ok(block, "the README has a ts example");
  const dir = mkdtempSync(join(tmpdir(), "parley-xmpp-setup-readme-"));
  try {
    const file = join(dir, "example.ts");
    writeFileSync(file, block.replace('"@parley/xmpp-setup"', JSON.stringify(SOURCE.href)));
    const out = execFileSync(process.execPath, [file], { encoding: "utf8" });
    assert.equal(out.trim(), "true true");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
