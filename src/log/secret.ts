/**
 * A value that must never be printed: passwords, OTPs, tokens. Its JSON and inspect forms
 * are a fixed placeholder, so a Secret that strays into a log line or an error still shows
 * nothing. Reading it takes an explicit `reveal()`.
 */
import { inspect } from 'node:util';

const REDACTED = '[redacted]';

export class Secret<T = Buffer> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  reveal(): T {
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

export { REDACTED };
