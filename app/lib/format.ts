/** Times shown to people and in email: Eastern time, as the program's help desk works. */
export function formatTime(d: Date | string | number): string {
  return (
    new Date(d).toLocaleString("en-US", { timeZone: "America/New_York", dateStyle: "medium", timeStyle: "short" }) +
    " ET"
  );
}

/** Today's date in Eastern time as yyyy-mm-dd: the day request dates are checked against. */
export function todayEastern(now: Date): string {
  return now.toLocaleDateString("en-CA", { timeZone: "America/New_York" });
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
    const clock = candidate.toLocaleTimeString("en-GB", { timeZone: "America/New_York", hourCycle: "h23" });
    if (todayEastern(candidate) === isoDate && clock.startsWith("00:00")) return candidate;
  }
  throw new RangeError(`Not a calendar date: ${isoDate}`);
}
