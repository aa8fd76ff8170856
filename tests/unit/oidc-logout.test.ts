import { describe, expect, it } from "vitest";
import { logoutParamsFrom } from "../../app/.server/oidc/logout";

/** RP-initiated logout's parameters, from a query or a form (app/.server/oidc/logout.ts). */
describe("logoutParamsFrom", () => {
  it("reads the four parameters the portal uses and ignores the rest (ui_locales included)", () => {
    const query = new URLSearchParams({
      id_token_hint: "a.b.c",
      client_id: "sp-x",
      post_logout_redirect_uri: "https://rp.example/bye",
      state: "s1",
      ui_locales: "fr",
      logout_hint: "someone",
    });
    expect(logoutParamsFrom(query)).toEqual({
      idTokenHint: "a.b.c",
      clientId: "sp-x",
      postLogoutRedirectUri: "https://rp.example/bye",
      state: "s1",
    });
  });

  it("treats empty, absent and overlong values as absent, from a form too", () => {
    const form = new FormData();
    form.set("id_token_hint", "");
    form.set("state", "x".repeat(4097));
    form.set("client_id", new Blob(["sp-x"]));
    expect(logoutParamsFrom(form)).toEqual({
      idTokenHint: null,
      clientId: null,
      postLogoutRedirectUri: null,
      state: null,
    });
  });
});
