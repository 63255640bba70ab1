/** SUBHUB_BACKENDS: which storage backends the contract files run (test/contract/backends.ts). */
import { BACKENDS, backendSelected, selectedBackends } from './backends';

describe('SUBHUB_BACKENDS selects the contract backends', () => {
  it('unset or blank: every backend', () => {
    expect(selectedBackends({})).toEqual([...BACKENDS]);
    expect(selectedBackends({ SUBHUB_BACKENDS: '  ' })).toEqual(['sqlite', 'postgres']);
  });

  it('a list selects those backends only (order, case and spaces do not matter)', () => {
    expect(selectedBackends({ SUBHUB_BACKENDS: 'sqlite' })).toEqual(['sqlite']);
    expect(selectedBackends({ SUBHUB_BACKENDS: ' Postgres , sqlite ' })).toEqual(['sqlite', 'postgres']);
    expect(backendSelected('postgres', { SUBHUB_BACKENDS: 'sqlite' })).toBe(false);
    expect(backendSelected('sqlite', { SUBHUB_BACKENDS: 'sqlite' })).toBe(true);
  });

  it('an unknown name throws, naming it and the known backends', () => {
    expect(() => selectedBackends({ SUBHUB_BACKENDS: 'sqlite,postgress' })).toThrow(
      'SUBHUB_BACKENDS="sqlite,postgress" names unknown backend(s) "postgress"; use a comma-separated list of sqlite, postgres (unset: all)',
    );
    expect(() => backendSelected('sqlite', { SUBHUB_BACKENDS: 'kafka' })).toThrow(/unknown backend\(s\) "kafka"/);
  });

  it('an empty entry throws (a stray comma is a typo, not "all")', () => {
    expect(() => selectedBackends({ SUBHUB_BACKENDS: 'sqlite,' })).toThrow(/an empty entry/);
  });
});
