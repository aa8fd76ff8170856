import { Hono } from "hono";
import { html, raw } from "hono/html";
import { isDevelopment } from "../../app/.server/env";
import { getMailboxHtml, listMailbox, type MailboxEntry } from "../../app/.server/mail/mailbox";
import { sendThroughOutbox } from "../../app/.server/mail/outbox";
import { escapeHtml } from "../../app/.server/mail/templates";
import type { AppEnv } from "../types";

const DEFAULT_TEST_RECIPIENT = "developer@secure-portal.localhost";

/** Turns URLs in an escaped text body into links a developer can click. */
function linkify(text: string): string {
  return escapeHtml(text).replace(/https?:\/\/[^\s<]+/g, (url) => `<a href="${url}">${url}</a>`);
}

const STATUS_LABEL: Record<MailboxEntry["status"], string> = {
  sent: "Delivered",
  sending: "Sending",
  retrying: "Failed, will retry",
  failed: "Failed (dead-lettered)",
};

const page = (entries: MailboxEntry[], notice: string | null) => html`<!doctype html>
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>Development mailbox - Secure Portal</title>
      <link rel="stylesheet" href="/_dev/mailbox/mailbox.css" />
    </head>
    <body>
      <main>
        <h1>Development mailbox</h1>
        <p>Every email the portal sent while running locally, newest first. This page exists only when <code>ENVIRONMENT</code> is <code>development</code>.</p>
        ${notice ? html`<p class="notice" role="status">${notice}</p>` : ""}
        <form method="post" action="/_dev/mailbox/test">
          <label for="to">Send a test email to</label>
          <input id="to" name="to" type="email" value="${DEFAULT_TEST_RECIPIENT}" required />
          <button type="submit">Send test email</button>
        </form>
        <p><a href="/_dev/mailbox">Refresh</a></p>
        ${
          entries.length === 0
            ? html`<p>No email yet.</p>`
            : html`<ol class="mails">
              ${entries.map(
                (m) => html`<li class="mail status-${m.status}">
                  <details>
                    <summary>
                      <span class="subject">${m.subject || "(not rendered)"}</span>
                      <span class="meta">To ${m.recipient} · <time datetime="${m.at.toISOString()}">${m.at.toISOString().replace("T", " ").slice(0, 19)} UTC</time> · <strong>${STATUS_LABEL[m.status]}</strong></span>
                    </summary>
                    ${m.lastError ? html`<p class="error">Last error: ${m.lastError}</p>` : ""}
                    ${m.bodyText ? html`<pre>${raw(linkify(m.bodyText))}</pre>` : ""}
                    ${m.id !== null ? html`<p><a href="/_dev/mailbox/${m.id}/html">View the HTML version</a></p>` : ""}
                    <p class="meta">Idempotency key: <code>${m.idempotencyKey}</code></p>
                  </details>
                </li>`,
              )}
            </ol>`
        }
      </main>
    </body>
  </html>`;

const CSS = `body{font-family:"Open Sans",system-ui,sans-serif;margin:0;color:#212121;line-height:1.5}main{max-width:960px;margin:0 auto;padding:16px}
form{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:16px 0}input{padding:8px;border:2px solid #5b616b;min-width:260px}
button{background:#0071bc;color:#fff;border:0;padding:10px 16px;font-weight:bold;cursor:pointer}
:focus-visible{outline:3px solid #bd13b8;outline-offset:2px}.mails{list-style:none;padding:0}.mail{border:1px solid #d6d7d9;margin:8px 0;padding:8px}
summary{cursor:pointer}.subject{font-weight:bold;display:block}.meta{color:#5b616b;font-size:.9rem}
pre{white-space:pre-wrap;background:#f1f1f1;padding:12px}.status-failed,.status-retrying{border-left:6px solid #e31c3d}
.error{color:#b50909}.notice{background:#e7f4e4;border-left:6px solid #2e8540;padding:8px}`;

/** `localhost`, `127.0.0.1` or `[::1]`, with or without a port. */
const LOOPBACK_HOST = /^(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/i;

/**
 * The mailbox shows temporary passwords and sign-in links. Even a development
 * build reached through a tunnel, a LAN address or a preview hostname must not
 * show them: only a request addressed to this machine's loopback name gets in.
 */
export function isLoopbackRequest(url: string, hostHeader: string | undefined): boolean {
  const urlHost = new URL(url).host;
  return LOOPBACK_HOST.test(urlHost) && LOOPBACK_HOST.test(hostHeader ?? urlHost);
}

/** /_dev/mailbox: 404 unless ENVIRONMENT is development and the request is local (SPEC 2.7). */
export const devMailboxRoutes = new Hono<AppEnv>()
  .use("*", async (c, next) => {
    if (!isDevelopment(c.env) || !isLoopbackRequest(c.req.url, c.req.header("Host"))) return c.notFound();
    await next();
  })
  .get("/", async (c) => {
    const entries = await listMailbox(c.get("deps"));
    const notice = c.req.query("sent")
      ? "Test email queued. It appears here once the queue consumer has sent it; refresh in a moment."
      : null;
    return c.html(page(entries, notice));
  })
  .get("/mailbox.css", (c) =>
    c.body(CSS, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "no-store" }),
  )
  .get("/:id{[0-9]+}/html", async (c) => {
    const body = await getMailboxHtml(c.get("deps"), Number(c.req.param("id")));
    if (body === null) return c.notFound();
    return c.html(body);
  })
  .post("/test", async (c) => {
    const form = await c.req.parseBody();
    const to = typeof form.to === "string" && /^[^\s@]+@[^\s@]+$/.test(form.to) ? form.to : DEFAULT_TEST_RECIPIENT;
    await sendThroughOutbox(c.get("deps"), {
      template: "test",
      to,
      data: { note: "Sent from the development mailbox." },
    });
    return c.redirect("/_dev/mailbox?sent=1", 303);
  });
