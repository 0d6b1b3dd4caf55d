/** Which addresses downloads may reach, and the notice for a file that is too large. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classifyAddress, isPrivateAddress } from "../src/media/address-policy.ts";
import { formatSize, tooLargeNotice } from "../src/media/too-large-notice.ts";

describe("address policy", () => {
  it("refuses loopback, private, link-local, reserved and wrapped IPv4 addresses", () => {
    for (const a of [
      "127.0.0.1",
      "127.255.255.254",
      "0.0.0.0",
      "10.0.0.1",
      "10.255.255.255",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "198.18.0.1",
      "224.0.0.1",
      "255.255.255.255",
      "192.0.2.10",
      "::1",
      "[::1]",
      "::",
      "0:0:0:0:0:0:0:1",
      "::ffff:127.0.0.1",
      "::FFFF:7f00:1",
      "::ffff:10.1.2.3",
      "::127.0.0.1",
      "64:ff9b::a9fe:a9fe",
      "2002:7f00:1::",
      "fe80::1%eth0",
      "fc00::1",
      "fd12:3456::1",
      "fec0::1",
      "ff02::1",
      "2001:db8::1",
    ]) {
      assert.equal(isPrivateAddress(a), true, a);
      assert.equal(classifyAddress(a), "private", a);
    }
  });

  it("allows public addresses", () => {
    for (const a of [
      "93.184.216.34",
      "1.1.1.1",
      "172.32.0.1",
      "172.15.255.255",
      "100.128.0.1",
      "2606:4700:4700::1111",
      "::ffff:93.184.216.34",
      "2a00:1450:4007:80e::200e",
      "64:ff9b::5db8:d822",
      "2002:5db8:d822::1",
    ]) {
      assert.equal(classifyAddress(a), "public", a);
    }
  });

  it("treats anything that is not an address literal as not allowed", () => {
    for (const a of [
      "",
      "localhost",
      "127.1",
      "0x7f.0.0.1",
      "0177.0.0.1",
      "1.2.3.4.5",
      "1:2:3:4:5:6:7:8:9",
      ":::1",
      "1::2::3",
      "::ffff:1.2.3",
      "12345::",
    ]) {
      assert.equal(classifyAddress(a), "invalid", a);
      assert.equal(isPrivateAddress(a), true, a);
    }
  });
});

describe("too-large notice", () => {
  it("says which file, how large, and the limit", () => {
    assert.equal(
      tooLargeNotice({ filename: "cat.mp4", size: 32_715_571, limit: 25 * 1024 * 1024 }),
      '[file "cat.mp4" (31.2 MB) not bridged: larger than the 25 MB limit]',
    );
    assert.equal(tooLargeNotice({ limit: 8 * 1024 * 1024 }), "[a file not bridged: larger than the 8 MB limit]");
    assert.equal(
      tooLargeNotice({ filename: "../x\n.zip", size: 2048, limit: 1000 }),
      '[file "x.zip" (2 KB) not bridged: larger than the 1000 B limit]',
    );
    const long = tooLargeNotice({ filename: `${"a".repeat(200)}.bin`, limit: 1 });
    assert.equal(long, `[file "${"a".repeat(75)}….bin" not bridged: larger than the 1 B limit]`);
  });

  it("formats sizes in binary units with one decimal at most", () => {
    assert.equal(formatSize(0), "0 B");
    assert.equal(formatSize(1023), "1023 B");
    assert.equal(formatSize(1536), "1.5 KB");
    assert.equal(formatSize(1024 ** 3 * 2), "2 GB");
    assert.equal(formatSize(Number.NaN), "? B");
  });
});
