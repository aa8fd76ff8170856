import { createContext, useContext, useState } from "react";

const TraceIdContext = createContext("");

/** The request's trace id on the server (entry.server.tsx), for the error page's reference. */
export const TraceIdProvider = TraceIdContext.Provider;

/**
 * The reference a person quotes to the help desk: the id of the request that
 * failed. On the server it comes from the request; in the browser, from the
 * page the server sent (so hydration keeps it), or from the root loader's data
 * after a navigation.
 */
export function useErrorReference(fromLoader: string | undefined): string {
  const fromServer = useContext(TraceIdContext);
  const [fromPage] = useState(() =>
    typeof document === "undefined" ? "" : (document.getElementById("error-reference")?.textContent ?? ""),
  );
  return fromLoader || fromServer || fromPage;
}
