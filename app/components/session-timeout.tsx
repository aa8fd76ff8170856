import { useEffect, useState } from "react";
import { useFetcher, useNavigate } from "react-router";
import { Dialog } from "./ds";

/** Issue: warn two minutes before the idle timeout. */
const WARN_BEFORE_MS = 2 * 60 * 1000;
const KEEPALIVE = "/session/keepalive";

const COPY = {
  heading: "Your session is about to end",
  text: (left: string) => `For your security, you will be signed out in ${left} unless you stay signed in.`,
  stay: "Stay signed in",
};

/**
 * With JavaScript only: a warning before the session times out, with "Stay
 * signed in", in the design system's modal alert dialog (as its IdleTimeout
 * does), so focus moves to it and the page behind waits. Without JavaScript
 * the server still ends the session on time. The server sends how long is
 * left, and the deadline is kept on the browser's own clock, so a skewed
 * clock does not matter.
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
  const warning = remaining <= WARN_BEFORE_MS && remaining > 0;
  const seconds = Math.max(0, Math.ceil(remaining / 1000));
  // Closing the warning (Escape or Close) means the user is here: keep the session, as "Stay signed in" does.
  const stay = () => fetcher.submit(null, { method: "post", action: KEEPALIVE });
  return (
    <Dialog
      id="session-warning"
      alert
      size="narrow"
      isOpen={warning}
      onExit={stay}
      heading={COPY.heading}
      actions={
        <fetcher.Form method="post" action={KEEPALIVE}>
          <button type="submit" className="ds-c-button ds-c-button--solid">
            {COPY.stay}
          </button>
        </fetcher.Form>
      }
    >
      <p>{COPY.text(`${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`)}</p>
    </Dialog>
  );
}
