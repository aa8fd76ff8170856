import { type LoaderFunctionArgs, redirect } from "@remix-run/cloudflare";

/**
 * The manual-proofing queue moved into Administration (SPEC 2.8): the old
 * address (in bookmarks and older emails) goes to /admin/proofing, whose own
 * rule then applies.
 */
export function loader(_: LoaderFunctionArgs) {
  return redirect("/admin/proofing", 301);
}
