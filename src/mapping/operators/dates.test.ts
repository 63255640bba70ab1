import { compileErrors, runError, valueOf } from '../../../test/helpers/mapping';

const date = (v: unknown, params: Record<string, unknown> = {}) => valueOf({ $date: { $path: 'v' }, ...params }, { v });

describe('$date: reading and writing forms', () => {
  it('unix seconds → ISO 8601 UTC', () => {
    expect(date(1700000000)).toBe('2023-11-14T22:13:20.000Z');
    expect(date(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(date(-1)).toBe('1969-12-31T23:59:59.000Z');
    expect(date(1700000000.5)).toBe('2023-11-14T22:13:20.500Z');
  });

  it('unix milliseconds → ISO 8601', () => {
    expect(date(1700000000123, { from: 'unix_ms' })).toBe('2023-11-14T22:13:20.123Z');
    expect(date('1700000000123', { from: 'unix_ms' })).toBe('2023-11-14T22:13:20.123Z');
    expect(date('1700000000', { from: 'unix' })).toBe('2023-11-14T22:13:20.000Z');
  });

  it('ISO 8601 → unix seconds, unix ms, calendar date', () => {
    expect(date('2024-01-01T00:00:00+01:00', { to: 'unix' })).toBe(1704063600);
    expect(date('2024-01-01T00:00:00.999Z', { to: 'unix' })).toBe(1704067200);
    expect(date('2024-01-01T00:00:00+01:00', { to: 'unix_ms' })).toBe(1704063600000);
    expect(date('2024-01-01T00:30:00+01:00', { to: 'date' })).toBe('2023-12-31');
    expect(date(1700000000, { to: 'unix_ms' })).toBe(1700000000000);
  });

  it('ISO with an offset is normalised to UTC by default', () => {
    expect(date('2024-06-01T12:00:00+02:00')).toBe('2024-06-01T10:00:00.000Z');
    expect(date('2024-06-01')).toBe('2024-06-01T00:00:00.000Z');
  });

  it.each<[string, Record<string, unknown>]>([
    ['in UTC', {}],
    ['in a zone', { tz: 'Europe/Berlin' }],
    ['as a date', { to: 'date' }],
  ])('from "iso" refuses a number (%s)', (_what, params) => {
    const e = runError({ $date: { $path: 'ts' }, from: 'iso', ...params }, { ts: 5 });
    expect(e.code).toBe('MAPPING_TYPE');
    expect(e.inputPath).toBe('ts');
  });

  it('from "unix" and "unix_ms" refuse an ISO string', () => {
    expect(runError({ $date: { $path: 'ts' }, from: 'unix' }, { ts: '2024-01-01' }).code).toBe('MAPPING_NUMBER_INVALID');
    expect(runError({ $date: { $path: 'ts' }, from: 'unix_ms', tz: 'UTC' }, { ts: '2024-01-01T00:00:00Z' }).code).toBe(
      'MAPPING_NUMBER_INVALID',
    );
  });
});

describe('$date: time zones', () => {
  it('writes the zone offset, which changes with DST', () => {
    expect(date(1704067200, { tz: 'Europe/Amsterdam' })).toBe('2024-01-01T01:00:00.000+01:00');
    expect(date(1719792000, { tz: 'Europe/Amsterdam' })).toBe('2024-07-01T02:00:00.000+02:00');
    expect(date(1704067200, { tz: 'America/New_York' })).toBe('2023-12-31T19:00:00.000-05:00');
  });

  it('reads zone-less ISO in the zone', () => {
    expect(date('2024-07-01T12:00:00', { tz: 'Europe/Amsterdam', to: 'unix' })).toBe(1719828000);
    expect(date('2024-01-01T12:00:00', { tz: 'Europe/Amsterdam' })).toBe('2024-01-01T12:00:00.000+01:00');
  });

  it('adding a day across the spring-forward switch keeps the wall-clock time', () => {
    expect(date('2024-03-30T12:00:00Z', { tz: 'Europe/Amsterdam', add: { days: 1 } })).toBe('2024-03-31T13:00:00.000+02:00');
  });

  it('adding a day across the fall-back switch keeps the wall-clock time', () => {
    expect(date('2024-10-26T12:00:00', { tz: 'Europe/Amsterdam', add: { days: 1 } })).toBe('2024-10-27T12:00:00.000+01:00');
  });

  it('adding an hour across the switch adds one real hour', () => {
    expect(date('2024-03-31T00:30:00Z', { tz: 'Europe/Amsterdam', add: { hours: 1 } })).toBe('2024-03-31T03:30:00.000+02:00');
  });

  it('the calendar date depends on the zone', () => {
    expect(date(1704063600, { to: 'date' })).toBe('2023-12-31');
    expect(date(1704063600, { to: 'date', tz: 'Europe/Amsterdam' })).toBe('2024-01-01');
    expect(date(1704063600, { to: 'date', tz: 'America/New_York' })).toBe('2023-12-31');
  });

  it('an unknown time zone is MAPPING_BAD_ARGUMENT at the tz parameter', () => {
    const [e, ...rest] = compileErrors({ output: { at: { $date: { $path: 'x' }, tz: 'Mars/Olympus_Mons' } } });
    expect(rest).toEqual([]);
    expect(e!.code).toBe('MAPPING_BAD_ARGUMENT');
    expect(e!.location.pointer).toBe('/output/at/tz');
  });
});

describe('$date: calendar arithmetic', () => {
  it('Jan 31 + 1 month is the last day of February', () => {
    expect(date('2024-01-31T10:00:00Z', { add: { months: 1 } })).toBe('2024-02-29T10:00:00.000Z');
    expect(date('2023-01-31', { add: { months: 1 }, to: 'date' })).toBe('2023-02-28');
    expect(date('2024-03-31', { add: { months: -1 }, to: 'date' })).toBe('2024-02-29');
  });

  it('adds several units and reads them from the input', () => {
    const node = { $date: { $path: 'start' }, add: { months: { $path: 'plan.interval_count' }, days: 1 }, to: 'date' };
    expect(valueOf(node, { start: '2024-01-15', plan: { interval_count: 3 } })).toBe('2024-04-16');
    expect(valueOf(node, { start: '2024-01-15', plan: { interval_count: '12' } })).toBe('2025-01-16');
    expect(valueOf(node, { start: '2024-01-15', plan: {} })).toBe('2024-01-16');
  });

  it('adds years, weeks, minutes and seconds', () => {
    expect(date('2024-02-29T00:00:00Z', { add: { years: 1 } })).toBe('2025-02-28T00:00:00.000Z');
    expect(date('2024-01-01T00:00:00Z', { add: { weeks: 2, minutes: 90, seconds: -30 } })).toBe('2024-01-15T01:29:30.000Z');
  });

  it('a non-integer amount is MAPPING_NUMBER_INVALID naming its input path', () => {
    const node = { $date: '2024-01-01T00:00:00Z', add: { days: { $path: 'plan.days' } } };
    for (const days of [1.5, 'soon', {}, true]) {
      const e = runError(node, { plan: { days } });
      expect(e.code).toBe('MAPPING_NUMBER_INVALID');
      expect(e.inputPath).toBe('plan.days');
    }
  });

  it('a result out of range is MAPPING_DATE_INVALID', () => {
    expect(runError({ $date: '2024-01-01T00:00:00Z', add: { years: 1e15 } }).code).toBe('MAPPING_DATE_INVALID');
  });

  it('an unknown unit is a schema error', () => {
    expect(compileErrors({ output: { $date: 1, add: { fortnights: 1 } } })[0]!.code).toBe('SCHEMA_INVALID');
  });

  it.each<[string, string]>([
    ['day', '2024-02-15T00:00:00.000Z'],
    ['week', '2024-02-12T00:00:00.000Z'],
    ['month', '2024-02-01T00:00:00.000Z'],
    ['year', '2024-01-01T00:00:00.000Z'],
  ])('startOf %s', (unit, expected) => {
    expect(date('2024-02-15T10:20:30Z', { startOf: unit })).toBe(expected);
  });

  it('startOf works in the zone, after adding', () => {
    expect(date('2024-03-31T10:00:00Z', { tz: 'Europe/Amsterdam', startOf: 'day' })).toBe('2024-03-31T00:00:00.000+01:00');
    expect(date('2024-01-31T10:00:00Z', { add: { months: 1 }, startOf: 'month', to: 'date' })).toBe('2024-02-01');
  });
});

describe('$date: format', () => {
  it('formats with luxon tokens, in the zone', () => {
    expect(date('2024-02-15T10:05:00Z', { format: 'yyyy-MM-dd HH:mm' })).toBe('2024-02-15 10:05');
    expect(date('2024-02-15T10:05:00Z', { format: 'dd LLL yyyy HH:mm ZZ', tz: 'Asia/Tokyo' })).toBe('15 Feb 2024 19:05 +09:00');
    expect(date(1700000000, { format: 'yyyyMMdd' })).toBe('20231114');
  });

  it('format overrides "to"', () => {
    expect(date(1700000000, { format: 'yyyy', to: 'unix' })).toBe('2023');
  });
});

describe('$date: bad input', () => {
  it.each(['nope', '2024-02-30', '2024-13-01', '31/12/2024', ''])('%j is MAPPING_DATE_INVALID', (v) => {
    const e = runError({ $date: { $path: 'data.created' } }, { data: { created: v } });
    expect(e.code).toBe('MAPPING_DATE_INVALID');
    expect(e.kind).toBe('bad_input');
    expect(e.inputPath).toBe('data.created');
  });

  it('a timestamp beyond the Date range is MAPPING_DATE_INVALID', () => {
    expect(runError({ $date: { $path: 't' } }, { t: 1e15 }).code).toBe('MAPPING_DATE_INVALID');
    expect(runError({ $date: { $path: 't' }, from: 'unix_ms' }, { t: 8.64e15 + 1 }).code).toBe('MAPPING_DATE_INVALID');
    expect(runError({ $date: { $path: 't' }, tz: 'Europe/Paris' }, { t: 1e15 }).code).toBe('MAPPING_DATE_INVALID');
  });

  it('a non-numeric unix string is MAPPING_NUMBER_INVALID', () => {
    expect(runError({ $date: { $path: 't' }, from: 'unix' }, { t: 'yesterday' }).code).toBe('MAPPING_NUMBER_INVALID');
  });

  it.each([[true], [{}], [[1]]])('%j is MAPPING_TYPE', (v) => {
    expect(runError({ $date: { $path: 't' } }, { t: v }).code).toBe('MAPPING_TYPE');
  });

  it('passes missing and null through; default and required apply', () => {
    expect(date(undefined)).toBeUndefined();
    expect(date(null)).toBeNull();
    expect(valueOf({ $date: { $path: 'x' }, default: 'never' }, {})).toBe('never');
    const e = runError({ $date: { $path: 'x' }, required: true }, {});
    expect(e.code).toBe('MAPPING_REQUIRED_MISSING');
  });

  it('inside $map the error names the element', () => {
    const e = runError(
      { $map: { $path: 'lines' }, to: { $date: { $path: 'period.start' } } },
      { lines: [{ period: { start: 1 } }, { period: { start: 'bad' } }] },
    );
    expect(e.code).toBe('MAPPING_DATE_INVALID');
    expect(e.inputPath).toBe('lines[1].period.start');
  });
});
