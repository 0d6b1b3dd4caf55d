/**
 * A payload codec states, once, how one XML payload maps to one TypeScript
 * value: the element's name(s) and namespace, how to read it (never throwing)
 * and how to write it. Stanza parsers dispatch children to codecs by name and
 * namespace in a single pass.
 */

import type { Result } from "./result.ts";
import type { Element } from "./xml.ts";

export interface PayloadCodec<T> {
  /**
   * Local names this codec reads. Most payloads have one; a few XEPs use the
   * element name as the value (chat states, markers, hints).
   */
  readonly names: readonly string[];
  /** Namespace of the payload element. */
  readonly ns: string;
  /** Reads the element; returns a ParseError for anything the XEP does not allow. */
  parse(el: Element): Result<T>;
  /** Writes the value as an element carrying its own xmlns. */
  build(value: T): Element;
}

/**
 * A field of a stanza type carried by one payload codec: `key` is the property
 * of the typed stanza, `multiple` when the element may repeat (the property is
 * then an array of values, in document order).
 */
export interface PayloadField<S> {
  readonly key: keyof S & string;
  readonly codec: PayloadCodec<unknown>;
  readonly multiple: boolean;
}

/** A single-valued field: `key` holds at most one value of the codec's type. */
export function field<S, K extends keyof S & string>(key: K, codec: PayloadCodec<NonNullable<S[K]>>): PayloadField<S> {
  return { key, codec: codec as PayloadCodec<unknown>, multiple: false };
}

/** A repeating field: `key` holds an array of the codec's values, in document order. */
export function fieldList<S, K extends keyof S & string>(
  key: K,
  codec: PayloadCodec<NonNullable<S[K]> extends ReadonlyArray<infer E> ? E : never>,
): PayloadField<S> {
  return { key, codec: codec as PayloadCodec<unknown>, multiple: true };
}

/** The dispatch key for a payload: its namespace and local name. */
export function payloadKey(ns: string, name: string): string {
  return `${ns}\u0000${name}`;
}

/** A dispatch table, namespace then local name to field, built once per stanza kind. */
export type FieldTable<S> = Map<string, Map<string, PayloadField<S>>>;

export function fieldTable<S>(fields: ReadonlyArray<PayloadField<S>>): FieldTable<S> {
  const table: FieldTable<S> = new Map();
  for (const f of fields) {
    let byName = table.get(f.codec.ns);
    if (!byName) {
      byName = new Map();
      table.set(f.codec.ns, byName);
    }
    for (const name of f.codec.names) {
      if (byName.has(name)) throw new TypeError(`two fields claim <${name} xmlns="${f.codec.ns}">`);
      byName.set(name, f);
    }
  }
  return table;
}
