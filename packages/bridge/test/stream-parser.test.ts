import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { type DroppedStanza, StreamParser } from "../src/component/stream-parser.ts";

const HEADER = `<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' id='s1'>`;

function parserWith(limits: { maxStanzaLength: number; maxDepth: number }) {
  const seen: string[] = [];
  const dropped: DroppedStanza[] = [];
  const errors: string[] = [];
  const parser = new StreamParser(
    {
      header: (a) => seen.push(`header ${a.id}`),
      element: (el) => seen.push(el.toString()),
      dropped: (d) => dropped.push(d),
      end: () => seen.push("end"),
      error: (e) => errors.push(e),
    },
    limits,
  );
  return { parser, seen, dropped, errors };
}

/** Writes `text` in chunks of `size` characters, as a socket would hand it over. */
function writeInChunks(parser: StreamParser, text: string, size: number): void {
  for (let i = 0; i < text.length; i += size) parser.write(text.slice(i, i + size));
}

describe("stream parser", () => {
  it("reads stanzas split across chunks", () => {
    const { parser, seen, errors } = parserWith({ maxStanzaLength: 200, maxDepth: 4 });
    writeInChunks(parser, `${HEADER}<handshake/> <message to='a@b'><body>h&amp;i</body></message></stream:stream>`, 7);
    assert.deepEqual(seen, ["header s1", "<handshake/>", '<message to="a@b"><body>h&amp;i</body></message>', "end"]);
    assert.deepEqual(errors, []);
  });

  it("drops a stanza nested too deep on its own, keeps its skeleton, and reads the next one", () => {
    const { parser, seen, dropped, errors } = parserWith({ maxStanzaLength: 100_000, maxDepth: 8 });
    const deep = `${"<x xmlns='urn:example:deep'>".repeat(300)}${"</x>".repeat(300)}`;
    const poisoned = `<message from='room@muc.example/eve' to='bridge.example' id='m1' type='groupchat'><body>boom</body><stanza-id xmlns='urn:xmpp:sid:0' by='room@muc.example' id='sid-1'/>${deep}</message>`;
    const next = `<message from='room@muc.example/ada' id='m2' type='groupchat'><body>hello</body></message>`;
    writeInChunks(parser, `${HEADER}${poisoned}${next}`, 512);
    assert.deepEqual(errors, []);
    assert.equal(dropped.length, 1);
    const skeleton = dropped[0]?.skeleton;
    assert.equal(skeleton?.attrs.id, "m1");
    assert.equal(skeleton?.attrs.from, "room@muc.example/eve");
    assert.equal(skeleton?.getChild("stanza-id", "urn:xmpp:sid:0")?.attrs.id, "sid-1");
    assert.equal(skeleton?.getChildText("body"), "", "a skeleton keeps no text");
    assert.match(dropped[0]?.reason ?? "", /deeper than 8 elements \(xmpp\.limits\.maxDepth\)/);
    assert.ok((skeleton?.toString().length ?? 0) < 1000, "the skeleton is small");
    assert.deepEqual(seen, ["header s1", next.replace(/'/g, '"')]);
  });

  it("drops a stanza over the size limit, whether it grows by text or by elements, and goes on", () => {
    const { parser, seen, dropped, errors } = parserWith({ maxStanzaLength: 1000, maxDepth: 8 });
    writeInChunks(parser, HEADER, 64);
    // A body longer than the limit, arriving in chunks with no tag in between.
    writeInChunks(parser, `<message id='long' type='chat'><body>${"x".repeat(5000)}</body></message>`, 100);
    // Many small children, each under the limit.
    writeInChunks(parser, `<iq id='wide' type='set'>${"<item a='1'/>".repeat(500)}</iq>`, 100);
    // An opening tag alone over the limit.
    writeInChunks(parser, `<presence id='fat' status='${"y".repeat(2000)}'/>`, 100);
    writeInChunks(parser, `<message id='ok'><body>fine</body></message>`, 100);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      dropped.map((d) => [d.skeleton.name, d.skeleton.attrs.id]),
      [
        ["message", "long"],
        ["iq", "wide"],
        ["presence", "fat"],
      ],
    );
    for (const d of dropped) assert.match(d.reason, /over 1000 characters \(xmpp\.limits\.maxStanzaLength\)/);
    assert.ok((dropped[1]?.skeleton.children.length ?? 0) <= 32, "a skeleton keeps at most 32 elements");
    assert.deepEqual(seen, ["header s1", '<message id="ok"><body>fine</body></message>']);
  });

  it("does not count several small stanzas in one chunk as one big one", () => {
    const { parser, seen, dropped } = parserWith({ maxStanzaLength: 100, maxDepth: 8 });
    const small = "<message><body>0123456789</body></message>";
    parser.write(`${HEADER}${small.repeat(20)}`);
    assert.equal(dropped.length, 0);
    assert.equal(seen.length, 21);
  });

  it("still ends the stream on XML it cannot read", () => {
    const { parser, errors } = parserWith({ maxStanzaLength: 1000, maxDepth: 8 });
    parser.write(`${HEADER}<message><body>a &bogus; entity</body></message>`);
    assert.equal(errors.length, 1);
    const other = parserWith({ maxStanzaLength: 1000, maxDepth: 8 });
    other.parser.write("<html>");
    assert.match(other.errors[0] ?? "", /opened with <html>/);
  });

  it("keeps no socket chunk alive through the values it hands out", () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const kept: string[] = [];
    const parser = new StreamParser({
      header: () => undefined,
      // What the engine keeps of an occupant's presence for as long as they stay: their occupant id and nick.
      element: (el) => kept.push(String(el.attrs.from), String(el.getChild("occupant-id")?.attrs.id)),
      end: () => undefined,
      error: (e) => assert.fail(e),
    });
    parser.write(HEADER);
    const padding = " ".repeat(20_000);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 100; i++) {
      // One chunk per presence, as a socket may hand them over, each with 20 kB of keepalive whitespace.
      parser.write(
        `<presence from='room@muc.example/member number ${i}'><occupant-id xmlns='urn:xmpp:occupant-id:0' id='occupant-id-of-member-${i}'/></presence>${padding}`,
      );
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    assert.equal(kept.length, 200);
    // Values cut from the chunks would keep all 100 of them (4 MB); copies keep a few kB.
    assert.ok(grown < 1_000_000, `${grown} bytes kept for 200 short values`);
  });
});
