import { IMPORT_TEMPLATE } from "~/lib/organization-admin";
import { requireCapability } from "~/web/.server/guards";
import type { LoaderArgs } from "~/web/.server/route-args";

/**
 * The CSV import's template (/admin/organizations/template.csv): the header row
 * and one example row. Rule: `can(actor, "admin.read")`.
 */
export async function loader({ request, context }: LoaderArgs) {
  await requireCapability(context.deps, request, "admin.read");
  return new Response(IMPORT_TEMPLATE, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": 'attachment; filename="organizations-template.csv"',
      "Cache-Control": "no-store",
    },
  });
}
