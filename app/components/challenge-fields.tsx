import { CHALLENGE_QUESTION_COUNT, CHALLENGE_QUESTIONS } from "~/lib/challenge-questions";
import { SelectField } from "./form-bits";
import { TextField } from "./ui";

const OPTIONS = Object.entries(CHALLENGE_QUESTIONS).map(([value, label]) => ({ value, label }));

/** Three question selects, each with its answer; answers are never sent back. */
export function ChallengeQuestionFields({
  errors,
  values,
}: {
  errors?: Record<string, string>;
  values?: Record<string, string>;
}) {
  return (
    <>
      {Array.from({ length: CHALLENGE_QUESTION_COUNT }, (_, i) => i + 1).map((n) => (
        <fieldset className="ds-c-fieldset question-group" key={n}>
          <legend>{`Challenge question ${n}`}</legend>
          <SelectField
            label={`Question ${n}`}
            name={`question${n}`}
            placeholder="Select a question"
            options={OPTIONS}
            required
            defaultValue={values?.[`question${n}`] ?? ""}
            error={errors?.[`question${n}`]}
          />
          <TextField
            label={`Answer ${n}`}
            name={`answer${n}`}
            autoComplete="off"
            required
            maxLength={100}
            error={errors?.[`answer${n}`]}
          />
        </fieldset>
      ))}
    </>
  );
}
