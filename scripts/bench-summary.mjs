// The last step of `npm run bench` (after every package's bench has run through turbo): gathers
// each workspace package's bench/results.json, prints one table of every figure and ratio, and
// writes bench/results.json at the root with all of them: `figures` by package name (each package's
// figures as it wrote them, and when), `ratios` flat as "<package> <ratio>" so targets can be read
// at a glance. Run alone (`node scripts/bench-summary.mjs`), it gathers what the benches last wrote.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Each workspace package with a bench/results.json: its name, folder and results. */
function gather() {
  const found = [];
  const workspaces = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).workspaces ?? [];
  for (const pattern of workspaces) {
    const parent = join(ROOT, pattern.replace(/\/\*$/, ""));
    if (!existsSync(parent)) continue;
    for (const entry of readdirSync(parent, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = join(parent, entry.name);
      const file = join(dir, "bench", "results.json");
      if (!existsSync(file) || !existsSync(join(dir, "package.json"))) continue;
      const name = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name ?? entry.name;
      let results;
      try {
        results = JSON.parse(readFileSync(file, "utf8"));
      } catch (e) {
        throw new Error(`${file} is not JSON (${e.message}); run that package's bench again`);
      }
      if (typeof results?.figures !== "object" || typeof results?.ratios !== "object") {
        throw new Error(`${file} has no { figures, ratios }; run that package's bench again`);
      }
      found.push({ name, file, writtenAt: statSync(file).mtime.toISOString(), results });
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** Figures one per row: nested objects by dotted names, lists on one line. */
function flatten(value, prefix, rows) {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix === "" ? k : `${prefix}.${k}`, rows);
  } else {
    rows.push([prefix, Array.isArray(value) ? value.join(", ") : String(value)]);
  }
  return rows;
}

function table(header, rows) {
  const cells = [header, ...rows].map((r) => r.map((c) => String(c).replaceAll("|", "\\|")));
  const widths = header.map((_, i) => Math.max(3, ...cells.map((r) => r[i].length)));
  const line = (r) =>
    `| ${r.map((c, i) => (i === r.length - 1 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (i === widths.length - 1 ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`;
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join("\n");
}

const packages = gather();
if (packages.length === 0) {
  process.stderr.write("bench summary: no package has bench/results.json yet; run `npm run bench`\n");
  process.exit(1);
}
const rows = [];
const figures = {};
const ratios = {};
for (const p of packages) {
  for (const [k, v] of Object.entries(p.results.ratios)) {
    rows.push([p.name, "ratio", k, String(v)]);
    ratios[`${p.name} ${k}`] = v;
  }
  for (const [k, v] of flatten(p.results.figures, "", [])) rows.push([p.name, "figure", k, v]);
  figures[p.name] = { ...p.results.figures, writtenAt: p.writtenAt };
}
console.log(`\n${table(["package", "kind", "name", "value"], rows)}\n`);
for (const p of packages) console.log(`${p.name}: ${p.file.slice(ROOT.length + 1)}, written ${p.writtenAt}`);

const out = join(ROOT, "bench", "results.json");
mkdirSync(dirname(out), { recursive: true });
const temporary = `${out}.${process.pid}.tmp`;
writeFileSync(temporary, `${JSON.stringify({ figures, ratios }, null, 2)}\n`);
renameSync(temporary, out);
process.stderr.write(`bench summary: wrote ${out.slice(ROOT.length + 1)}\n`);
