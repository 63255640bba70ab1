import { LocatedError } from '../errors/located-error';
import { kindOf, type ErrorCode } from '../errors/codes';
import { formatLocation, type SourceLocation } from '../errors/source-location';

/**
 * An error raised while compiling (kind `config`) or running (kind `bad_input`) a mapping.
 * Run-time errors name the mapping, the mapping node (pointer, file:line:col) and the input path
 * that failed; the pipeline dead-letters them without retrying.
 */
export class MappingError extends LocatedError {
  readonly mapping: string;
  /** Path into the input that failed, in the mapping path syntax (e.g. `data.object.items.data[2].price.id`). */
  inputPath?: string;
  /** True while `inputPath` is relative to an iteration item; enclosing `$map`s prefix it. */
  inputRelative = false;

  constructor(code: ErrorCode, mapping: string, message: string, location: SourceLocation, hint?: string) {
    super(code, kindOf(code), message, location, hint === undefined ? {} : { hint });
    this.name = 'MappingError';
    this.mapping = mapping;
  }

  override toLine(): string {
    const input = this.inputPath ? ` (input ${this.inputPath})` : '';
    const at = this.location.pointer === '' ? '' : ` at ${this.location.pointer}`;
    const hint = this.hint ? `; hint: ${this.hint}` : '';
    const where = this.location.line === undefined && this.location.file === undefined ? '<mapping>' : formatLocation(this.location);
    return `${where}: mapping ${this.mapping}${at}: ${this.message}${input}${hint} [${this.code}]`;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), mapping: this.mapping, inputPath: this.inputPath };
  }
}
