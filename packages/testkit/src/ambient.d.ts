// Type declarations for the @xmpp packages the testkit drives; they ship none.
// Only the surface used here is declared.
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
    jid?: { toString(): string };
  }
  export function client(options: {
    service: string;
    domain?: string;
    username?: string;
    password?: string;
    resource?: string;
  }): XmppEntity;
}

declare module "@xmpp/component" {
  import type { XmppEntity } from "@xmpp/client";
  export function component(options: { service: string; domain: string; password: string }): XmppEntity;
}
