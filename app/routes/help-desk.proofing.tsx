import { redirect } from "react-router";
import type { LoaderArgs } from "~/web/.server/route-args";

/**
 * The manual-proofing queue moved into Administration (SPEC 2.8): the old
 * address (in bookmarks and older emails) goes to /admin/proofing, whose own
 * rule then applies.
 */
export function loader(_: LoaderArgs) {
  return redirect("/admin/proofing", 301);
}
