/**
 * A logger for a bridge under test: what it says at warn and above is kept
 * for the test to check ("never crashes, says why"), and PARLEY_TEST_LOG=info
 * or debug also prints its lines to stderr. It has the shape of
 * @parley/bridge's Logger, written out here so the testkit needs no bridge.
 */

export type TestLogFields = Readonly<Record<string, unknown>>;

type LogLine = (msg: string, fields?: TestLogFields) => void;

export type TestLogger = Record<"debug" | "info" | "warn" | "error", LogLine> & {
  child(fields: TestLogFields): TestLogger;
};

/** Pushes `level message {fields}` lines at warn and error onto `warnings`. */
export function recordingLogger(warnings: string[]): TestLogger {
  const shown = process.env.PARLEY_TEST_LOG;
  const write = (level: string, msg: string, fields: TestLogFields) => {
    const line = `${level} ${msg}${Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : ""}`;
    if (level === "warn" || level === "error") warnings.push(line);
    if (shown === "debug" || (shown === "info" && level !== "debug")) process.stderr.write(`${line}\n`);
  };
  const make = (base: TestLogFields): TestLogger => ({
    debug: (m, f) => write("debug", m, { ...base, ...f }),
    info: (m, f) => write("info", m, { ...base, ...f }),
    warn: (m, f) => write("warn", m, { ...base, ...f }),
    error: (m, f) => write("error", m, { ...base, ...f }),
    child: (f) => make({ ...base, ...f }),
  });
  return make({});
}
