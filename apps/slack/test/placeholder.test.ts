import assert from "node:assert/strict";
import { test } from "node:test";
import { network } from "../src/index.ts";

test("the Slack connector names its network", () => {
  assert.equal(network, "slack");
});
