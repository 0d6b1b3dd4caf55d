#!/usr/bin/env node
// The `parley-matrix` executable: checks the Node.js it runs on, then starts the built CLI.
import { launch } from "@parley/bridge/launch";

await launch("parley-matrix", new URL("../dist/cli/parley-matrix.js", import.meta.url));
