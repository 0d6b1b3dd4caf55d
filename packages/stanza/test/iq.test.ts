import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  buildIq,
  buildIqError,
  buildIqResult,
  buildPresence,
  buildStanzaError,
  NS,
  parseIq,
  parsePresence,
  parseStanzaError,
  parseXml,
  unwrap,
} from "../src/index.ts";

const el = (s: string) => unwrap(parseXml(s));

describe("iq (RFC 6120 §8.2.3)", () => {
  it("requires an id, a known type and exactly one payload in a request", () => {
    assert.equal(parseIq(el(`<iq type="get"><ping xmlns="${NS.ping}"/></iq>`)).ok, false);
    assert.equal(parseIq(el(`<iq id="1" type="fetch"><ping xmlns="${NS.ping}"/></iq>`)).ok, false);
    assert.equal(parseIq(el(`<iq id="1" type="get"/>`)).ok, false);
    assert.equal(parseIq(el(`<iq id="1" type="set"><a xmlns="urn:a"/><b xmlns="urn:b"/></iq>`)).ok, false);
    assert.equal(parseIq(el(`<iq id="1" type="error"/>`)).ok, false);
    assert.ok(parseIq(el(`<iq id="1" type="result"/>`)).ok);
  });
  it("answers with addresses swapped and the same id", () => {
    const req = unwrap(parseIq(el(`<iq id="q1" type="get" from="a@b/c" to="svc.b"><ping xmlns="${NS.ping}"/></iq>`)));
    assert.equal(buildIqResult(req).toString(), `<iq type="result" id="q1" from="svc.b" to="a@b/c"/>`);
    const e = unwrap(parseIq(buildIqError(req, { condition: "service-unavailable", text: "no" })));
    assert.equal(e.type, "error");
    assert.deepEqual(e.error, { type: "cancel", condition: "service-unavailable", text: "no" });
  });
  it("writes the xml:lang it reads", () => {
    const request = `<iq type="get" id="c1" xml:lang="fr-ca"><command xmlns="${NS.commands}" node="n"/></iq>`;
    const iq = unwrap(parseIq(el(request)));
    assert.equal(iq.lang, "fr-ca");
    assert.equal(buildIq(iq).toString(), request);
  });
});

describe("stanza errors (RFC 6120 §8.3)", () => {
  it("reads type, condition, text, by and an application condition", () => {
    const e = unwrap(
      parseStanzaError(
        el(
          `<error type="modify" by="muc.x"><not-acceptable xmlns="${NS.stanzas}"/><text xmlns="${NS.stanzas}">too big</text><file-too-large xmlns="urn:xmpp:http:upload:0"/></error>`,
        ),
      ),
    );
    assert.equal(e.condition, "not-acceptable");
    assert.equal(e.text, "too big");
    assert.equal(e.by, "muc.x");
    assert.equal(e.application?.name, "file-too-large");
  });
  it("keeps an error without a defined condition as undefined-condition, and refuses a bad type", () => {
    assert.equal(unwrap(parseStanzaError(el(`<error type="cancel"/>`))).condition, "undefined-condition");
    assert.equal(parseStanzaError(el(`<error type="oops"/>`)).ok, false);
  });
  it("round-trips with the RFC's default type per condition", () => {
    const built = buildStanzaError({ condition: "redirect", redirect: "xmpp:room@muc.x" });
    assert.deepEqual(unwrap(parseStanzaError(built)), {
      type: "modify",
      condition: "redirect",
      redirect: "xmpp:room@muc.x",
    });
  });
});

describe("presence core", () => {
  it("reads show, status, priority and refuses out-of-range values without losing them", () => {
    const p = unwrap(
      parsePresence(el(`<presence><show>dnd</show><status>busy</status><priority>-5</priority></presence>`)),
    );
    assert.deepEqual([p.type, p.show, p.status, p.priority], ["available", "dnd", "busy", -5]);
    const bad = unwrap(parsePresence(el(`<presence><show>sleepy</show><priority>300</priority></presence>`)));
    assert.equal(bad.show, undefined);
    assert.equal(bad.priority, undefined);
    assert.equal(bad.invalid.length, 2);
    assert.equal(bad.extra.length, 2);
    assert.equal(parsePresence(el(`<presence type="available"/>`)).ok, false);
  });
  it("writes no type attribute for available presence", () => {
    assert.equal(buildPresence({ show: "away" }).toString(), "<presence><show>away</show></presence>");
    assert.throws(() => buildPresence({ priority: 200 }), TypeError);
  });
});
