import { redirect } from "react-router";
import { requireEnrollee } from "~/.server/guards";
import { nextPath } from "~/.server/proofing/enrollment";
import type { LoaderArgs } from "~/web/.server/route-args";

/** "Start/Complete New User Enrollment": resumes where the user stopped. */
export async function loader({ request, context }: LoaderArgs) {
  const { state } = await requireEnrollee(context.deps, request);
  throw redirect(nextPath(state));
}
