// Types for @xmpp/client, which ships none: only the surface the room watcher uses.
// The testkit declares the same module for itself; both declarations merge.
declare module "@xmpp/client" {
  import type { Element } from "@xmpp/xml";
  export interface XmppEntity {
    start(): Promise<unknown>;
    stop(): Promise<void>;
    send(el: Element): Promise<void>;
    on(event: "stanza", listener: (el: Element) => void): this;
    on(event: "error", listener: (e: Error) => void): this;
    on(event: "online", listener: (jid: { toString(): string }) => void): this;
    on(event: "offline" | "disconnect", listener: () => void): this;
    iqCaller: { request(el: Element, timeout?: number): Promise<Element> };
    reconnect?: { stop(): void };
  }
  export function client(options: {
    service: string;
    domain?: string;
    username?: string;
    password?: string;
    resource?: string;
  }): XmppEntity;
}
