/** New User Enrollment facts shared by the screens and the services (SPEC 2.4). */

/** Three proofing attempts per 24 hours, then the help desk. */
export const MAX_ATTEMPTS = 3;
export const ATTEMPT_WINDOW_MS = 24 * 60 * 60 * 1000;

export const STEPS = ["consent", "identity", "address", "phone", "questions", "result"] as const;
export type StepName = (typeof STEPS)[number];

export const NOT_VERIFIED_MESSAGE = "We could not verify your identity";
