/**
 * Slack's `<...>` tokens in mrkdwn: `<@U…>` users, `<#C…|name>` channels,
 * `<!subteam^S…|@handle>` user groups, `<!here>` / `<!channel>` /
 * `<!everyone>`, `<!date^…|fallback>` dates, and `<url|label>` links. Slack
 * escapes every literal `<`, so a `<` that starts none of these is shown as
 * it is.
 */
import { angleTokenClose, type RunLeaf as Leaf, newLink, type InlineRun as Run } from "@parley/bridge";
import { broadcastTarget, channelTarget, type Names, usergroupTarget, userTarget } from "./context.ts";
import { unescapeEntities } from "./entities.ts";

/** Longest token looked for: a URL is the only long one. */
const MAX_TOKEN = 4096;

const USER = /^@([UW][A-Z0-9]{1,40})(?:\|(.*))?$/s;
const CHANNEL = /^#([CGD][A-Z0-9]{1,40})(?:\|(.*))?$/s;
const USERGROUP = /^!subteam\^([A-Z0-9]{1,40})(?:\|(.*))?$/s;
const BROADCAST = /^!(here|channel|everyone)(?:\|.*)?$/s;
const SPECIAL = /^![^|]*\|(.*)$/s;
const LINK = /^((?:https?|mailto|ftp|tel|slack):[^|\s]*)(?:\|(.*))?$/is;

/** The runs of the token whose `<` is at `i` and where it ends, or undefined when that `<` is text. */
export function angleToken(
  src: string,
  i: number,
  names: Names,
  styles: number,
): { runs: Run[]; end: number } | undefined {
  const k = angleTokenClose(src, i, MAX_TOKEN);
  if (k === undefined) return undefined;
  const runs = tokenRuns(src.slice(i + 1, k), names, styles);
  return runs === undefined ? undefined : { runs, end: k + 1 };
}

function tokenRuns(inner: string, names: Names, styles: number): Run[] | undefined {
  const leaf = (l: Leaf): Run[] => [{ styles, link: undefined, leaf: l }];
  let m = USER.exec(inner);
  if (m) {
    const id = m[1] as string;
    return leaf({ type: "mention", name: names.user(id, label(m[2])), target: userTarget(id) });
  }
  m = CHANNEL.exec(inner);
  if (m) {
    const id = m[1] as string;
    return leaf({ type: "mention", name: names.channel(id, label(m[2])), target: channelTarget(id) });
  }
  m = USERGROUP.exec(inner);
  if (m) {
    const id = m[1] as string;
    return leaf({ type: "mention", name: names.usergroup(id, label(m[2])), target: usergroupTarget(id) });
  }
  m = BROADCAST.exec(inner);
  if (m) return leaf({ type: "mention", name: m[1] as string, target: broadcastTarget(m[1] as string) });
  m = SPECIAL.exec(inner);
  if (m) {
    // A date or another special token: its fallback text is what older clients show.
    const text = label(m[1]);
    return text === undefined ? [] : leaf({ type: "text", text });
  }
  m = LINK.exec(inner);
  if (m) {
    const url = unescapeEntities(m[1] as string);
    const text = label(m[2]);
    if (text === undefined || text === url) return leaf({ type: "autolink", url });
    return [{ styles, link: newLink(url), leaf: { type: "text", text } }];
  }
  return undefined;
}

function label(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const text = unescapeEntities(raw);
  return text.trim() === "" ? undefined : text;
}
