import type { FieldMetadata } from "@conform-to/react";
import { CHALLENGE_QUESTION_COUNT, CHALLENGE_QUESTIONS } from "~/lib/challenge-questions";
import { PasswordField, SelectField } from "./fields";

const OPTIONS = Object.entries(CHALLENGE_QUESTIONS).map(([value, label]) => ({ value, label }));
const NUMBERS = Array.from({ length: CHALLENGE_QUESTION_COUNT }, (_, i) => i + 1);

type N = 1 | 2 | 3;
type Field<S> = FieldMetadata<S, Record<string, unknown>, string[]>;

/** Three question selects, each with its answer; answers are never sent back. */
export function ChallengeQuestionFields<Q, A>({
  fields,
}: {
  fields: Record<`question${N}`, Field<Q>> & Record<`answer${N}`, Field<A>>;
}) {
  return (
    <>
      {NUMBERS.map((n) => (
        <fieldset className="ds-c-fieldset question-group" key={n}>
          <legend>{`Challenge question ${n}`}</legend>
          <SelectField
            label={`Question ${n}`}
            field={fields[`question${n as N}`]}
            placeholder="Select a question"
            options={OPTIONS}
            required
          />
          <PasswordField
            label={`Answer ${n}`}
            field={fields[`answer${n as N}`]}
            type="text"
            autoComplete="off"
            required
            maxLength={100}
          />
        </fieldset>
      ))}
    </>
  );
}
