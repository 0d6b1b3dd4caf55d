// `npm run bench:soak`: runs each network's soak bench (apps/<network>/bench/soak.ts), one after the
// other, and gathers their figures in bench/soak.json at the root: per network under
// `figures.networks`, and the worst of each headline figure at the top (rssGrowthMiB,
// heapGrowthMiB, bytesPerOnlineMember). Arguments are passed on to every soak (e.g.
// `npm run bench:soak -- --to-xmpp 20000`); `--only discord` runs one network; `--gather` runs
// nothing and gathers the figures the soaks last wrote.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const NETWORKS = ["discord", "matrix", "slack"];

const gather = process.argv.includes("--gather");
const args = process.argv.slice(2).filter((a) => a !== "--gather");
const onlyAt = args.indexOf("--only");
const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
const passed = onlyAt >= 0 ? [...args.slice(0, onlyAt), ...args.slice(onlyAt + 2)] : args;
if (only !== undefined && !NETWORKS.includes(only)) {
  process.stderr.write(`bench:soak: --only takes one of ${NETWORKS.join(", ")}, not ${only}\n`);
  process.exit(2);
}

const networks = {};
let failed = false;
for (const network of NETWORKS) {
  if (only !== undefined && network !== only) continue;
  const dir = join(ROOT, "apps", network);
  const soak = join(dir, "bench", "soak.ts");
  if (!existsSync(soak)) {
    process.stderr.write(`bench:soak: ${network} has no soak bench yet (apps/${network}/bench/soak.ts); skipped\n`);
    continue;
  }
  const results = join(dir, "bench", "soak.json");
  if (gather) {
    if (existsSync(results)) networks[network] = JSON.parse(readFileSync(results, "utf8")).figures;
    continue;
  }
  const before = existsSync(results) ? readFileSync(results, "utf8") : undefined;
  process.stderr.write(`bench:soak: ${network}\n`);
  const run = spawnSync(process.execPath, [soak, ...passed], { cwd: dir, stdio: "inherit" });
  const after = existsSync(results) ? readFileSync(results, "utf8") : undefined;
  if (run.status !== 0 || after === undefined || after === before) {
    process.stderr.write(
      `bench:soak: the ${network} soak failed (exit ${run.status ?? run.signal}); its figures are left out\n`,
    );
    failed = true;
    continue;
  }
  networks[network] = JSON.parse(after).figures;
}

const all = Object.values(networks);
if (all.length > 0) {
  const worst = (key) => Math.max(...all.map((f) => f[key]));
  const soak = {
    figures: {
      rssGrowthMiB: worst("rssGrowthMiB"),
      heapGrowthMiB: worst("heapGrowthMiB"),
      bytesPerOnlineMember: worst("bytesPerOnlineMember"),
      networks,
    },
    ratios: {},
  };
  const out = join(ROOT, "bench", "soak.json");
  mkdirSync(dirname(out), { recursive: true });
  // Whole or not at all, as the benches' results.json.
  writeFileSync(`${out}.tmp`, `${JSON.stringify(soak, null, 2)}\n`);
  renameSync(`${out}.tmp`, out);
  process.stderr.write(`bench:soak: wrote bench/soak.json (${Object.keys(networks).join(", ")})\n`);
}
process.exitCode = failed || all.length === 0 ? 1 : 0;
