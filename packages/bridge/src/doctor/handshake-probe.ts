/**
 * One XEP-0114 handshake, made only to see how the server answers it. The
 * component session hides what a diagnosis needs (it reconnects, and keeps
 * only a reason string): here the stream header's namespace (a client port
 * answers `jabber:client`), the stream error's condition and text, and
 * whether the server spoke before or after the handshake are all kept. The
 * stream is closed again at once, accepted or not.
 */
import { connect } from "node:net";
import { type Element, NS } from "@parley/stanza";
import { handshakeDigest } from "../component/component-session.ts";
import { StreamParser } from "../component/stream-parser.ts";

export type HandshakeOutcome =
  /** The server answered `<handshake/>`: host, port, domain and secret are right. */
  | { readonly kind: "accepted" }
  /** No connection: nothing listens there, the name does not resolve, a firewall... (`code` is Node's, e.g. ECONNREFUSED). */
  | { readonly kind: "unreachable"; readonly code: string }
  /** Connected, but nothing came back in time. */
  | { readonly kind: "silent" }
  /** What came back is not an XMPP stream. */
  | { readonly kind: "not-xmpp" }
  /** An XMPP stream, of another kind than a component's (`jabber:client` on a client port). */
  | { readonly kind: "other-stream"; readonly namespace: string }
  /** A stream error, before the handshake was sent (the domain) or after (the secret). */
  | {
      readonly kind: "stream-error";
      readonly condition: string;
      readonly text?: string;
      readonly afterHandshake: boolean;
    }
  /** The server closed the stream without saying why. */
  | { readonly kind: "closed"; readonly afterHandshake: boolean };

export interface HandshakeProbeOptions {
  readonly host: string;
  readonly port: number;
  readonly domain: string;
  readonly secret: string;
  /** How long to wait for the connection and for each answer; default 5 s. */
  readonly timeoutMs?: number;
}

const STREAMS_NS = "urn:ietf:params:xml:ns:xmpp-streams";

export function probeHandshake(o: HandshakeProbeOptions): Promise<HandshakeOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: o.host, port: o.port });
    socket.setEncoding("utf8");
    let outcome: HandshakeOutcome | undefined;
    let handshakeSent = false;
    const settle = (result: HandshakeOutcome) => {
      outcome ??= result;
      clearTimeout(timer);
      if (result.kind !== "accepted") {
        socket.destroy();
        return;
      }
      socket.end("</stream:stream>");
      setTimeout(() => socket.destroy(), 1000).unref(); // a server that never closes its side is not waited for
    };
    let timer = setTimeout(() => settle({ kind: "silent" }), o.timeoutMs ?? 5000);
    const parser = new StreamParser({
      header: (attrs) => {
        const namespace = attrs.xmlns ?? "";
        if (namespace !== NS.component) return settle({ kind: "other-stream", namespace });
        // Prosody opens a stream with an empty id only to send the error that follows: wait for it.
        if (!attrs.id) return;
        handshakeSent = true;
        clearTimeout(timer);
        timer = setTimeout(() => settle({ kind: "silent" }), o.timeoutMs ?? 5000);
        socket.write(`<handshake>${handshakeDigest(attrs.id, o.secret)}</handshake>`);
      },
      element: (el) => {
        if (el.name === "handshake") return settle({ kind: "accepted" });
        if (el.name === "stream:error") return settle(streamError(el, handshakeSent));
      },
      end: () => settle({ kind: "closed", afterHandshake: handshakeSent }),
      error: () => settle({ kind: "not-xmpp" }),
    });
    socket.on("connect", () => {
      socket.write(
        `<?xml version='1.0'?><stream:stream xmlns='${NS.component}' xmlns:stream='http://etherx.jabber.org/streams' to='${escapeAttr(o.domain)}'>`,
      );
    });
    socket.on("data", (chunk: string) => parser.write(chunk));
    socket.on("error", (e: NodeJS.ErrnoException) => settle({ kind: "unreachable", code: e.code ?? e.message }));
    socket.on("close", () => {
      settle({ kind: "closed", afterHandshake: handshakeSent });
      resolve(outcome ?? { kind: "closed", afterHandshake: handshakeSent });
    });
  });
}

function streamError(el: Element, afterHandshake: boolean): HandshakeOutcome {
  let condition = "undefined-condition";
  let text: string | undefined;
  for (const child of el.children) {
    if (typeof child === "string" || child.attrs.xmlns !== STREAMS_NS) continue;
    if (child.name === "text") text = child.getText();
    else condition = child.name;
  }
  return { kind: "stream-error", condition, afterHandshake, ...(text !== undefined && text !== "" && { text }) };
}

const ATTR_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

function escapeAttr(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ATTR_ESCAPES[c] ?? c);
}
