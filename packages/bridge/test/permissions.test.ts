import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfig } from "../src/config/index.ts";
import { serverDomainOf } from "../src/config/schema.ts";
import { Permissions } from "../src/engine/permissions.ts";

const MINIMAL = `xmpp:\n  domain: discord.example.org\n  secret: s3cr3t-component\n`;

describe("permissions", () => {
  it("by default: DMs for the server's own domain, relay for everyone else, admin for admins", () => {
    const p = new Permissions({ entries: {}, admins: ["root@example.org"], serverDomain: "example.org" });
    assert.equal(p.levelOf("ada@example.org/phone"), "dm");
    assert.equal(p.levelOf("eve@elsewhere.net"), "relay");
    assert.equal(p.levelOf(undefined), "relay", "an occupant whose JID is unknown is judged by *");
    assert.equal(p.levelOf("root@example.org"), "admin");
    assert.ok(p.allows("root@example.org", "dm"), "each level includes the ones before it");
    assert.ok(!p.allows("eve@elsewhere.net", "dm"));
  });

  it("the config overrides the defaults, the most specific entry first", () => {
    const p = new Permissions({
      entries: { "*": "none", "friends.net": "dm", "eve@friends.net": "relay", "ops.example.org": "admin" },
      admins: [],
      serverDomain: "example.org",
    });
    assert.equal(p.levelOf("stranger@elsewhere.net"), "none");
    assert.equal(p.levelOf(undefined), "none");
    assert.equal(p.levelOf("bob@friends.net"), "dm");
    assert.equal(p.levelOf("EVE@friends.net/x"), "relay");
    assert.equal(p.levelOf("ada@example.org"), "dm");
    assert.equal(p.levelOf("someone@ops.example.org"), "admin");
  });

  it("reads from the config, keys normalized; a bad key or level names the field and the fix", () => {
    const c = loadConfig({ text: `${MINIMAL}permissions:\n  "*": none\n  Friends.NET: dm\n` }, { env: {} });
    assert.deepEqual(c.permissions, { "*": "none", "friends.net": "dm" });
    assert.equal(serverDomainOf(c.xmpp), "example.org", "xmpp.domain without its first label");
    const set = loadConfig({ text: `${MINIMAL}  serverDomain: chat.example.org\n` }, { env: {} });
    assert.equal(serverDomainOf(set.xmpp), "chat.example.org");
    assert.throws(
      () => loadConfig({ text: `${MINIMAL}permissions:\n  "eve@friends.net": owner\n` }, { env: {} }),
      (e: Error) => /permissions\.eve@friends\.net/.test(e.message) && /one of none, relay, dm, admin/.test(e.message),
    );
    assert.throws(
      () => loadConfig({ text: `${MINIMAL}permissions:\n  "eve@friends.net/phone": dm\n` }, { env: {} }),
      (e: Error) =>
        /permissions\.eve@friends\.net\/phone/.test(e.message) && /key each entry by a bare JID/.test(e.message),
    );
  });
});
