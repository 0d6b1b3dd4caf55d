/** CPU per message: /proc parsing, finding the server's process, and the meter's accounting. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { describe, it } from "node:test";
import { type CpuClocks, CpuMeter, cpuMsFromStat, findProcess, processCpuMs } from "../src/bench/index.ts";

describe("cpuMsFromStat", () => {
  it("reads utime and stime after a command name with spaces and parentheses", () => {
    const stat = "4401 (lua5.4 (x) y) S 1 2 3 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 309231 3133440 381";
    assert.equal(cpuMsFromStat(stat), 3000);
  });

  it("refuses what is not a stat line", () => {
    assert.equal(cpuMsFromStat("garbage"), undefined);
    assert.equal(cpuMsFromStat("1 (x) S 1 2"), undefined);
    assert.equal(cpuMsFromStat("1 (x) S 1 2 3 0 -1 4194560 100 0 0 0 a b 0 0"), undefined);
  });
});

describe("findProcess and processCpuMs", () => {
  it("find another process by a word of its command line and read its CPU time", async () => {
    const marker = `parley-cpu-${randomBytes(6).toString("hex")}`;
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)", marker], { stdio: "ignore" });
    try {
      await once(child, "spawn");
      // exec replaces the forked process's command line a moment after "spawn"; look until it shows.
      let pid: number | undefined;
      for (let i = 0; i < 200 && pid === undefined; i++) {
        pid = findProcess(marker);
        if (pid === undefined) await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(pid, child.pid);
      const ms = processCpuMs(pid);
      assert.equal(typeof ms, "number");
      assert.ok((ms as number) >= 0);
    } finally {
      child.kill("SIGKILL");
    }
    assert.equal(findProcess(`absent-${randomBytes(6).toString("hex")}`), undefined);
    assert.equal(processCpuMs(undefined), undefined);
  });
});

describe("CpuMeter", () => {
  /** Clocks that advance by what each measured run says it cost. */
  function fakeClocks(server: { ms: number | undefined }) {
    const own = { us: 0 };
    const clocks: CpuClocks = { processUs: () => own.us, serverMs: () => server.ms };
    return { own, clocks };
  }

  it("charges what both processes spent to the messages of the measured runs", async () => {
    const server = { ms: 1000 as number | undefined };
    const { own, clocks } = fakeClocks(server);
    const meter = new CpuMeter(undefined, clocks);
    assert.deepEqual(meter.perMessage(), { processUs: 0, serverUs: 0 });
    const result = await meter.measure(100, async () => {
      own.us += 15_000;
      server.ms = (server.ms as number) + 30;
      return "run 1";
    });
    assert.equal(result, "run 1");
    own.us += 1_000_000; // between runs: not charged
    await meter.measure(300, async () => {
      own.us += 5_000;
      server.ms = (server.ms as number) + 10;
    });
    assert.deepEqual(meter.perMessage(), { processUs: 50, serverUs: 100 });
  });

  it("leaves the server's share unknown once any run could not read it", async () => {
    const server = { ms: 0 as number | undefined };
    const { own, clocks } = fakeClocks(server);
    const meter = new CpuMeter(undefined, clocks);
    await meter.measure(10, async () => {
      own.us += 100;
      server.ms = undefined;
    });
    server.ms = 50;
    await meter.measure(10, async () => {
      server.ms = 60;
    });
    assert.deepEqual(meter.perMessage(), { processUs: 5, serverUs: null });
  });

  it("reads this process's CPU without a server pid", async () => {
    const meter = new CpuMeter(undefined);
    await meter.measure(1, async () => {
      let x = 0;
      for (let i = 0; i < 1e6; i++) x += i;
      return x;
    });
    const cost = meter.perMessage();
    assert.ok(cost.processUs > 0);
    assert.equal(cost.serverUs, null);
  });
});
