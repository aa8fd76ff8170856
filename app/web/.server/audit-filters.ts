import { parseWithZod } from "@conform-to/zod/v4";
import { AuditLogFilterSchema } from "~/.server/audit/query";
import { AUDIT_FILTER_FIELDS } from "~/lib/audit-log";

/**
 * The Audit Log's filter form (its query string), read as the page and the CSV
 * both read it; the domain (`searchAuditLog`, `exportAuditLog`) takes the
 * parsed filters.
 */
export function readAuditFilters(params: URLSearchParams) {
  // Only the filter fields: the page number and anything else stay out of the form's reply.
  const fields = new URLSearchParams();
  for (const name of AUDIT_FILTER_FIELDS) {
    const value = params.get(name);
    if (value !== null) fields.set(name, value);
  }
  return parseWithZod(fields, { schema: AuditLogFilterSchema });
}
