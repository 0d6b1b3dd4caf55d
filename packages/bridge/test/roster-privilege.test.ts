/**
 * The roster privilege on its own (XEP-0356): reading the grant in both
 * namespaces servers speak (Prosody `urn:xmpp:privilege:2`, ejabberd 23.01
 * `urn:xmpp:privilege:1`), per server domain; the roster set it makes; a
 * server that fails the set it granted is not asked again until it
 * advertises again; users' presence forwarded on the presence grant.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildIq, childOf, type Element, element, parseXml } from "@parley/stanza";
import { IqRouter } from "../src/component/iq-router.ts";
import { parsePrivilegeGrant, RosterPrivilege } from "../src/engine/roster-privilege.ts";
import { type LogLine, recordingLogger } from "./recording-logger.ts";

function advert(from: string, ns: string, perms: string): Element {
  const parsed = parseXml(
    `<message from='${from}' to='bridge.example'><privilege xmlns='${ns}'>${perms}</privilege></message>`,
  );
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
}

/** A privilege whose requests go nowhere but into `sent`; `answer` plays the server. */
function setup() {
  const sent: Element[] = [];
  const available: string[] = [];
  const lines: LogLine[] = [];
  const router = new IqRouter({ send: async (el) => void sent.push(el) });
  const privilege = new RosterPrivilege({
    domain: "bridge.example",
    router,
    logger: recordingLogger(lines),
    onUserAvailable: (jid) => available.push(jid),
  });
  const answer = (type: "result" | "error", condition?: string) => {
    const request = sent.at(-1);
    if (!request) throw new Error("nothing was asked");
    router.dispatch(
      buildIq({
        type,
        id: request.attrs.id ?? "",
        from: request.attrs.to,
        to: "bridge.example",
        ...(condition !== undefined && { error: { type: "cancel", condition: condition as "forbidden" } }),
      }),
    );
  };
  return { sent, available, lines, privilege, answer };
}

describe("the roster privilege", () => {
  it("reads a grant in either namespace, per server domain", () => {
    const two = parsePrivilegeGrant(
      advert(
        "example.org",
        "urn:xmpp:privilege:2",
        "<perm access='roster' type='set' push='true'/><perm access='presence' type='managed_entity'/>",
      ),
    );
    assert.deepEqual(two, {
      server: "example.org",
      grant: { roster: "set", message: "none", presence: "managed_entity" },
    });
    const one = parsePrivilegeGrant(
      advert(
        "Other.Example",
        "urn:xmpp:privilege:1",
        "<perm access='message' type='outgoing'/><perm access='roster' type='both'/><perm access='presence' type='none'/>",
      ),
    );
    assert.deepEqual(one, {
      server: "other.example",
      grant: { roster: "both", message: "outgoing", presence: "none" },
    });
  });

  it("takes no grant from a user, a full JID or an unknown permission type", () => {
    const perm = "<perm access='roster' type='both'/>";
    assert.equal(parsePrivilegeGrant(advert("mallory@example.org", "urn:xmpp:privilege:2", perm)), undefined);
    assert.equal(parsePrivilegeGrant(advert("example.org/res", "urn:xmpp:privilege:2", perm)), undefined);
    assert.equal(parsePrivilegeGrant(advert("example.org", "urn:example:other", perm)), undefined);
    const odd = parsePrivilegeGrant(
      advert("example.org", "urn:xmpp:privilege:2", "<perm access='roster' type='all'/>"),
    );
    assert.equal(odd?.grant.roster, "none");
  });

  it("sets rosters only of the domains that granted it", () => {
    const { privilege } = setup();
    assert.equal(privilege.maySetRoster("example.org"), false, "nothing granted yet");
    assert.ok(privilege.dispatch(advert("example.org", "urn:xmpp:privilege:2", "<perm access='roster' type='set'/>")));
    assert.equal(privilege.maySetRoster("example.org"), true);
    assert.equal(privilege.maySetRoster("elsewhere.org"), false);
    privilege.dispatch(advert("get.example", "urn:xmpp:privilege:2", "<perm access='roster' type='get'/>"));
    assert.equal(privilege.maySetRoster("get.example"), false, "get alone does not let it write");
  });

  it("writes the item to the user's bare JID, and stops asking a server that fails it until it advertises again", async () => {
    const { sent, lines, privilege, answer } = setup();
    privilege.dispatch(advert("example.org", "urn:xmpp:privilege:1", "<perm access='roster' type='both'/>"));
    const item = { jid: "u2@bridge.example", name: "Bob", group: "Discord" };
    const done = privilege.addContact("alice@example.org/phone", item);
    const request = sent.at(-1);
    assert.equal(request?.attrs.to, "alice@example.org");
    assert.equal(request?.attrs.from, "bridge.example");
    assert.equal(request?.attrs.type, "set");
    const query = request && childOf(request, "query", "jabber:iq:roster");
    const written = query && childOf(query, "item", "jabber:iq:roster");
    assert.deepEqual(written?.attrs, { jid: "u2@bridge.example", name: "Bob", subscription: "both" });
    answer("result");
    assert.equal(await done, undefined);

    const refused = privilege.addContact("bob@example.org", item);
    answer("error", "item-not-found");
    assert.equal(await refused, "item-not-found");
    assert.equal(privilege.maySetRoster("example.org"), true, "a refusal about one item leaves the grant in use");

    const failed = privilege.addContact("carol@example.org", item);
    answer("error", "internal-server-error");
    assert.equal(await failed, "internal-server-error");
    assert.equal(privilege.maySetRoster("example.org"), false, "a server failing the set is not asked again");
    assert.ok(lines.some((l) => l.level === "warn" && l.fields.server === "example.org"));
    privilege.dispatch(advert("example.org", "urn:xmpp:privilege:2", "<perm access='roster' type='set'/>"));
    assert.equal(privilege.maySetRoster("example.org"), true, "until it advertises its grant again");
  });

  it("hears of users coming online where the server forwards their presence", () => {
    const { available, privilege } = setup();
    const presence = (from: string, type?: string) =>
      element("presence", { from, to: "bridge.example", ...(type !== undefined && { type }) });
    assert.equal(privilege.dispatch(presence("alice@example.org/phone")), false, "no presence grant yet");
    privilege.dispatch(
      advert("example.org", "urn:xmpp:privilege:2", "<perm access='presence' type='managed_entity'/>"),
    );
    assert.equal(privilege.dispatch(presence("alice@example.org/phone")), true);
    assert.equal(privilege.dispatch(presence("alice@example.org/phone", "unavailable")), true);
    assert.equal(privilege.dispatch(presence("mallory@elsewhere.org/x")), false, "not a granting domain's user");
    assert.deepEqual(available, ["alice@example.org/phone"]);
  });
});
