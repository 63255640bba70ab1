// Numbers in the operator's locale, times in the business's time zone (the hub's admin.console settings).
let locale;
let timeZone;
let numbers;
let dateTimes;
let dates;

export function setFormats(session) {
  locale = session.locale || navigator.language || 'en';
  timeZone = session.timeZone || undefined;
  numbers = new Intl.NumberFormat(locale);
  dateTimes = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium', timeZone });
  dates = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
}

export const zone = () => timeZone;

export function num(n) {
  return typeof n === 'number' && Number.isFinite(n) ? numbers.format(n) : '–';
}

export function money(minor, currency = 'EUR') {
  if (typeof minor !== 'number') return '–';
  return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(minor / 100);
}

/** A moment (epoch ms or ISO text) in the business's time zone. */
export function time(t) {
  if (t === undefined || t === null || t === '') return '–';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : dateTimes.format(d);
}

/** A calendar date (YYYY-MM-DD), shown as that date whatever the zone. */
export function day(d) {
  if (!d) return '–';
  const x = new Date(`${String(d).slice(0, 10)}T00:00:00Z`);
  return Number.isNaN(x.getTime()) ? String(d) : dates.format(x);
}
