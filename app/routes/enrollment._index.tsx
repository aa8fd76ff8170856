import { redirect, type LoaderFunctionArgs } from "@remix-run/cloudflare";
import { nextPath } from "~/.server/proofing/enrollment";
import { requireEnrollee } from "~/.server/guards";

/** "Start/Complete New User Enrollment": resumes where the user stopped. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { state } = await requireEnrollee(context.deps, request);
  throw redirect(nextPath(state));
}
