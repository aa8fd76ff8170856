export * from "./access";
export * from "./audit";
export * from "./oidc";
export * from "./organizations";
export * from "./users";
