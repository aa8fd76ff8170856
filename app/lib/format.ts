/** Times shown to people and in email: Eastern time, as the program's help desk works. */
export function formatTime(d: Date | string | number): string {
  return (
    new Date(d).toLocaleString("en-US", { timeZone: "America/New_York", dateStyle: "medium", timeStyle: "short" }) +
    " ET"
  );
}
