/**
 * The `rich_text` block a Slack client attaches to what a person types: the
 * text split into elements, with `<@U...>` as a user element, `<#C...|name>`
 * as a channel, `<!subteam^S...>` as a usergroup, `<!here>`-style broadcasts,
 * `<url|label>` as a link and `:name:` as an emoji. Styles are given by the
 * test in blocks of its own when it needs them: this covers the plain case.
 */

type Element = Record<string, unknown> & { type: string };

const TOKEN =
  /<@([UW][A-Z0-9]+)(?:\|[^>]*)?>|<#(C[A-Z0-9]+)(?:\|([^>]*))?>|<!subteam\^(S[A-Z0-9]+)(?:\|[^>]*)?>|<!(here|channel|everyone)(?:\|[^>]*)?>|<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>|:([a-z0-9_+'-]+(?:::skin-tone-[2-6])?):/g;

/** Slack's escapes in message text, undone for the text elements. */
function undoEscapes(s: string): string {
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

export function richTextBlock(text: string, blockId: string): Record<string, unknown> {
  const elements: Element[] = [];
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    const at = m.index ?? 0;
    if (at > last) elements.push({ type: "text", text: undoEscapes(text.slice(last, at)) });
    if (m[1]) elements.push({ type: "user", user_id: m[1] });
    else if (m[2]) elements.push({ type: "channel", channel_id: m[2] });
    else if (m[4]) elements.push({ type: "usergroup", usergroup_id: m[4] });
    else if (m[5]) elements.push({ type: "broadcast", range: m[5] });
    else if (m[6]) elements.push({ type: "link", url: m[6], ...(m[7] ? { text: m[7] } : {}) });
    else if (m[8]) elements.push({ type: "emoji", name: m[8] });
    last = at + m[0].length;
  }
  if (last < text.length) elements.push({ type: "text", text: undoEscapes(text.slice(last)) });
  return { type: "rich_text", block_id: blockId, elements: [{ type: "rich_text_section", elements }] };
}
