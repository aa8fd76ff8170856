/**
 * `npm run mail:test [address]`: asks the running dev server (npm run dev) to
 * queue a test email, as the button on /_dev/mailbox does. The mailbox answers
 * only in development (`wrangler dev --env dev`) and only on localhost, so
 * PORTAL_ORIGIN must be a loopback address too.
 */
const origin = process.env.PORTAL_ORIGIN ?? "http://localhost:8787";
const to = process.argv[2] ?? "developer@secure-portal.localhost";

const response = await fetch(`${origin}/_dev/mailbox/test`, {
  method: "POST",
  redirect: "manual",
  headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: origin },
  body: new URLSearchParams({ to }).toString(),
});
if (response.status !== 303) {
  console.error(`The dev server at ${origin} answered ${response.status}. Is \`npm run dev\` running?`);
  process.exit(1);
}
console.log(`Queued a test email to ${to}. Read it at ${origin}/_dev/mailbox`);

export {};
