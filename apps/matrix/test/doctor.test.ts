/**
 * The Matrix side of `parley doctor` against a real Synapse that loaded the
 * bridge's registration: a good setup passes (the ping answered by the
 * doctor's brief listener, or by a bridge already running), and a wrong
 * as_token, hs_token, application-service id or url each fail with the fix;
 * a homeserver that is down fails first of all.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { type DoctorCheck, loadConfig, silentLogger } from "@parley/bridge";
import { freePort, type Synapse, startSynapse } from "@parley/testkit";
import { startAppserviceServer } from "../src/appservice-server.ts";
import { diagnose } from "../src/doctor.ts";
import { buildRegistration, type MatrixOptions } from "../src/index.ts";

const config = loadConfig({ text: "xmpp: { domain: matrix.parley.test, secret: s }\nconnectors: { matrix: {} }" });

const run = (options: MatrixOptions): Promise<DoctorCheck[]> =>
  diagnose(options, { logger: silentLogger, config, channels: [] });

function about(checks: readonly DoctorCheck[], subject: string): DoctorCheck {
  const c = checks.find((x) => x.subject === subject);
  assert.ok(c, `no check about ${subject} in ${JSON.stringify(checks, null, 2)}`);
  return c;
}

/** Whether nothing listens on the port any more (the doctor's listener is gone). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

describe("parley doctor for Matrix, against Synapse with the bridge's registration", () => {
  let synapse: Synapse;
  let options: MatrixOptions;

  before(async () => {
    const port = await freePort();
    options = {
      homeserverUrl: "http://127.0.0.1:1", // set once Synapse listens
      serverName: "localhost",
      asToken: `as-${randomBytes(16).toString("hex")}`,
      hsToken: `hs-${randomBytes(16).toString("hex")}`,
      appserviceId: "parley-doctor",
      listen: { host: "127.0.0.1", port },
      userPrefix: "_xmpp_",
      aliasPrefix: "_xmpp_",
      botLocalpart: "xmppbridge",
    };
    synapse = await startSynapse({ appservices: [buildRegistration(options)] });
    options = { ...options, homeserverUrl: synapse.url };
  });
  after(async () => {
    await synapse?.stop();
  });

  it("passes: the homeserver, the registration, the bot user, and the ping answered by the doctor's brief listener", async () => {
    const checks = await run(options);
    assert.deepEqual(
      checks.map((c) => [c.subject, c.status]),
      [
        ["Matrix homeserver", "ok"],
        ["Matrix registration", "ok"],
        ["Matrix bot user", "ok"],
        ["Matrix application-service ping", "ok"],
      ],
      JSON.stringify(checks, null, 2),
    );
    assert.match(about(checks, "Matrix bot user").finding, /@xmppbridge:localhost exists/);
    assert.match(
      about(checks, "Matrix application-service ping").finding,
      /answered by parley doctor, listening briefly/,
    );
    assert.ok(await portFree(options.listen.port), "the doctor's listener is closed again");
  });

  it("passes the ping answered by a bridge already listening", async () => {
    const bridge = await startAppserviceServer({
      host: "127.0.0.1",
      port: options.listen.port,
      hsToken: options.hsToken,
      logger: silentLogger,
      handlers: { transaction: async () => {}, queryUser: async () => false, queryAlias: async () => false },
    });
    try {
      const ping = about(await run(options), "Matrix application-service ping");
      assert.equal(ping.status, "ok");
      assert.match(ping.finding, /answered by what already listens/);
    } finally {
      await bridge.close();
    }
  });

  it("fails a wrong as_token: the registration is not loaded, or its token is another", async () => {
    const checks = await run({ ...options, asToken: "as-not-the-registrations" });
    const registration = about(checks, "Matrix registration");
    assert.equal(registration.status, "fail");
    assert.match(registration.finding, /does not know connectors\.matrix\.asToken \(M_UNKNOWN_TOKEN\)/);
    assert.match(registration.fix ?? "", /app_service_config_files/);
    assert.ok(!checks.some((c) => c.subject === "Matrix application-service ping"), "no ping without the token");
  });

  it("fails a wrong hs_token, as the application service refuses the homeserver's", async () => {
    const ping = about(
      await run({ ...options, hsToken: "hs-not-the-registrations" }),
      "Matrix application-service ping",
    );
    assert.equal(ping.status, "fail");
    assert.match(ping.finding, /refused the homeserver's hs_token \(403\)/);
    assert.match(ping.fix ?? "", /connectors\.matrix\.hsToken/);
  });

  it("fails when the registration's url does not lead to where the bridge listens", async () => {
    const elsewhere = await freePort();
    const ping = about(
      await run({ ...options, listen: { host: "127.0.0.1", port: elsewhere } }),
      "Matrix application-service ping",
    );
    assert.equal(ping.status, "fail");
    assert.match(
      ping.finding,
      /could not reach the application service at the registration's url \(502 M_CONNECTION_FAILED/,
    );
    assert.match(ping.fix ?? "", new RegExp(`lead to 127\\.0\\.0\\.1:${elsewhere}`));
  });

  it("fails an application-service id that is not the registration's", async () => {
    const ping = about(await run({ ...options, appserviceId: "someone-else" }), "Matrix application-service ping");
    assert.equal(ping.status, "fail");
    assert.match(ping.finding, /appserviceId is not the id of the registration/);
  });
});

describe("parley doctor for Matrix, with the homeserver down", () => {
  it("fails the homeserver and checks nothing after it", async () => {
    const port = await freePort();
    const checks = await run({
      homeserverUrl: `http://127.0.0.1:${port}`,
      serverName: "localhost",
      asToken: "as-0123456789",
      hsToken: "hs-0123456789",
      appserviceId: "parley",
      listen: { host: "127.0.0.1", port: await freePort() },
      userPrefix: "_xmpp_",
      aliasPrefix: "_xmpp_",
      botLocalpart: "xmppbridge",
    });
    assert.equal(checks.length, 1);
    const [home] = checks;
    assert.equal(home?.status, "fail");
    assert.match(home?.finding ?? "", new RegExp(`cannot be reached at http://127\\.0\\.0\\.1:${port}`));
    assert.match(home?.fix ?? "", /start the homeserver, or set connectors\.matrix\.homeserverUrl/);
  });
});
