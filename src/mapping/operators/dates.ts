import { DateTime, IANAZone } from 'luxon';
import type { Evaluator, Scope } from '../scope';
import { isoFromMillis } from '../iso-date';
import { NODE, type OperatorDef } from './operator';
import { describe, fail, parseNumber } from './support';

const UNITS = ['years', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds'] as const;
const MAX_MS = 8.64e15;

type From = 'auto' | 'unix' | 'unix_ms' | 'iso';
type To = 'iso' | 'date' | 'unix' | 'unix_ms';

/**
 * `$date` reads unix seconds, unix milliseconds or ISO 8601 and writes ISO 8601 (UTC or a zone's
 * offset), a calendar date, unix seconds/ms or a luxon format, optionally after adding calendar
 * intervals in a time zone (Jan 31 + 1 month = Feb 28/29, DST-aware in that zone).
 */
export const dateOperators: OperatorDef[] = [
  {
    name: '$date',
    group: 'dates',
    summary: 'Converts and shifts dates: unix s/ms ↔ ISO 8601, time zones, adding intervals, start of a period.',
    arg: NODE,
    params: {
      from: {
        schema: { enum: ['auto', 'unix', 'unix_ms', 'iso'] },
        description: 'Input form; auto (default): numbers are unix seconds, strings ISO 8601.',
      },
      to: { schema: { enum: ['iso', 'date', 'unix', 'unix_ms'] }, description: 'Output form (default iso).' },
      format: { schema: { type: 'string', minLength: 1 }, description: 'A luxon format such as "yyyy-MM-dd HH:mm:ss" (overrides "to").' },
      tz: {
        schema: { type: 'string', minLength: 1 },
        description: 'IANA time zone for output, zone-less input and calendar arithmetic (default UTC).',
      },
      add: {
        schema: {
          type: 'object',
          properties: Object.fromEntries(UNITS.map((u) => [u, NODE])),
          additionalProperties: false,
          minProperties: 1,
        },
        description: 'Intervals to add, e.g. {"months": {"$path": "plan.interval_count"}}; negative values subtract.',
      },
      startOf: { schema: { enum: ['day', 'week', 'month', 'year'] }, description: 'Truncate to the start of this period (after adding).' },
    },
    compile: (n, cc) => {
      const from = (n.params.from as From | undefined) ?? 'auto';
      const to = (n.params.to as To | undefined) ?? 'iso';
      const format = n.params.format as string | undefined;
      const tz = (n.params.tz as string | undefined) ?? 'UTC';
      const startOf = n.params.startOf as 'day' | 'week' | 'month' | 'year' | undefined;
      if (tz !== 'UTC' && !IANAZone.isValidZone(tz)) {
        cc.error(
          'MAPPING_BAD_ARGUMENT',
          cc.child(n.pointer, 'tz'),
          `unknown time zone "${tz}"`,
          'use an IANA name such as Europe/Amsterdam or UTC',
        );
      }
      const addSpec = (n.params.add as Record<string, unknown> | undefined) ?? {};
      const adds: Array<[string, Evaluator]> = Object.keys(addSpec).map((u) => [u, cc.node(addSpec[u], cc.child(n.pointer, 'add', u))]);
      const ev = cc.node(n.arg, n.argPointer);
      const simple = to === 'iso' && tz === 'UTC' && !format && adds.length === 0 && !startOf && from !== 'iso';

      const toMillis = (v: unknown): number => {
        let x: number;
        if (typeof v === 'number') x = v;
        else if (typeof v === 'string' && (from === 'unix' || from === 'unix_ms')) x = parseNumber(n.info, v, ev);
        else return NaN;
        const ms = from === 'unix_ms' ? x : x * 1000;
        if (!Number.isFinite(ms) || Math.abs(ms) > MAX_MS)
          fail(n.info, 'MAPPING_DATE_INVALID', `${describe(v)} is not a valid timestamp`, ev);
        return ms;
      };

      const parse = (v: unknown): DateTime => {
        if (typeof v === 'string' && (from === 'iso' || from === 'auto')) {
          const dt = DateTime.fromISO(v, { zone: tz, locale: 'en-US' });
          if (!dt.isValid)
            fail(n.info, 'MAPPING_DATE_INVALID', `${describe(v)} is not ISO 8601 (${dt.invalidExplanation ?? dt.invalidReason})`, ev);
          return dt;
        }
        if (typeof v === 'number' && from === 'iso') fail(n.info, 'MAPPING_TYPE', `expected an ISO 8601 string, got ${describe(v)}`, ev);
        const ms = toMillis(v);
        if (Number.isNaN(ms)) fail(n.info, 'MAPPING_TYPE', `expected a date, got ${describe(v)}`, ev);
        return DateTime.fromMillis(ms, { zone: tz, locale: 'en-US' });
      };

      const shift = (dt: DateTime, s: Scope): DateTime => {
        if (adds.length === 0) return dt;
        const dur: Record<string, number> = {};
        for (const [unit, uev] of adds) {
          const raw = uev(s);
          if (raw === undefined || raw === null) continue;
          const x = typeof raw === 'string' ? parseNumber(n.info, raw, uev) : raw;
          if (typeof x !== 'number' || !Number.isSafeInteger(x))
            fail(n.info, 'MAPPING_NUMBER_INVALID', `add.${unit} must be an integer, got ${describe(raw)}`, uev);
          dur[unit] = x as number;
        }
        return dt.plus(dur);
      };

      return (s) => {
        const v = ev(s);
        if (v === undefined || v === null) return v;
        if (simple && typeof v === 'number') return isoFromMillis(toMillis(v));
        let dt = shift(parse(v), s);
        if (startOf) dt = dt.startOf(startOf);
        if (!dt.isValid) return fail(n.info, 'MAPPING_DATE_INVALID', `date out of range after arithmetic`, ev);
        if (format) return dt.toFormat(format);
        switch (to) {
          case 'iso':
            return tz === 'UTC' ? dt.toUTC().toISO() : dt.toISO();
          case 'date':
            return dt.toISODate();
          case 'unix':
            return Math.floor(dt.toMillis() / 1000);
          case 'unix_ms':
            return dt.toMillis();
        }
      };
    },
  },
];
