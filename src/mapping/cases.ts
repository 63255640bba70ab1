import { dirname, basename, resolve } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { isHubError } from '../errors/hub-error';
import { LocatedError, LocatedErrors } from '../errors/located-error';
import { kindOf } from '../errors/codes';
import { createAjv } from '../json/ajv';
import { formatDiff, jsonDiff } from '../json/json-diff';
import { schemaErrorsToLocated } from '../json/schema-errors';
import { buildCasesSchema } from './mapping-schema';
import { readLocated, type MappingSet } from './mapping-set';
import { withEnrichment } from './enrichment-input';

/** One example of a mapping: an input and what it must give. */
export interface MappingCase {
  name: string;
  input?: unknown;
  inputFile?: string;
  /** What the connector's enrichment step fetched (a file): put beside the input as in the pipeline. */
  enrichmentFile?: string;
  expect?: unknown;
  expectError?: string;
  expectDropped?: true;
}

export interface CasesFile {
  file: string;
  mapping: string;
  cases: MappingCase[];
}

export interface CaseOutcome {
  file: string;
  mapping: string;
  name: string;
  passed: boolean;
  /** Why it failed: diff lines, or the unexpected error. */
  problems: string[];
}

let validator: ValidateFunction | undefined;

export function isCasesFile(path: string): boolean {
  return basename(path).endsWith('.cases.json');
}

/** Reads and validates a cases file; throws LocatedErrors. */
export function readCasesFile(file: string): CasesFile {
  const doc = readLocated(file);
  validator ??= createAjv().compile(buildCasesSchema());
  if (!validator(doc.value)) throw new LocatedErrors(schemaErrorsToLocated(validator.errors ?? [], doc));
  const value = doc.value as { mapping?: string; cases: MappingCase[] };
  const problems: LocatedError[] = [];
  value.cases.forEach((c, i) => {
    if ((c.input === undefined) === (c.inputFile === undefined)) {
      const pointer = `/cases/${i}`;
      problems.push(
        new LocatedError('SCHEMA_INVALID', kindOf('SCHEMA_INVALID'), 'a case needs exactly one of "input" and "inputFile"', {
          file,
          pointer,
          ...doc.locate(pointer),
        }),
      );
    }
  });
  if (problems.length > 0) throw new LocatedErrors(problems);
  return { file, mapping: value.mapping ?? basename(file).replace(/\.cases\.json$/, ''), cases: value.cases };
}

/** Runs one case against its mapping (taken from `set`). Never throws for a failing case. */
export async function runCase(casesFile: CasesFile, c: MappingCase, set: MappingSet): Promise<CaseOutcome> {
  const outcome = (passed: boolean, problems: string[] = []): CaseOutcome => ({
    file: casesFile.file,
    mapping: casesFile.mapping,
    name: c.name,
    passed,
    problems,
  });
  let input = c.input;
  if (c.inputFile !== undefined) {
    try {
      input = readLocated(resolve(dirname(casesFile.file), c.inputFile)).value;
    } catch (e) {
      return outcome(false, describeError(e));
    }
  }
  if (c.enrichmentFile !== undefined) {
    try {
      input = withEnrichment(input, readLocated(resolve(dirname(casesFile.file), c.enrichmentFile)).value);
    } catch (e) {
      return outcome(false, describeError(e));
    }
  }
  let mapping;
  try {
    mapping = set.get(casesFile.mapping);
  } catch (e) {
    // A mapping that does not compile fails every case, whatever error code the case expects.
    return outcome(false, ['the mapping does not compile:', ...describeError(e)]);
  }
  let result;
  try {
    result = await mapping.run(input);
  } catch (e) {
    if (c.expectError !== undefined && isHubError(e) && e.code === c.expectError) return outcome(true);
    const got = isHubError(e) ? `error ${e.code}` : 'an unexpected error';
    return outcome(false, [`expected ${expectation(c)}, got ${got}:`, ...describeError(e)]);
  }
  if (result.dropped) {
    return c.expectDropped ? outcome(true) : outcome(false, [`expected ${expectation(c)}, but the event was dropped (${result.reason})`]);
  }
  if (c.expect === undefined) return outcome(false, [`expected ${expectation(c)}, got output ${JSON.stringify(result.output)}`]);
  const diffs = jsonDiff(c.expect, result.output);
  return diffs.length === 0 ? outcome(true) : outcome(false, formatDiff(diffs));
}

function expectation(c: MappingCase): string {
  if (c.expectError !== undefined) return `error ${c.expectError}`;
  if (c.expectDropped) return 'a drop';
  return 'output';
}

function describeError(e: unknown): string[] {
  if (e instanceof LocatedErrors) return e.errors.map((x) => x.toLine());
  if (e instanceof LocatedError) return [e.toLine()];
  return [e instanceof Error ? e.message : String(e)];
}
