import { parseWithZod } from "@conform-to/zod/v4";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { replyWithoutSecrets, resultFor } from "../../app/lib/forms";
import { RegistrationSchema } from "../../app/lib/schemas";

function formData(fields: Record<string, string>) {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.set(name, value);
  return data;
}

const SignInLike = z.object({
  userId: z.string().min(1, "Enter your User ID."),
  password: z.string().min(12, "Too short."),
  code: z.string().regex(/^\d{6}$/, "Six digits."),
  answer1: z.string().min(1),
  ssnLast4: z.string().regex(/^\d{4}$/),
  currentPassword: z.string().min(1),
});

describe("form replies", () => {
  it("never send back a password, code, answer or SSN digits, even when the caller hides nothing", () => {
    const secrets = {
      password: "correct horse battery",
      code: "12345",
      answer1: "Biscuit the dog",
      ssnLast4: "48",
      currentPassword: "my old passphrase",
    };
    const submission = parseWithZod(formData({ userId: "THOMTY01", ...secrets }), { schema: SignInLike });
    expect(submission.status).toBe("error");
    const reply = replyWithoutSecrets(submission);
    const sent = JSON.stringify(reply);
    for (const value of Object.values(secrets)) expect(sent).not.toContain(value);
    expect(reply.initialValue).toEqual({ userId: "THOMTY01" });
    expect(reply.error?.code).toEqual(["Six digits."]);
  });

  it("also drop secrets when a service failure is added, and drop extra fields the caller names", () => {
    const submission = parseWithZod(
      formData({
        userId: "THOMTY01",
        password: "correct horse battery",
        code: "123456",
        answer1: "x",
        ssnLast4: "1234",
        currentPassword: "y",
      }),
      { schema: SignInLike },
    );
    expect(submission.status).toBe("success");
    const reply = replyWithoutSecrets(submission, { formErrors: ["That did not work."], hideFields: ["userId"] });
    expect(reply.status).toBe("error");
    expect(reply.error?.[""]).toEqual(["That did not work."]);
    expect(reply.initialValue).toEqual({});
  });

  it("keep every other input and give each field its schema's message", () => {
    const submission = parseWithZod(
      formData({ firstName: "Thomas", lastName: "", email: "thomas at example", phone: "614-555-0142" }),
      { schema: RegistrationSchema },
    );
    const reply = replyWithoutSecrets(submission);
    expect(reply.initialValue).toEqual({
      firstName: "Thomas",
      email: "thomas at example",
      phone: "614-555-0142",
    });
    expect(reply.error?.lastName?.[0]).toBe("Enter your last name.");
    expect(reply.error?.email).toEqual(["Enter an email address like name@example.com."]);
    expect(reply.error?.firstName).toBeUndefined();
  });

  it("are read only by the form they answer", () => {
    const result = { status: "error" as const, error: { "": ["No."] } };
    expect(resultFor({ formId: "change-password", result }, "change-password")).toBe(result);
    expect(resultFor({ formId: "change-password", result }, "change-questions")).toBeUndefined();
    expect(resultFor(undefined, "change-password")).toBeUndefined();
  });
});
