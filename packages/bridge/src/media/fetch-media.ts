/**
 * Downloads a file whose URL a remote user chose (an attachment, an avatar),
 * defensively: only http and https; never from loopback, private or
 * link-local addresses unless allowed (every address the name resolves to is
 * checked, and every redirect target again); never more than `maxBytes`
 * (refused early from Content-Length, counted while streaming otherwise); never
 * longer than `timeoutMs` in all; at most 5 redirects, and request headers
 * (which may carry credentials) are not sent on to another origin.
 *
 * The address is checked twice: once before the request, for a clear error,
 * and again when the connection is made (undici's `connect.lookup`), where the
 * address checked is the one connected to. A DNS server that answers a public
 * address to the first look-up and a private one to the second (DNS
 * rebinding) is refused there.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { isIP, type LookupFunction } from "node:net";
import { Agent, fetch as undiciFetch } from "undici";
import { isPrivateAddress } from "./address-policy.ts";
import { MediaFetchError, MediaTooLargeError } from "./media-errors.ts";
import { sanitizeContentType, sanitizeFilename } from "./media-names.ts";

export type HostLookup = (hostname: string) => Promise<ReadonlyArray<{ readonly address: string }>>;

export interface FetchMediaOptions {
  readonly maxBytes: number;
  /** For the whole download, body included (default 30,000). */
  readonly timeoutMs?: number;
  /** Sent to the first origin only (e.g. an Authorization header for authenticated media). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Lets the bridge fetch from private addresses: only for a self-hosted network on the LAN, and tests. */
  readonly allowPrivateAddresses?: boolean;
  readonly fetch?: typeof fetch;
  /** Resolves host names (default: every address from dns.lookup). */
  readonly lookup?: HostLookup;
  readonly maxRedirects?: number;
}

export interface FetchedMedia {
  /** The bytes, counted: iterating past `maxBytes` throws MediaTooLargeError. Leaving the loop early cancels the download. */
  readonly body: AsyncIterable<Uint8Array>;
  /** Sanitized, when the server sent one. */
  readonly contentType?: string;
  /** From Content-Length, when the server sent it. */
  readonly size?: number;
  /** From Content-Disposition, else the last segment of the URL path; sanitized. */
  readonly filename?: string;
  /** Where the file was finally found, after redirects. */
  readonly url: string;
}

const defaultLookup: HostLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * A socket `lookup` that resolves through `lookup` and refuses to connect when
 * any address is private: the check is made on the very addresses the socket
 * connects to, so no second resolution can slip past it.
 */
export function pinnedLookup(lookup: HostLookup): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname).then(
      (found) => {
        const addresses = found.map((a) => ({ address: a.address, family: isIP(a.address) }));
        const bad = addresses.find((a) => isPrivateAddress(a.address));
        if (bad !== undefined || addresses.length === 0) {
          const why =
            bad === undefined
              ? `${hostname} has no address`
              : `refusing to connect to ${hostname}: ${bad.address} is a loopback, private or reserved address`;
          callback(new MediaFetchError(bad === undefined ? "dns" : "private-address", why), "", 0);
          return;
        }
        if (options.all === true) {
          (callback as unknown as (e: null, all: typeof addresses) => void)(null, addresses);
          return;
        }
        const first = addresses[0] as { address: string; family: number };
        callback(null, first.address, first.family);
      },
      (e: unknown) => callback(new MediaFetchError("dns", `cannot resolve ${hostname}`, { cause: e }), "", 0),
    );
  };
}

/** One connection pool per look-up function, whose sockets connect only to public addresses. */
const pinnedAgents = new WeakMap<HostLookup, Agent>();
function pinnedFetch(lookup: HostLookup): typeof fetch {
  let agent = pinnedAgents.get(lookup);
  if (agent === undefined) {
    agent = new Agent({ connect: { lookup: pinnedLookup(lookup) } });
    pinnedAgents.set(lookup, agent);
  }
  const dispatcher = agent;
  return ((input: string, init?: RequestInit) =>
    undiciFetch(input, { ...(init as object), dispatcher })) as unknown as typeof fetch;
}

function parseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new MediaFetchError("invalid-url", "not a valid URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new MediaFetchError("unsupported-scheme", `only http and https URLs are fetched, not ${url.protocol}`);
  }
  return url;
}

/** Refuses a URL whose host is, or resolves to, an address the bridge must not reach. */
async function checkHost(url: URL, lookup: HostLookup): Promise<void> {
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  let addresses: string[];
  if (isIP(host) !== 0) {
    addresses = [host];
  } else {
    try {
      addresses = (await lookup(host)).map((a) => a.address);
    } catch (e) {
      throw new MediaFetchError("dns", `cannot resolve ${host}`, { cause: e });
    }
    if (addresses.length === 0) throw new MediaFetchError("dns", `${host} has no address`);
  }
  const bad = addresses.find(isPrivateAddress);
  if (bad !== undefined) {
    throw new MediaFetchError(
      "private-address",
      `refusing to fetch from ${host}: ${bad} is a loopback, private or reserved address`,
    );
  }
}

/** The filename a Content-Disposition header gives, preferring the RFC 8187 `filename*` form. */
export function filenameFromDisposition(header: string): string | undefined {
  const extended = /filename\*\s*=\s*([A-Za-z0-9!#$&+^`{}~_-]*)'[^']*'([^;\s]+)/i.exec(header);
  if (extended) {
    const charset = (extended[1] ?? "").toLowerCase();
    const encoded = extended[2] ?? "";
    try {
      if (charset === "utf-8") return sanitizeFilename(decodeURIComponent(encoded));
      if (charset === "iso-8859-1") {
        const bytes = encoded.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) =>
          String.fromCharCode(Number.parseInt(h, 16)),
        );
        return sanitizeFilename(bytes);
      }
    } catch {
      // malformed percent-encoding: fall back to the plain parameter
    }
  }
  const plain = /(?:^|;)\s*filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/i.exec(header);
  if (!plain) return undefined;
  const value = plain[1] !== undefined ? plain[1].replace(/\\(.)/g, "$1") : (plain[2] ?? "").trim();
  return sanitizeFilename(value);
}

function filenameFromUrl(url: URL): string | undefined {
  const segment = url.pathname.split("/").pop() ?? "";
  try {
    return sanitizeFilename(decodeURIComponent(segment));
  } catch {
    return sanitizeFilename(segment); // not percent-encoded after all: the name as written
  }
}

function declaredLength(res: Response): number | undefined {
  const raw = res.headers.get("content-length")?.trim();
  if (raw === undefined || !/^\d{1,15}$/.test(raw)) return undefined;
  return Number(raw);
}

/** The error to report for anything thrown while talking to the server. */
function asFetchError(e: unknown, signal: AbortSignal): Error {
  if (e instanceof MediaFetchError || e instanceof MediaTooLargeError) return e;
  if (signal.aborted && signal.reason instanceof MediaFetchError) return signal.reason;
  // fetch wraps what the connect-time look-up refused in a TypeError("fetch failed").
  if (e instanceof Error && e.cause instanceof MediaFetchError) return e.cause;
  return new MediaFetchError("network", `the download failed: ${e instanceof Error ? e.message : String(e)}`, {
    cause: e,
  });
}

/**
 * Drops a response we will not read, by aborting its request: that destroys
 * the connection. Cancelling the body instead lets undici pool a connection
 * that may still carry the rest of this body, and a later request on it has
 * been seen to get an empty body.
 */
function discard(hop: AbortController): void {
  hop.abort(new MediaFetchError("network", "response discarded"));
}

async function* counted(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  signal: AbortSignal,
  hop: AbortController,
  done: () => void,
): AsyncGenerator<Uint8Array> {
  let complete = false;
  try {
    if (!body) {
      complete = true;
      return;
    }
    let n = 0;
    for await (const chunk of body) {
      n += chunk.byteLength;
      if (n > limit) throw new MediaTooLargeError(n, limit);
      yield chunk;
    }
    complete = true;
  } catch (e) {
    throw asFetchError(e, signal);
  } finally {
    if (!complete) discard(hop); // over the limit, failed, or the consumer stopped reading
    done();
  }
}

export async function fetchMedia(rawUrl: string, o: FetchMediaOptions): Promise<FetchedMedia> {
  const lookup = o.lookup ?? defaultLookup;
  const doFetch = o.fetch ?? (o.allowPrivateAddresses ? globalThis.fetch : pinnedFetch(lookup));
  const maxRedirects = o.maxRedirects ?? 5;
  const timeoutMs = o.timeoutMs ?? 30_000;
  let url = parseUrl(rawUrl);
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new MediaFetchError("timeout", `the download took longer than ${timeoutMs} ms`)),
    timeoutMs,
  );
  timer.unref();
  const stop = () => clearTimeout(timer);
  let headers: Record<string, string> = { ...o.headers };
  try {
    for (let redirects = 0; ; redirects++) {
      if (!o.allowPrivateAddresses) await checkHost(url, lookup);
      const hop = new AbortController();
      let res: Response;
      try {
        res = await doFetch(url.href, {
          headers,
          redirect: "manual",
          signal: AbortSignal.any([controller.signal, hop.signal]),
        });
      } catch (e) {
        throw asFetchError(e, controller.signal);
      }
      if (res.status >= 300 && res.status < 400 && res.status !== 304) {
        discard(hop);
        const location = res.headers.get("location");
        if (!location) throw new MediaFetchError("bad-redirect", `redirect ${res.status} without a Location`);
        if (redirects >= maxRedirects) {
          throw new MediaFetchError("too-many-redirects", `more than ${maxRedirects} redirects`);
        }
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          throw new MediaFetchError("bad-redirect", "redirect to an invalid URL");
        }
        if (next.protocol !== "http:" && next.protocol !== "https:") {
          throw new MediaFetchError("bad-redirect", `redirect to an unsupported scheme ${next.protocol}`);
        }
        if (next.origin !== url.origin) headers = {};
        url = next;
        continue;
      }
      if (!res.ok) {
        discard(hop);
        throw new MediaFetchError("http-status", `the server answered ${res.status}`, { status: res.status });
      }
      const size = declaredLength(res);
      if (size !== undefined && size > o.maxBytes) {
        discard(hop);
        throw new MediaTooLargeError(size, o.maxBytes);
      }
      const type = res.headers.get("content-type");
      const disposition = res.headers.get("content-disposition");
      const filename = (disposition ? filenameFromDisposition(disposition) : undefined) ?? filenameFromUrl(url);
      return {
        body: counted(res.body, o.maxBytes, controller.signal, hop, stop),
        ...(type !== null && { contentType: sanitizeContentType(type) }),
        ...(size !== undefined && { size }),
        ...(filename !== undefined && { filename }),
        url: url.href,
      };
    }
  } catch (e) {
    stop();
    throw e;
  }
}
