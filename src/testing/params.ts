import type { CallParams } from './types.js';

/**
 * Form or query parameters as Twilio receives them: a name may repeat (the SDK sends each
 * `Details.Fields` item and each `EventTypes` entry as its own field), so every name maps to a list.
 */
export class Params {
  private readonly values: Map<string, string[]>;

  constructor(search: URLSearchParams) {
    this.values = new Map();
    for (const [name, value] of search) {
      const list = this.values.get(name);
      if (list) list.push(value);
      else this.values.set(name, [value]);
    }
  }

  /** The first value of a parameter. */
  get(name: string): string | undefined {
    return this.values.get(name)?.[0];
  }

  /** Every value of a repeated parameter, in the order sent. */
  all(name: string): string[] {
    return [...(this.values.get(name) ?? [])];
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** Merges another set (query string first, then the form body). */
  merge(other: Params): Params {
    const merged = new Params(new URLSearchParams());
    for (const source of [this, other]) {
      for (const [name, list] of source.values) merged.values.set(name, [...(merged.values.get(name) ?? []), ...list]);
    }
    return merged;
  }

  toRecord(): CallParams {
    const record: CallParams = {};
    for (const [name, list] of this.values) record[name] = list.length === 1 ? (list[0] ?? '') : [...list];
    return record;
  }
}
