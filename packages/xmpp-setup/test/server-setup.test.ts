/** Inputs the configuration cannot be made from are refused with the field named and the fix. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveSetup, type ServerSetup, ServerSetupError } from "../src/index.ts";

const GOOD: ServerSetup = {
  domain: "example.org",
  mucDomain: "conference.example.org",
  components: [{ domain: "discord.example.org", secret: "0123456789abcdef" }],
};

function refusal(setup: ServerSetup): ServerSetupError {
  try {
    resolveSetup(setup);
  } catch (e) {
    assert.ok(e instanceof ServerSetupError, `expected a ServerSetupError, got ${String(e)}`);
    return e;
  }
  assert.fail("the setup was accepted");
}

describe("resolveSetup", () => {
  it("fills in the defaults", () => {
    const s = resolveSetup(GOOD);
    assert.equal(s.componentPort, 5347);
    assert.equal(s.componentInterface, "127.0.0.1");
    assert.equal(s.archive, true);
    assert.equal(s.moderation, true);
    assert.equal(s.roomCacheSize, 1000);
    assert.equal(s.maxOccupants, 1000);
  });

  it("writes domains in lower case", () => {
    const s = resolveSetup({
      ...GOOD,
      domain: "Example.ORG",
      components: [{ domain: "Discord.Example.org", secret: "x" }],
    });
    assert.equal(s.domain, "example.org");
    assert.equal(s.components[0]?.domain, "discord.example.org");
  });

  const cases: Array<[string, Partial<ServerSetup>, string]> = [
    ["a JID where a domain belongs", { domain: "admin@example.org" }, "domain"],
    ["a MUC domain that is the server's", { mucDomain: "example.org" }, "mucDomain"],
    ["no bridge", { components: [] }, "components"],
    [
      "a bridge on the MUC domain",
      { components: [{ domain: "conference.example.org", secret: "x" }] },
      "components[0].domain",
    ],
    [
      "two bridges on one domain",
      {
        components: [
          { domain: "discord.example.org", secret: "a" },
          { domain: "discord.example.org", secret: "b" },
        ],
      },
      "components[1].domain",
    ],
    ["an empty secret", { components: [{ domain: "discord.example.org", secret: "" }] }, "components[0].secret"],
    [
      "a secret with a line break",
      { components: [{ domain: "discord.example.org", secret: "a\nb" }] },
      "components[0].secret",
    ],
    ["port 0", { componentPort: 0 }, "componentPort"],
    ["a host name as the interface", { componentInterface: "localhost" }, "componentInterface"],
    ["a tiny room cache", { roomCacheSize: 10 }, "roomCacheSize"],
  ];
  for (const [what, change, field] of cases) {
    it(`refuses ${what}, naming ${field}`, () => {
      const e = refusal({ ...GOOD, ...change });
      assert.equal(e.field, field);
      assert.ok(e.message.startsWith(`${field} `), e.message);
      assert.ok(e.fix.length > 0);
    });
  }

  it("never quotes a secret in its message", () => {
    const e = refusal({ ...GOOD, components: [{ domain: "discord.example.org", secret: "top-secret\u0007" }] });
    assert.ok(!e.message.includes("top-secret"));
  });
});
