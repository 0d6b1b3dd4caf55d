/**
 * The guide's configuration blocks, made by this package from the guide's
 * example values. In the guide each generated block follows a marker line
 * `<!-- xmpp-setup: <name> -->`; the test fails when a block differs from what
 * the functions make now, and `npm run guide -w @parley/xmpp-setup` rewrites them.
 */
import { ejabberdConfig } from "../src/ejabberd-config.ts";
import { prosodyConfig } from "../src/prosody-config.ts";
import type { ServerSetup } from "../src/server-setup.ts";

export const GUIDE = new URL("../../../docs/run-next-to-prosody-and-ejabberd.md", import.meta.url);

/** The guide's example server and bridge. */
export const GUIDE_EXAMPLE: ServerSetup = {
  domain: "example.org",
  mucDomain: "conference.example.org",
  components: [{ domain: "discord.example.org", secret: "REPLACE-with-xmpp.secret-of-parley.yaml" }],
};

export interface GuideSnippet {
  readonly language: string;
  readonly text: string;
}

export function guideSnippets(): Readonly<Record<string, GuideSnippet>> {
  return {
    prosody: { language: "lua", text: prosodyConfig(GUIDE_EXAMPLE) },
    ejabberd: { language: "yaml", text: ejabberdConfig(GUIDE_EXAMPLE) },
  };
}

const MARKED_BLOCK = /<!-- xmpp-setup: ([a-z-]+) -->\n```([a-z]*)\n([\s\S]*?)```/g;

/** The marked blocks of a guide, in order. */
export function markedBlocks(markdown: string): Array<{ name: string; language: string; text: string }> {
  return [...markdown.matchAll(MARKED_BLOCK)].map((m) => ({
    name: m[1] ?? "",
    language: m[2] ?? "",
    text: m[3] ?? "",
  }));
}

/** The guide with every marked block replaced by what the functions make now. */
export function rewriteGuide(markdown: string): string {
  const snippets = guideSnippets();
  return markdown.replace(MARKED_BLOCK, (whole, name: string) => {
    const snippet = snippets[name];
    if (!snippet) return whole;
    return `<!-- xmpp-setup: ${name} -->\n\`\`\`${snippet.language}\n${snippet.text}\`\`\``;
  });
}
