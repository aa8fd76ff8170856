/** Challenge questions offered at first sign-in (SPEC 2.3); answers are stored hashed. */
export const CHALLENGE_QUESTIONS = {
  first_pet: "What was the name of your first pet?",
  first_school: "What was the name of your first school?",
  birth_city: "In what city were you born?",
  first_car: "What was the make and model of your first car?",
  childhood_friend: "What was the first name of your childhood best friend?",
  first_job: "Where was your first job?",
  parents_met: "In what city did your parents meet?",
  favorite_teacher: "What was the last name of your favorite teacher?",
} as const;

export type ChallengeQuestionKey = keyof typeof CHALLENGE_QUESTIONS;
export const CHALLENGE_QUESTION_COUNT = 3;

/** Case, spacing and punctuation do not matter when an answer is checked. */
export function normaliseAnswer(answer: string): string {
  return answer
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}
