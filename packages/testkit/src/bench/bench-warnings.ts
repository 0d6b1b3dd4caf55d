/**
 * What the bridge of a bench logs at warn and above, as the `write` of its
 * logger: counted and shown as progress (the first `shown`, each after
 * `prefix`), lines the bench expects (`expected`) neither; after the run,
 * `report` says how many there were.
 */
import { progress } from "./bench-run.ts";

export interface BenchWarningsOptions {
  /** How many lines to show (default all). */
  readonly shown?: number;
  readonly prefix?: string;
  /** Lines the bench expects: neither counted nor shown. */
  readonly expected?: (line: string) => boolean;
}

export class BenchWarnings {
  count = 0;
  private readonly o: BenchWarningsOptions;

  /** By default every line is shown as it is. */
  constructor(o: BenchWarningsOptions = {}) {
    this.o = o;
  }

  readonly write = (line: string): void => {
    if (this.o.expected?.(line)) return;
    this.count++;
    if (this.count <= (this.o.shown ?? Number.POSITIVE_INFINITY)) progress(`${this.o.prefix ?? ""}${line}`);
  };

  /** "the bridge logged N warnings (above)" (`what` names them), when there were any. */
  report(what = "warnings"): void {
    if (this.count > 0) progress(`the bridge logged ${this.count} ${what} (above)`);
  }
}
