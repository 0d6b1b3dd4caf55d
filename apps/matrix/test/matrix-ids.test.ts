import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  botUserId,
  escapeLocalpart,
  ghostUserId,
  isOwnUser,
  jidOfGhost,
  portalAliasLocalpart,
  roomJidOfAlias,
  unescapeLocalpart,
} from "../src/matrix-ids.ts";

const names = { serverName: "example.org", userPrefix: "_xmpp_", aliasPrefix: "_xmpp_", botLocalpart: "xmppbridge" };

describe("ghost user IDs", () => {
  test("a bare JID escapes into Matrix localpart characters", () => {
    assert.equal(escapeLocalpart("alice@example.org"), "alice=40example.org");
    assert.equal(ghostUserId("alice@example.org", names), "@_xmpp_alice=40example.org:example.org");
  });

  test("upper case, underscores, spaces, slashes and non-ASCII are escaped reversibly", () => {
    assert.equal(escapeLocalpart("Room_1@muc/Zoë B"), "_room__1=40muc=2f_zo=c3=ab=20_b");
    assert.equal(unescapeLocalpart("_room__1=40muc=2f_zo=c3=ab=20_b"), "Room_1@muc/Zoë B");
  });

  test("escaping round-trips for any string, and only ever uses a-z 0-9 . _ = -", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (s) => {
        const e = escapeLocalpart(s);
        assert.match(e, /^[a-z0-9._=-]*$/);
        assert.equal(unescapeLocalpart(e), s);
      }),
    );
  });

  test("strings that are not escapes are refused, not misread", () => {
    for (const bad of ["_", "_1", "=4", "=zz", "A", "a b", "=c3"]) assert.equal(unescapeLocalpart(bad), undefined, bad);
  });

  test("the JID behind a ghost's ID; other users have none", () => {
    assert.equal(jidOfGhost("@_xmpp_alice=40example.org:example.org", names), "alice@example.org");
    assert.equal(jidOfGhost("@alice:example.org", names), undefined);
    assert.equal(jidOfGhost("@_xmpp_alice=40example.org:other.org", names), undefined);
    assert.equal(jidOfGhost("@_xmpp_:example.org", names), undefined);
  });

  test("the bot and ghosts are the application service's own users", () => {
    assert.equal(botUserId(names), "@xmppbridge:example.org");
    assert.ok(isOwnUser("@xmppbridge:example.org", names));
    assert.ok(isOwnUser(ghostUserId("x@y.z", names), names));
    assert.ok(!isOwnUser("@bob:example.org", names));
  });
});

describe("portal aliases", () => {
  test("#<prefix><room>=<muc domain>:<server> names room@muc domain, lower-cased", () => {
    assert.equal(
      roomJidOfAlias("#_xmpp_Lobby=conference.example.org:example.org", names),
      "lobby@conference.example.org",
    );
    assert.equal(
      `#${portalAliasLocalpart("lobby@conference.example.org", names)}:example.org`,
      "#_xmpp_lobby=conference.example.org:example.org",
    );
  });

  test("aliases that name no room are refused", () => {
    for (const alias of [
      "#_xmpp_lobby:example.org",
      "#_xmpp_=conference.example.org:example.org",
      "#_xmpp_lobby=:example.org",
      "#_xmpp_lo by=conference.example.org:example.org",
      "#_xmpp_lobby=conf erence:example.org",
      "#_xmpp_lobby=conference.example.org:other.org",
      "#lobby=conference.example.org:example.org",
      "#_xmpp_a/b=conference.example.org:example.org",
    ]) {
      assert.equal(roomJidOfAlias(alias, names), undefined, alias);
    }
  });
});
