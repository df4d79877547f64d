import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A secret value that does not print: JSON, string conversion and
 * util.inspect all give "[redacted]". Read it with `reveal()` where it is used.
 * @example const s = new Secret('p@ss'); JSON.stringify({ s }) // '{"s":"[redacted]"}'
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
