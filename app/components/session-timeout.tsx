import { useFetcher, useNavigate } from "@remix-run/react";
import { useEffect, useState } from "react";

/** Issue: warn two minutes before the idle timeout. */
const WARN_BEFORE_MS = 2 * 60 * 1000;

/**
 * With JavaScript only: a warning before the session times out, with "Stay
 * signed in". Without JavaScript the server still ends the session on time.
 * The server sends how long is left, and the deadline is kept on the browser's
 * own clock, so a skewed clock does not matter.
 */
export function SessionTimeoutWarning({ idleRemainingMs }: { idleRemainingMs: number }) {
  const fetcher = useFetcher<{ ok: boolean; idleRemainingMs: number }>();
  const navigate = useNavigate();
  const [deadline, setDeadline] = useState(() => Date.now() + idleRemainingMs);
  const [now, setNow] = useState(() => Date.now());

  // Every page load (root loader revalidation) restarts the count.
  useEffect(() => setDeadline(Date.now() + idleRemainingMs), [idleRemainingMs]);
  useEffect(() => {
    if (fetcher.data?.ok) setDeadline(Date.now() + fetcher.data.idleRemainingMs);
  }, [fetcher.data]);
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, []);
  useEffect(() => {
    if (now >= deadline) navigate("/login?expired=1");
  }, [now, deadline, navigate]);

  const remaining = deadline - now;
  if (remaining > WARN_BEFORE_MS || remaining <= 0) return null;
  const seconds = Math.ceil(remaining / 1000);
  return (
    <div
      className="session-warning"
      role="alertdialog"
      aria-labelledby="session-warning-title"
      aria-describedby="session-warning-text"
    >
      <h2 id="session-warning-title">Your session is about to end</h2>
      <p id="session-warning-text">
        For your security, you will be signed out in {Math.floor(seconds / 60)}:{String(seconds % 60).padStart(2, "0")}{" "}
        unless you stay signed in.
      </p>
      <fetcher.Form method="post" action="/session/keepalive" className="actions">
        {/* biome-ignore lint/a11y/noAutofocus: the timeout dialog must take focus when it opens (WAI-ARIA dialog pattern). */}
        <button type="submit" className="ds-c-button ds-c-button--solid" autoFocus>
          Stay signed in
        </button>
      </fetcher.Form>
    </div>
  );
}
