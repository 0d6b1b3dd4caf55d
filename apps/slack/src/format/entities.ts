/**
 * Slack escapes exactly three characters in message text (`&`, `<`, `>`),
 * so that `<...>` can only be its own markup; everything else is literal.
 */

export function unescapeEntities(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(/&(amp|lt|gt);/g, (_, name: string) => (name === "amp" ? "&" : name === "lt" ? "<" : ">"));
}

export function escapeEntities(s: string): string {
  return s.replace(/[&<>]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : "&gt;"));
}
