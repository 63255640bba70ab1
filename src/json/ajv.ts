import Ajv, { type Options } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * The one way subhub builds validators: strict mode (unknown keywords and sloppy schemas are
 * errors), all errors reported, and the standard formats. `useDefaults` fills in defaults on
 * validated config.
 */
export function createAjv(options: Options = {}): Ajv {
  const ajv = new Ajv({ strict: true, allErrors: true, verbose: true, ...options });
  addFormats(ajv);
  return ajv;
}
