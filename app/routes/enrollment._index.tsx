import { redirect } from "react-router";
import { nextPath } from "~/.server/proofing/enrollment";
import { requireEnrollee } from "~/web/.server/guards";
import type { LoaderArgs } from "~/web/.server/route-args";

/** "Start/Complete New User Enrollment": resumes where the user stopped. */
export async function loader({ request, context }: LoaderArgs) {
  const { state } = await requireEnrollee(context.deps, request);
  throw redirect(nextPath(state));
}
