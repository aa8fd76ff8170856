import { useFetcher, useNavigate } from "@remix-run/react";
import { useEffect, useState } from "react";

/** SPEC 2.2 / issue: warn two minutes before the idle timeout. */
const WARN_BEFORE_MS = 2 * 60 * 1000;

/**
 * With JavaScript only: a warning before the session times out, with "Stay
 * signed in". Without JavaScript the server still ends the session on time.
 */
export function SessionTimeoutWarning({ idleExpiresAt }: { idleExpiresAt: string }) {
  const fetcher = useFetcher<{ ok: boolean; idleExpiresAt?: string }>();
  const navigate = useNavigate();
  const expiresAt = new Date(fetcher.data?.idleExpiresAt ?? idleExpiresAt).getTime();
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, []);

  useEffect(() => {
    if (now >= expiresAt) navigate("/login?expired=1");
  }, [now, expiresAt, navigate]);

  const remaining = expiresAt - now;
  if (remaining > WARN_BEFORE_MS || remaining <= 0) return null;
  const seconds = Math.ceil(remaining / 1000);
  return (
    <div className="session-warning" role="alertdialog" aria-modal="false" aria-labelledby="session-warning-title" aria-describedby="session-warning-text">
      <h2 id="session-warning-title">Your session is about to end</h2>
      <p id="session-warning-text">
        For your security, you will be signed out in {Math.floor(seconds / 60)}:{String(seconds % 60).padStart(2, "0")} unless you stay signed in.
      </p>
      <fetcher.Form method="post" action="/session/keepalive" className="actions">
        <button type="submit" className="ds-c-button ds-c-button--solid" autoFocus>
          Stay signed in
        </button>
      </fetcher.Form>
    </div>
  );
}
