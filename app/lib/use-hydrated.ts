import { useEffect, useState } from "react";

/** False on the server and without JavaScript; true once the page's script runs. */
export function useHydrated(): boolean {
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  return hydrated;
}
