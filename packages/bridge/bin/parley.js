#!/usr/bin/env node
// The `parley` executable: checks the Node.js it runs on, then starts the built CLI.
import { launch } from "./launch.js";

await launch("parley", new URL("../dist/cli/parley.js", import.meta.url));
