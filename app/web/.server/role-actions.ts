import { parseWithZod } from "@conform-to/zod/v4";
import type { Actor } from "~/.server/access/authorize";
import { revokeRole } from "~/.server/access/decisions";
import { recertifyRole } from "~/.server/access/recertify";
import type { Client } from "~/.server/client";
import type { Deps } from "~/.server/deps";
import { formatDateUS } from "~/lib/access-request";
import { RevokeSchema } from "~/lib/decisions";
import { todayEastern } from "~/lib/format";
import { formFailure, formSuccess } from "./forms";
import { refuse } from "./guards";

/**
 * The screens' door for "Recertify" and "Revoke" (`~/components/role-actions`):
 * the services decide with `can()`; a refusal goes to `refuse` (a 404, the
 * step-up screen or the restriction screen, and back to `returnTo`).
 */

const COPY = {
  revoked: (role: string, name: string) => `${name}'s ${role} role was revoked, and ${name} has been emailed.`,
  notActive: "This role had already ended, so nothing changed.",
  recertified: (due: string) => `The role is recertified. The next recertification is due by ${due}.`,
  notRecertifiable: "This role is not recertified here: it has ended, or it was granted by an administrator.",
  needsAnotherOfficial:
    "You cannot recertify this role: its holder last recertified your own Security Official role. The help desk or another Security Official must recertify it.",
};

export async function handleRoleAction(
  deps: Deps,
  request: Request,
  actor: Actor,
  form: FormData,
  client: Client,
  returnTo: string,
) {
  const intent = form.get("intent");
  if (intent === "recertify") {
    const userRoleId = String(form.get("userRoleId") ?? "").slice(0, 100);
    const outcome = await recertifyRole(deps, actor, userRoleId, client);
    if (outcome.ok)
      return { formId: "recertify", notice: COPY.recertified(formatDateUS(todayEastern(outcome.value.dueAt))) };
    switch (outcome.code) {
      case "refused":
        return refuse(outcome.refusal, request, returnTo);
      case "not_found":
      case "own_role":
        throw new Response("Not Found", { status: 404 });
      case "needs_another_official":
        return { formId: "recertify", problem: COPY.needsAnotherOfficial };
      case "not_required":
      case "not_active":
        return { formId: "recertify", problem: COPY.notRecertifiable };
    }
  }
  if (intent === "revoke") {
    const submission = parseWithZod(form, { schema: RevokeSchema });
    const formId = `revoke-${String(form.get("userRoleId") ?? "").slice(0, 100)}`;
    if (submission.status !== "success") return formFailure(formId, submission);
    const outcome = await revokeRole(deps, actor, submission.value, client);
    if (outcome.ok)
      return {
        ...formSuccess(formId, submission, null),
        notice: COPY.revoked(outcome.value.roleName, outcome.value.holderName),
      };
    if (outcome.code === "not_found") throw new Response("Not Found", { status: 404 });
    if (outcome.code === "refused") return refuse(outcome.refusal, request, returnTo);
    return formFailure(formId, submission, { formErrors: [COPY.notActive] }, 409);
  }
  throw new Response("Bad Request", { status: 400 });
}
