/**
 * Questions at a terminal: a line read per question, the default taken on an
 * empty answer, and the question asked again after a bad answer. Lines that
 * arrive before their question is asked are kept (a pasted block of answers,
 * or a test's stream), and the end of input stops init with a clear error.
 */
import { createInterface, type Interface } from "node:readline";

export class PromptClosedError extends Error {
  constructor(question: string) {
    super(`the input ended before "${question}" was answered`);
    this.name = "PromptClosedError";
  }
}

export class Prompter {
  private readonly lines: string[] = [];
  private readonly waiting: Array<(line: string | undefined) => void> = [];
  private ended = false;
  private readonly reader: Interface;
  private readonly output: NodeJS.WritableStream;

  constructor(input: NodeJS.ReadableStream, output: NodeJS.WritableStream) {
    this.output = output;
    this.reader = createInterface({ input, terminal: false });
    this.reader.on("line", (line) => {
      const next = this.waiting.shift();
      if (next) next(line);
      else this.lines.push(line);
    });
    this.reader.on("close", () => {
      this.ended = true;
      for (const next of this.waiting.splice(0)) next(undefined);
    });
  }

  private nextLine(): Promise<string | undefined> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /**
   * Asks until `check` passes; an empty answer takes `fallback` when there is
   * one. `check` returns what is wrong, or undefined.
   */
  async ask(
    question: string,
    fallback: string | undefined,
    check: (value: string) => string | undefined,
  ): Promise<string> {
    for (;;) {
      this.output.write(fallback === undefined || fallback === "" ? `${question}: ` : `${question} [${fallback}]: `);
      const line = await this.nextLine();
      if (line === undefined) throw new PromptClosedError(question);
      const value = line.trim() === "" ? (fallback ?? "") : line.trim();
      const problem = check(value);
      if (problem === undefined) return value;
      this.output.write(`  that ${problem}\n`);
    }
  }

  close(): void {
    this.reader.close();
  }
}
