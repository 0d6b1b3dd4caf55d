// After `tsc`, ships a package's ambient declarations (src/ambient.d.ts: types for
// dependencies that have none) with its build output, and makes the entry
// declaration file reference them, since tsc drops `/// <reference path>`
// directives that point at .d.ts files. Run from the package directory.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";

const directive = '/// <reference path="./ambient.d.ts" />\n';
copyFileSync("src/ambient.d.ts", "dist/ambient.d.ts");
const entry = "dist/index.d.ts";
const text = readFileSync(entry, "utf8");
if (!text.startsWith(directive)) writeFileSync(entry, directive + text);
