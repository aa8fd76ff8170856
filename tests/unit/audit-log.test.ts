import { describe, expect, it } from "vitest";
import { type Actor, type ActorRole, auditEventInScope, auditScope, can } from "../../app/.server/access/authorize";
import { parseRequestId } from "../../app/.server/access/request-id";
import { csvCell, csvLine } from "../../app/.server/audit/csv";
import { AUDIT_LOG_MESSAGES, auditLogFilterSchema, readPage } from "../../app/lib/audit-log";
import { startOfEasternDay } from "../../app/lib/format";

const NOW = new Date("2026-11-22T12:00:00Z");
const role = (r: Partial<ActorRole>): ActorRole => ({
  roleCode: "X",
  programId: null,
  organizationId: null,
  isSecurityOfficial: false,
  isHelpDesk: false,
  isAdmin: false,
  ...r,
});
const actor = (roles: ActorRole[], a: Partial<Actor> = {}): Actor => ({
  userId: "u1",
  enrollmentCompleted: true,
  restrictedUntil: null,
  hasDevice: true,
  assurance: "strong",
  strongFactorAt: NOW,
  roles,
  ...a,
});

describe("the Audit Log's scope (one rule for can() and the query)", () => {
  it("gives administrators everything and nobody without an approving role anything", () => {
    expect(auditScope(actor([role({ isAdmin: true })]))).toEqual({ all: true });
    expect(auditScope(actor([]))).toBeNull();
    expect(auditScope(actor([role({ organizationId: 4 })]))).toBeNull();
    expect(can(actor([role({ organizationId: 4 })]), "audit.read", {}, NOW)).toEqual({
      ok: false,
      reason: "forbidden",
    });
  });

  it("gives a Security Official their program at their organization, and a help desk its programs (not the organization its role is held at)", () => {
    const so = auditScope(actor([role({ isSecurityOfficial: true, organizationId: 7, programId: 3 })]))!;
    expect(auditEventInScope(so, { organizationId: 7, programId: 3 })).toBe(true);
    expect(auditEventInScope(so, { organizationId: 7, programId: 4 })).toBe(false);
    expect(auditEventInScope(so, { organizationId: 7, programId: null })).toBe(false);
    expect(auditEventInScope(so, { organizationId: 8, programId: 3 })).toBe(false);
    expect(auditEventInScope(so, { organizationId: null, programId: null })).toBe(false);
    // An official's role without a program reaches nothing.
    expect(auditScope(actor([role({ isSecurityOfficial: true, organizationId: 7 })]))).toBeNull();

    const desk = auditScope(actor([role({ isHelpDesk: true, programId: 3, organizationId: 1 })]))!;
    expect(auditEventInScope(desk, { programId: 3 })).toBe(true);
    expect(auditEventInScope(desk, { programId: 4 })).toBe(false);
    expect(auditEventInScope(desk, { programId: 4, organizationId: 1 })).toBe(false);

    const everyProgram = auditScope(actor([role({ isHelpDesk: true })]))!;
    expect(auditEventInScope(everyProgram, { programId: 9 })).toBe(true);
    // Without a program the event is not a program's: administrators only.
    expect(auditEventInScope(everyProgram, { programId: null, organizationId: 5 })).toBe(false);
  });

  it("lets can() decide the page (strong session, step-up otherwise) and single events by the same scope", () => {
    const so = actor([role({ isSecurityOfficial: true, organizationId: 7, programId: 3 })]);
    expect(can(so, "audit.read", {}, NOW)).toEqual({ ok: true });
    expect(can({ ...so, assurance: "weak" }, "audit.read", {}, NOW)).toEqual({ ok: false, reason: "step_up" });
    expect(can(so, "audit.read", { organizationId: 7, programId: 3 }, NOW)).toEqual({ ok: true });
    expect(can(so, "audit.read", { organizationId: 7, programId: 4 }, NOW)).toEqual({ ok: false, reason: "forbidden" });
    expect(can(so, "audit.read", { organizationId: 8 }, NOW)).toEqual({ ok: false, reason: "forbidden" });
    const until = new Date(NOW.getTime() + 3600_000);
    expect(can({ ...so, restrictedUntil: until }, "audit.read", {}, NOW)).toEqual({
      ok: false,
      reason: "restricted",
      until,
    });
  });
});

describe("the filters", () => {
  const schema = auditLogFilterSchema((v) => parseRequestId(v));

  it("reads User IDs and Request IDs in any case, event types, and dates as Eastern calendar days", () => {
    expect(
      schema.parse({
        userId: " thomty64 ",
        requestId: "qr-7k3m9p2x",
        type: "signin.failure",
        from: "3/2/2026",
        to: "03052026",
      }),
    ).toEqual({
      userId: "THOMTY64",
      requestId: "QR-7K3M9P2X",
      type: "signin.failure",
      from: "2026-03-02",
      to: "2026-03-05",
    });
    expect(schema.parse({})).toEqual({});
  });

  it("says what is wrong with each field", () => {
    const issues = (input: Record<string, string>) =>
      schema.safeParse(input).error?.issues.map((i) => [i.path.join("."), i.message]);
    expect(issues({ from: "02/30/2026" })).toEqual([["from", AUDIT_LOG_MESSAGES.from]]);
    expect(issues({ to: "tomorrow" })).toEqual([["to", AUDIT_LOG_MESSAGES.to]]);
    expect(issues({ from: "03/02/2026", to: "03/01/2026" })).toEqual([["to", AUDIT_LOG_MESSAGES.toBeforeFrom]]);
    expect(issues({ requestId: "QR-0000000O" })).toEqual([["requestId", AUDIT_LOG_MESSAGES.requestId]]);
    expect(issues({ userId: "a'b OR 1=1" })).toEqual([["userId", AUDIT_LOG_MESSAGES.userId]]);
    expect(issues({ type: "Signin; DROP" })).toEqual([["type", AUDIT_LOG_MESSAGES.type]]);
  });

  it("reads a page number, and anything else as the first page", () => {
    expect(readPage("3")).toBe(3);
    for (const bad of [null, "", "0", "-2", "1.5", "x", "1e400"]) expect(readPage(bad)).toBe(1);
  });

  it("starts an Eastern day at local midnight, whatever daylight saving time does", () => {
    expect(startOfEasternDay("2026-01-15").toISOString()).toBe("2026-01-15T05:00:00.000Z");
    expect(startOfEasternDay("2026-03-08").toISOString()).toBe("2026-03-08T05:00:00.000Z");
    expect(startOfEasternDay("2026-03-09").toISOString()).toBe("2026-03-09T04:00:00.000Z");
    expect(startOfEasternDay("2026-11-01").toISOString()).toBe("2026-11-01T04:00:00.000Z");
    expect(startOfEasternDay("2026-11-02").toISOString()).toBe("2026-11-02T05:00:00.000Z");
  });
});

describe("CSV cells", () => {
  it("quotes per RFC 4180 and neutralises what a spreadsheet would run", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell(null)).toBe("");
    expect(csvCell('a "quoted", value')).toBe('"a ""quoted"", value"');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
    for (const start of ["=", "+", "-", "@", "\t", "\r"])
      expect(csvCell(`${start}1`).startsWith(`'${start}`) || csvCell(`${start}1`).startsWith(`"'${start}`)).toBe(true);
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell("\r=1")).toBe(`"'\r=1"`);
    expect(csvLine(["a", "b,c", null])).toBe('a,"b,c",\r\n');
  });
});
