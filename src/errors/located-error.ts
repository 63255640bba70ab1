import { HubError, type ErrorKind, type HubErrorOptions } from './hub-error';
import { formatLocation, type SourceLocation } from './source-location';

/**
 * An error about a place in a config, mapping or cases file. `toLine()` gives the one-line
 * `file:line:col: message` form that `subhub validate` prints and editors can jump to.
 */
export class LocatedError extends HubError {
  readonly location: SourceLocation;

  constructor(code: string, kind: ErrorKind, message: string, location: SourceLocation, options: HubErrorOptions = {}) {
    super(code, kind, message, options);
    this.name = 'LocatedError';
    this.location = location;
  }

  toLine(): string {
    const at = this.location.pointer === '' ? '' : ` (at ${this.location.pointer})`;
    const hint = this.hint ? `; hint: ${this.hint}` : '';
    return `${formatLocation(this.location)}: ${this.message}${at}${hint} [${this.code}]`;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      kind: this.kind,
      message: this.message,
      hint: this.hint,
      ...this.location,
    };
  }
}

/** Several located problems found in one pass (validation reports them all, not just the first). */
export class LocatedErrors extends HubError {
  readonly errors: LocatedError[];

  constructor(errors: LocatedError[]) {
    const first = errors[0];
    super(first?.code ?? 'UNKNOWN', first?.kind ?? 'config', errors.map((e) => e.toLine()).join('\n'));
    this.name = 'LocatedErrors';
    this.errors = errors;
  }
}
