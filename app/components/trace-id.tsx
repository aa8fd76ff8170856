import { createContext, useContext, useState } from "react";

const TraceIdContext = createContext("");

/** The request's trace id on the server (entry.server.tsx), for the error page's reference. */
export const TraceIdProvider = TraceIdContext.Provider;

/**
 * The reference a person quotes to the help desk: the id of the request that
 * failed. On the server it comes from the request; in the browser, from the
 * page the server sent (so hydration keeps it). After a navigation in the
 * browser the failed request's id is in its `X-Trace-Id` header only.
 */
export function useErrorReference(): string {
  const fromServer = useContext(TraceIdContext);
  const [fromPage] = useState(() =>
    typeof document === "undefined" ? "" : (document.getElementById("error-reference")?.textContent ?? ""),
  );
  return fromServer || fromPage;
}
