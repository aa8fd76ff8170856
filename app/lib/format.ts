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
