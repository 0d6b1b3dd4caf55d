/**
 * Where Discord links things. Only http(s) URLs become links in a Discord
 * message (bare, `<url>` or `[text](url)`); anything else is text there, so
 * the writer spells other schemes as text. Bare URLs end where
 * @parley/bridge's `bareUrlEnd` says, as in every other network's text.
 */

const HTTP = /^https?:\/\//i;

/** Whether Discord can link `url` at all. */
export function isLinkable(url: string): boolean {
  return HTTP.test(url) && url.length > url.indexOf("//") + 2 && !/[\s<>]/.test(url);
}
