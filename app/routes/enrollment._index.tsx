import { type LoaderFunctionArgs, redirect } from "@remix-run/cloudflare";
import { requireEnrollee } from "~/.server/guards";
import { nextPath } from "~/.server/proofing/enrollment";

/** "Start/Complete New User Enrollment": resumes where the user stopped. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { state } = await requireEnrollee(context.deps, request);
  throw redirect(nextPath(state));
}
