/*
 * One formatter each, made once: `toLocaleString` with a time zone builds a new
 * formatter (time-zone and locale data) on every call, which was a measurable
 * part of every signed-in request (the session reads "today" three times).
 */
const EASTERN = "America/New_York";
const TIME = new Intl.DateTimeFormat("en-US", { timeZone: EASTERN, dateStyle: "medium", timeStyle: "short" });
const DAY = new Intl.DateTimeFormat("en-CA", { timeZone: EASTERN, year: "numeric", month: "2-digit", day: "2-digit" });
const CLOCK = new Intl.DateTimeFormat("en-GB", {
  timeZone: EASTERN,
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

/** Times shown to people and in email: Eastern time, as the program's help desk works. */
export function formatTime(d: Date | string | number): string {
  return `${TIME.format(new Date(d))} ET`;
}

/** Today's date in Eastern time as yyyy-mm-dd: the day request dates are checked against. */
export function todayEastern(now: Date): string {
  return DAY.format(now);
}

/** How long ago, in words an approver scans quickly: "just now", "5 hours ago", "3 days ago". */
export function formatAge(then: Date, now: Date): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - then.getTime()) / 60000));
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"} ago`;
  if (minutes < 1) return "just now";
  if (minutes < 60) return plural(minutes, "minute");
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return plural(hours, "hour");
  return plural(Math.floor(hours / 24), "day");
}

/**
 * The instant an Eastern day (yyyy-mm-dd) begins: midnight in New York, which is
 * 04:00 or 05:00 UTC by daylight saving time (the clocks change at 2 a.m., so
 * midnight is never skipped or repeated).
 */
export function startOfEasternDay(isoDate: string): Date {
  const [year, month, day] = isoDate.split("-").map(Number);
  for (const hour of [4, 5]) {
    const candidate = new Date(Date.UTC(year, month - 1, day, hour));
    const clock = CLOCK.format(candidate);
    if (todayEastern(candidate) === isoDate && clock.startsWith("00:00")) return candidate;
  }
  throw new RangeError(`Not a calendar date: ${isoDate}`);
}
