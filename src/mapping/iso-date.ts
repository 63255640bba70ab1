/**
 * Formats epoch milliseconds as `YYYY-MM-DDTHH:mm:ss.sssZ`, the exact output of
 * `Date.prototype.toISOString`, in plain arithmetic. V8's toISOString goes through the runtime
 * and costs about half a microsecond; unix → ISO is in nearly every mapping, so this is the hot
 * path. Years outside 0000–9999 (which toISOString writes in the ±YYYYYY form) fall back to it.
 */
export function isoFromMillis(ms: number): string {
  if (!(ms >= MIN_MS && ms <= MAX_MS)) return new Date(ms).toISOString();
  const t = Math.trunc(ms); // as Date does (TimeClip)
  const days = Math.floor(t / 86_400_000);
  let rem = t - days * 86_400_000;
  const hour = Math.floor(rem / 3_600_000);
  rem -= hour * 3_600_000;
  const minute = Math.floor(rem / 60_000);
  rem -= minute * 60_000;
  const second = Math.floor(rem / 1000);
  const milli = rem - second * 1000;

  // Civil date from days since 1970-01-01 (H. Hinnant's days_from_civil, inverted).
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);

  return `${pad4(year)}-${PAD2[month]}-${PAD2[day]}T${PAD2[hour]}:${PAD2[minute]}:${PAD2[second]}.${PAD3[milli]}Z`;
}

/** 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z */
const MIN_MS = -62_167_219_200_000;
const MAX_MS = 253_402_300_799_999;

const PAD2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

function pad4(n: number): string {
  return n >= 1000 ? String(n) : String(n).padStart(4, '0');
}
