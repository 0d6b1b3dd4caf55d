/** Short builders for rich-text trees, shared by the format tests. */
import type { Block, Inline, RichText } from "../src/format/index.ts";

export const p = (...children: Inline[]): Block => ({ type: "paragraph", children });
export const t = (text: string): Inline => ({ type: "text", text });
export const b = (...children: Inline[]): Inline => ({ type: "bold", children });
export const i = (...children: Inline[]): Inline => ({ type: "italic", children });
export const br: Inline = { type: "linebreak" };
export const doc = (...blocks: Block[]): RichText => ({ blocks });
export const link = (url: string, ...children: Inline[]): Inline => ({ type: "link", url, children });
