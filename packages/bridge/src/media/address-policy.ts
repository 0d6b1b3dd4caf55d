/**
 * Which IP addresses the bridge may download from. A remote user controls the
 * URLs of their attachments and avatars; without this check they could make
 * the bridge fetch `http://127.0.0.1:5280/admin` or a cloud metadata endpoint
 * (169.254.169.254) and re-host the answer for everyone to read (SSRF).
 *
 * Refused: loopback, private, shared (CGNAT), link-local, unspecified,
 * multicast, broadcast, reserved and documentation ranges, in IPv4 and IPv6,
 * including IPv4 addresses wrapped in IPv6 (mapped `::ffff:a.b.c.d`,
 * compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`).
 */

/** A dotted quad as a 32-bit number, or undefined when `s` is not one (no octal, no shorthand). */
function parseIpv4(s: string): number | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

/** An IPv6 address as 8 groups of 16 bits, or undefined. Accepts `::` and a trailing dotted quad; drops a zone id. */
function parseIpv6(input: string): number[] | undefined {
  let s = input;
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  if (s.length === 0 || s.length > 45) return undefined;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(":");
  if (s.includes(".")) {
    const v4 = parseIpv4(s.slice(lastColon + 1));
    if (lastColon < 0 || v4 === undefined) return undefined;
    tail = [v4 >>> 16, v4 & 0xffff];
    // Drop the quad; keep a trailing "::", drop a single trailing ":".
    const prefix = s.slice(0, lastColon + 1);
    s = prefix.endsWith("::") ? prefix : prefix.slice(0, -1);
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    for (const g of part.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0] ?? "");
  if (!head) return undefined;
  if (halves.length === 1) {
    const all = [...head, ...tail];
    return all.length === 8 ? all : undefined;
  }
  const rest = groups(halves[1] ?? "");
  if (!rest) return undefined;
  const known = head.length + rest.length + tail.length;
  if (known > 7) return undefined;
  return [...head, ...new Array<number>(8 - known).fill(0), ...rest, ...tail];
}

const V4_BLOCKED: ReadonlyArray<readonly [string, number]> = [
  ["0.0.0.0", 8], // "this network"; 0.0.0.0 reaches localhost on Linux
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // shared address space (CGNAT)
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, cloud metadata
  ["172.16.0.0", 12],
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.88.99.0", 24], // 6to4 relay anycast
  ["192.168.0.0", 16],
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and broadcast
];

const V4_RANGES = V4_BLOCKED.map(([base, bits]) => {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { net: ((parseIpv4(base) ?? 0) & mask) >>> 0, mask };
});

function isBlockedIpv4(n: number): boolean {
  return V4_RANGES.some((r) => (n & r.mask) >>> 0 === r.net);
}

function isBlockedIpv6(g: readonly number[]): boolean {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const embedded = ((g6 << 16) >>> 0) + g7;
  const firstFiveZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (firstFiveZero && g5 === 0) {
    // :: and ::1, and the deprecated IPv4-compatible ::a.b.c.d
    return g6 === 0 ? true : isBlockedIpv4(embedded);
  }
  if (firstFiveZero && g5 === 0xffff) return isBlockedIpv4(embedded); // ::ffff:a.b.c.d
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0xffff && g5 === 0) return isBlockedIpv4(embedded); // SIIT ::ffff:0:a.b.c.d
  if (g0 === 0x64 && g1 === 0xff9b) return isBlockedIpv4(embedded); // NAT64 64:ff9b::/96 and 64:ff9b:1::/48
  if (g0 === 0x2002) return isBlockedIpv4(((g1 << 16) >>> 0) + g2); // 6to4 carries the IPv4 in groups 1-2
  if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) return true; // discard-only 100::/64
  if (g0 === 0x2001 && g1 === 0xdb8) return true; // documentation
  if (g0 === 0x2001 && g1 < 0x200) return true; // IETF protocol assignments incl. Teredo and ORCHID
  if ((g0 & 0xfe00) === 0xfc00) return true; // unique local fc00::/7
  if ((g0 & 0xffc0) === 0xfe80) return true; // link-local fe80::/10
  if ((g0 & 0xffc0) === 0xfec0) return true; // site-local fec0::/10 (deprecated, still routed in places)
  if ((g0 & 0xff00) === 0xff00) return true; // multicast
  return false;
}

export type AddressVerdict = "public" | "private" | "invalid";

/**
 * Classifies an IP address literal (IPv6 with or without brackets or zone).
 * Anything that is not a well-formed IPv4 or IPv6 address is `invalid`.
 */
export function classifyAddress(address: string): AddressVerdict {
  const a = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  const v4 = parseIpv4(a);
  if (v4 !== undefined) return isBlockedIpv4(v4) ? "private" : "public";
  if (!a.includes(":")) return "invalid";
  const v6 = parseIpv6(a);
  if (!v6) return "invalid";
  return isBlockedIpv6(v6) ? "private" : "public";
}

/** True when the bridge must not connect to `address` (invalid addresses included). */
export function isPrivateAddress(address: string): boolean {
  return classifyAddress(address) !== "public";
}
