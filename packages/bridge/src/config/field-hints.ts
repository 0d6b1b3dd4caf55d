/**
 * What to write instead, per config field. Kept apart from the schema so the
 * schema reads as a shape and this reads as advice; keys are field paths with
 * list indexes written `[]` and connector names written `*`.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings show users the literal ${NAME} syntax of the config file
const HINTS: Readonly<Record<string, string>> = {
  xmpp: "add an xmpp section with at least `domain` and `secret`",
  "xmpp.host": "write the host of your XMPP server's component port, e.g. 127.0.0.1",
  "xmpp.port": "write the XMPP server's component port (XEP-0114), usually 5347",
  "xmpp.domain": "write the component's domain as declared on the XMPP server, e.g. discord.example.org",
  "xmpp.secret":
    "write the component secret declared on the XMPP server, or ${PARLEY_COMPONENT_SECRET} to read it from the environment",
  "xmpp.mucDomain": "write the MUC service's domain, e.g. conference.example.org, or remove the line",
  "xmpp.uploadService": "write the XEP-0363 upload service's domain, e.g. upload.example.org, or remove the line",
  "xmpp.catchUp": "write a catchUp section with maxMessages and maxAgeHours, or remove it for the defaults",
  "xmpp.catchUp.maxMessages":
    "write the most messages one room's catch-up may relay (a safety bound; default 1000000), or 0 to turn catch-up off",
  "xmpp.catchUp.maxAgeHours": "write how many hours back a catch-up may reach, from 1 to 720",
  "xmpp.limits":
    "write a limits section with maxDepth, maxStanzaLength, maxPostsPerMessage, messagesPerMinute and burst, or remove it for the defaults",
  "xmpp.limits.maxDepth":
    "write how deep one stanza's elements may nest, from 16 to 10000 (default 256); a deeper stanza is dropped on its own",
  "xmpp.limits.maxPostsPerMessage":
    "write the most posts one XMPP message may become on the other network, from 1 to 100 (default 5); the rest is cut with a notice",
  "xmpp.limits.messagesPerMinute":
    "write how many messages a minute one sender may have relayed, from 1 to 6000, or 0 for no limit (the default); the excess is dropped with one notice",
  "xmpp.limits.burst":
    "write how many messages one sender may send at once before messagesPerMinute applies, from 1 to 1000 (default 10)",
  "xmpp.limits.maxStanzaLength":
    "write how many characters one stanza may have, from 10000 to 100000000 (default 1000000); a longer stanza is dropped on its own",
  store: "write a store section such as `url: sqlite:parley.db`, or remove it for the default",
  "store.url": "write sqlite:<file> (e.g. sqlite:parley.db) or postgres://user:password@host/database",
  "store.retention": "write a retention section with messagesDays and ledgerDays, or remove it for the defaults",
  "store.retention.messagesDays":
    "write how many days edits, deletions, replies and reactions can still find a message (default 90), at least xmpp.catchUp.maxAgeHours / 24, or 0 to keep every message for ever",
  "store.retention.ledgerDays":
    "write how many days to remember what was delivered (default 30), at least xmpp.catchUp.maxAgeHours / 24, or 0 to keep it for ever",
  http: "write an http section with host and port, or remove it for the defaults",
  "http.host": "write the address to listen on, e.g. 127.0.0.1, or 0.0.0.0 for every interface",
  "http.port": "write a port from 1 to 65535, or 0 to pick a free one",
  "http.publicUrl": "write the http(s) URL remote networks reach this bridge at, e.g. https://bridge.example.org",
  ops: "write an ops section with host and port, or remove it for the defaults (127.0.0.1:8788)",
  "ops.host":
    "write the address the health and metrics endpoint listens on, e.g. 127.0.0.1 (the default: only this machine)",
  "ops.port": "write a port from 1 to 65535 that http.port does not use (default 8788), or 0 to pick a free one",
  "ops.metricsToken":
    "write a random string of at least 16 letters and digits (e.g. from `openssl rand -hex 32`) or ${PARLEY_METRICS_TOKEN}, or remove it to serve /metrics without a token",
  delivery: "write a delivery section such as `drainSeconds: 10`, or remove it for the default",
  "delivery.drainSeconds":
    "write how many seconds a stop waits for sent messages to be confirmed, from 0 to 600 (default 10)",
  "delivery.retrySeconds":
    "write how many seconds a failure worth retrying (a 5xx, a dropped connection) is retried, from 0 to 86400 (default 600)",
  log: "write a log section such as `level: info`, or remove it",
  "log.level": "write one of debug, info, warn, error",
  admins: "write a list of bare JIDs, e.g. [admin@example.org]",
  "admins[]": "write a bare JID such as admin@example.org",
  "xmpp.serverDomain":
    "write the XMPP server's own domain, e.g. example.org (its users may write to remote users directly), or remove the line to take xmpp.domain without its first label",
  permissions:
    'write a mapping from a bare JID, a domain or "*" to one of none, relay, dm, admin, e.g. { "*": relay, "example.org": dm }',
  "permissions.*":
    'key each entry by a bare JID, a domain or "*", and give it one of none, relay, dm, admin (each includes the ones before it)',
  media: "write a media section with maxBytes, dir and allowPrivateAddresses, or remove it for the defaults",
  "media.maxBytes": "write a size in bytes, e.g. 26214400 for 25 MiB",
  "media.dir": "write a directory the bridge may write to, e.g. ./media",
  "media.allowPrivateAddresses": "write true or false",
  links: "write a list of { network, channel, room } entries, or remove it",
  "links[]": 'write { network: discord, channel: "1234", room: lobby@conference.example.org }',
  "links[].network": "write the name of the connector this bridge runs, e.g. discord",
  "links[].channel":
    'write the remote channel\'s id in quotes, e.g. "1234" (unquoted long numbers lose digits in YAML)',
  "links[].room": "write the room's JID, e.g. lobby@conference.example.org, or set xmpp.mucDomain to use bare names",
  connectors: "write one section per connector, e.g. `discord: { token: ${DISCORD_TOKEN} }`",
  "connectors.*": "write this connector's settings as a mapping, e.g. `{ token: ${DISCORD_TOKEN} }`",
  "connectors.*.package":
    "write the package the connector comes from, e.g. @parley/discord (the default for discord) or acme-parley-chat, or a path to its directory such as ./connectors/acme",
};

/** Advice for `path` (as formatted by formatConfigPath), if the field is one we know. */
export function hintFor(path: string): string | undefined {
  const pattern = path
    .replace(/\[\d+\]/g, "[]")
    .replace(/^connectors\.[^.[]+$/, "connectors.*")
    .replace(/^connectors\.[^.[]+\.package$/, "connectors.*.package")
    .replace(/^permissions\..+$/, "permissions.*");
  return HINTS[pattern];
}

/**
 * The known name closest to a mistyped one, if it is close enough to be a
 * typo: same letters in another case, or an edit distance (with swapped
 * neighbours counting once) of at most a third of its length (at least 1).
 */
export function closestName(typed: string, known: readonly string[]): string | undefined {
  const lower = typed.toLowerCase();
  const sameCase = known.find((k) => k.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(typed.length / 3)) ? best : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 8) return Number.POSITIVE_INFINITY;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const up = rows[i - 1] ?? [];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((up[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (up[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      }
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? Number.POSITIVE_INFINITY;
}
