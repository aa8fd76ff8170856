import { describe, expect, it } from "vitest";
import { type Actor, type ActorRole, can, STEP_UP_MAX_AGE_MS } from "../../app/.server/access/authorize";
import { clientKey } from "../../app/.server/auth/rate-limit";

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
const actor = (a: Partial<Actor> = {}): Actor => ({
  userId: "u1",
  enrollmentCompleted: true,
  restrictedUntil: null,
  hasDevice: true,
  assurance: "strong",
  strongFactorAt: new Date(NOW.getTime() - 60_000),
  roles: [],
  ...a,
});

describe("can(): one place decides who may do what", () => {
  it("binds the first device only in a session that proved more than the password, later ones only with a fresh strong factor", () => {
    const firstDevice = { hasDevice: false, assurance: "password", strongFactorAt: null } as const;
    // The session that completed identity proofing, or one opened through the emailed re-enrollment link.
    expect(can(actor({ ...firstDevice, firstDeviceProof: true }), "device.add", {}, NOW).ok).toBe(true);
    // The password alone (after Reset MFA, or a later sign-in): use the emailed link.
    expect(can(actor(firstDevice), "device.add", {}, NOW)).toEqual({ ok: false, reason: "reenrollment" });
    expect(can(actor({ ...firstDevice, firstDeviceProof: false }), "device.add", {}, NOW)).toEqual({
      ok: false,
      reason: "reenrollment",
    });
    // The mark never stands in for a strong factor once a device exists.
    expect(
      can(actor({ assurance: "weak", strongFactorAt: null, firstDeviceProof: true }), "device.add", {}, NOW),
    ).toEqual({
      ok: false,
      reason: "step_up",
    });
    expect(can(actor({ assurance: "weak", strongFactorAt: null }), "device.add", {}, NOW)).toEqual({
      ok: false,
      reason: "step_up",
    });
    const stale = actor({ strongFactorAt: new Date(NOW.getTime() - STEP_UP_MAX_AGE_MS - 1) });
    expect(can(stale, "device.add", {}, NOW)).toEqual({ ok: false, reason: "step_up" });
    expect(can(actor(), "device.add", {}, NOW).ok).toBe(true);
  });

  it("changes the password and the challenge questions only with a strong factor from the last 15 minutes", () => {
    for (const action of ["password.change", "challenge_questions.change"] as const) {
      expect(can(actor(), action, {}, NOW).ok).toBe(true);
      expect(can(actor(), action, { ownerUserId: "u1" }, NOW).ok).toBe(true);
      // An emailed code or the challenge questions: step up first.
      expect(can(actor({ assurance: "weak", strongFactorAt: null }), action, {}, NOW)).toEqual({
        ok: false,
        reason: "step_up",
      });
      expect(can(actor({ hasDevice: false, assurance: "password", strongFactorAt: null }), action, {}, NOW)).toEqual({
        ok: false,
        reason: "step_up",
      });
      const stale = actor({ strongFactorAt: new Date(NOW.getTime() - 16 * 60_000) });
      expect(can(stale, action, {}, NOW)).toEqual({ ok: false, reason: "step_up" });
      expect(can(actor(), action, { ownerUserId: "someone-else" }, NOW)).toEqual({ ok: false, reason: "forbidden" });
      const until = new Date(NOW.getTime() + 3600_000);
      expect(can(actor({ restrictedUntil: until }), action, {}, NOW)).toEqual({
        ok: false,
        reason: "restricted",
        until,
      });
    }
  });

  it("issues recovery codes with a fresh strong factor, or at enrollment's end in the session that bound the device", () => {
    const weak = { assurance: "weak" as const, strongFactorAt: null };
    expect(can(actor(), "recovery_codes.issue", {}, NOW).ok).toBe(true);
    expect(can(actor(weak), "recovery_codes.issue", {}, NOW)).toEqual({ ok: false, reason: "step_up" });
    // A weak session during enrollment that did not bind the device: step up.
    expect(can(actor({ ...weak, enrollmentCompleted: false }), "recovery_codes.issue", {}, NOW)).toEqual({
      ok: false,
      reason: "step_up",
    });
    const bound = { enrollmentCompleted: false, deviceBoundAt: new Date(NOW.getTime() - 3600_000) };
    expect(can(actor({ ...weak, ...bound }), "recovery_codes.issue", {}, NOW).ok).toBe(true);
    // After enrollment, binding a device earlier in the session is not enough.
    expect(can(actor({ ...weak, ...bound, enrollmentCompleted: true }), "recovery_codes.issue", {}, NOW)).toEqual({
      ok: false,
      reason: "step_up",
    });
    expect(can(actor({ ...bound }), "recovery_codes.issue", { ownerUserId: "someone-else" }, NOW)).toEqual({
      ok: false,
      reason: "forbidden",
    });
  });

  it("never lets anyone change another user's devices", () => {
    expect(can(actor(), "device.remove", { ownerUserId: "someone-else" }, NOW)).toEqual({
      ok: false,
      reason: "forbidden",
    });
  });

  it("keeps sensitive changes closed for 24 hours after a weak reset, saying until when", () => {
    const until = new Date(NOW.getTime() + 3600_000);
    expect(can(actor({ restrictedUntil: until }), "device.add", {}, NOW)).toEqual({
      ok: false,
      reason: "restricted",
      until,
    });
    expect(can(actor({ restrictedUntil: until }), "request.create", {}, NOW)).toEqual({
      ok: false,
      reason: "restricted",
      until,
    });
    expect(can(actor({ restrictedUntil: new Date(NOW.getTime() - 1) }), "device.add", {}, NOW).ok).toBe(true);
  });

  it("needs finished enrollment and a strong session to request access", () => {
    expect(can(actor({ enrollmentCompleted: false }), "request.create", {}, NOW)).toEqual({
      ok: false,
      reason: "enrollment",
    });
    expect(can(actor({ assurance: "weak" }), "request.create", {}, NOW)).toEqual({ ok: false, reason: "step_up" });
  });

  it("lets a Security Official decide for their organization only, the help desk decide first Security Officials, and nobody decide their own", () => {
    const so = actor({ roles: [role({ isSecurityOfficial: true, programId: 3, organizationId: 7 })] });
    expect(can(so, "request.decide", { organizationId: 7, programId: 3, ownerUserId: "u2" }, NOW).ok).toBe(true);
    expect(can(so, "request.decide", { organizationId: 8, programId: 3, ownerUserId: "u2" }, NOW)).toEqual({
      ok: false,
      reason: "forbidden",
    });
    expect(
      can(
        so,
        "request.decide",
        { organizationId: 7, programId: 3, ownerUserId: "u2", firstSecurityOfficial: true },
        NOW,
      ),
    ).toEqual({ ok: false, reason: "forbidden" });
    const desk = actor({ roles: [role({ isHelpDesk: true, programId: 3 })] });
    expect(
      can(
        desk,
        "request.decide",
        { organizationId: 7, programId: 3, ownerUserId: "u2", firstSecurityOfficial: true },
        NOW,
      ).ok,
    ).toBe(true);
    expect(
      can(
        desk,
        "request.decide",
        { organizationId: 7, programId: 4, ownerUserId: "u2", firstSecurityOfficial: true },
        NOW,
      ),
    ).toEqual({ ok: false, reason: "forbidden" });
    expect(can(desk, "request.decide", { programId: 3, ownerUserId: "u1", firstSecurityOfficial: true }, NOW)).toEqual({
      ok: false,
      reason: "forbidden",
    });
    expect(
      can({ ...so, assurance: "weak" }, "request.decide", { organizationId: 7, programId: 3, ownerUserId: "u2" }, NOW),
    ).toEqual({
      ok: false,
      reason: "step_up",
    });
  });

  it("scopes a Security Official by program and organization: not another program at the same organization, and never without both", () => {
    const so = actor({ roles: [role({ isSecurityOfficial: true, programId: 3, organizationId: 7 })] });
    for (const action of ["request.read", "request.decide", "role.read", "role.revoke", "role.recertify"] as const) {
      expect(can(so, action, { organizationId: 7, programId: 3, ownerUserId: "u2" }, NOW).ok).toBe(true);
      expect(can(so, action, { organizationId: 7, programId: 4, ownerUserId: "u2" }, NOW)).toEqual({
        ok: false,
        reason: "forbidden",
      });
      expect(can(so, action, { organizationId: 7, ownerUserId: "u2" }, NOW)).toEqual({
        ok: false,
        reason: "forbidden",
      });
    }
    // An official's role without a program opens nothing, not even the queue or the roster.
    const unscoped = actor({ roles: [role({ isSecurityOfficial: true, organizationId: 7 })] });
    expect(can(unscoped, "request.decide", { organizationId: 7, programId: 3, ownerUserId: "u2" }, NOW).ok).toBe(false);
    expect(can(unscoped, "request.queue", {}, NOW)).toEqual({ ok: false, reason: "forbidden" });
    expect(can(unscoped, "organization_roster.read", {}, NOW)).toEqual({ ok: false, reason: "forbidden" });
    expect(can(so, "organization_roster.read", {}, NOW).ok).toBe(true);
  });

  it("does not let an official recertify the official role of the person who last recertified their own", () => {
    const resource = { organizationId: 7, programId: 3, ownerUserId: "u2", securityOfficialRole: true };
    const recertifiedByHolder = actor({
      roles: [role({ isSecurityOfficial: true, programId: 3, organizationId: 7, recertifiedByUserId: "u2" })],
    });
    expect(can(recertifiedByHolder, "role.recertify", resource, NOW)).toEqual({ ok: false, reason: "forbidden" });
    // Revoking is not recertifying; an ordinary role is not an official's; a third official may.
    expect(can(recertifiedByHolder, "role.revoke", resource, NOW).ok).toBe(true);
    expect(can(recertifiedByHolder, "role.recertify", { ...resource, securityOfficialRole: false }, NOW).ok).toBe(true);
    const third = actor({
      roles: [role({ isSecurityOfficial: true, programId: 3, organizationId: 7, recertifiedByUserId: "u9" })],
    });
    expect(can(third, "role.recertify", resource, NOW).ok).toBe(true);
    // The help desk of the program always may.
    const desk = actor({ roles: [role({ isHelpDesk: true, programId: 3 })] });
    expect(can(desk, "role.recertify", resource, NOW).ok).toBe(true);
  });

  it("lets the people who may decide a request read it with a strong session, without the 15-minute freshness", () => {
    const so = actor({ roles: [role({ isSecurityOfficial: true, programId: 3, organizationId: 7 })] });
    const stale = { ...so, strongFactorAt: new Date(NOW.getTime() - 60 * 60 * 1000) };
    expect(can(stale, "request.read", { organizationId: 7, programId: 3, ownerUserId: "u2" }, NOW).ok).toBe(true);
    expect(can(stale, "request.decide", { organizationId: 7, programId: 3, ownerUserId: "u2" }, NOW)).toEqual({
      ok: false,
      reason: "step_up",
    });
    expect(can(so, "request.read", { organizationId: 8, programId: 3, ownerUserId: "u2" }, NOW)).toEqual({
      ok: false,
      reason: "forbidden",
    });
    expect(can(so, "request.read", { organizationId: 7, programId: 3, ownerUserId: so.userId }, NOW)).toEqual({
      ok: false,
      reason: "forbidden",
    });
    expect(
      can({ ...so, assurance: "weak" }, "request.read", { organizationId: 7, programId: 3, ownerUserId: "u2" }, NOW),
    ).toEqual({
      ok: false,
      reason: "step_up",
    });
  });

  it("opens administration to admin roles with a fresh strong factor only", () => {
    expect(can(actor(), "admin.manage", {}, NOW)).toEqual({ ok: false, reason: "forbidden" });
    expect(can(actor({ roles: [role({ isAdmin: true })] }), "admin.manage", {}, NOW).ok).toBe(true);
    expect(can(actor({ roles: [role({ isAdmin: true })], assurance: "weak" }), "admin.manage", {}, NOW)).toEqual({
      ok: false,
      reason: "step_up",
    });
  });

  it("lets administrators manage the programs' applications with a fresh strong factor only", () => {
    const admin = actor({ roles: [role({ isAdmin: true })] });
    expect(can(admin, "application.manage", {}, NOW).ok).toBe(true);
    expect(can(actor(), "application.manage", {}, NOW)).toEqual({ ok: false, reason: "forbidden" });
    expect(can(actor({ roles: [role({ isHelpDesk: true })] }), "application.manage", {}, NOW)).toEqual({
      ok: false,
      reason: "forbidden",
    });
    expect(can({ ...admin, assurance: "weak" }, "application.manage", {}, NOW)).toEqual({
      ok: false,
      reason: "step_up",
    });
  });

  it("never lets an administrator act on their own account in administration, though they may read it", () => {
    const admin = actor({ roles: [role({ isAdmin: true })] });
    expect(can(admin, "admin.manage", { ownerUserId: admin.userId }, NOW)).toEqual({ ok: false, reason: "forbidden" });
    expect(can(admin, "admin.manage", { ownerUserId: "someone-else" }, NOW).ok).toBe(true);
    expect(can(admin, "admin.read", { ownerUserId: admin.userId }, NOW).ok).toBe(true);
  });
});

describe("can(): the programs' applications", () => {
  it("lets an enrolled user connect and disconnect their own applications, whatever the session's strength", () => {
    for (const action of ["application.connect", "application.disconnect"] as const) {
      expect(can(actor(), action, { ownerUserId: "u1" }, NOW).ok).toBe(true);
      expect(can(actor({ assurance: "weak", strongFactorAt: null }), action, {}, NOW).ok).toBe(true);
      expect(can(actor({ enrollmentCompleted: false }), action, {}, NOW)).toEqual({ ok: false, reason: "enrollment" });
      expect(can(actor(), action, { ownerUserId: "someone-else" }, NOW)).toEqual({ ok: false, reason: "forbidden" });
    }
  });
});

describe("clientKey: what a limit counts as one client", () => {
  it("keeps IPv4 addresses whole and groups IPv6 by /64, however the address is written", () => {
    expect(clientKey("203.0.113.7")).toBe("203.0.113.7");
    expect(clientKey("2001:db8:1:2::10")).toBe("2001:db8:1:2::/64");
    expect(clientKey("2001:0DB8:0001:0002:ffff:0:0:99")).toBe("2001:db8:1:2::/64");
    expect(clientKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(clientKey("::1")).toBe("0:0:0:0::/64");
    expect(clientKey(null)).toBe("unknown");
  });
});
