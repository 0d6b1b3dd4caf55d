/**
 * A part that a part built before it calls: one of the engine's few genuine
 * cycles, made explicit. The earlier part gets the LateBound and calls
 * through `get`; the later part is `set` as soon as it is built. Nothing is
 * called during construction, so a `get` before the `set` is a wiring bug,
 * and says so.
 */
export class LateBound<T> {
  private readonly name: string;
  private value: T | undefined;

  /** `name`: what is bound, for the error of a call too early. */
  constructor(name: string) {
    this.name = name;
  }

  set(value: T): void {
    if (this.value !== undefined) throw new Error(`${this.name} is already bound`);
    this.value = value;
  }

  get(): T {
    if (this.value === undefined) throw new Error(`${this.name} is used before it is built`);
    return this.value;
  }
}
