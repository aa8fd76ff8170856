export * from "./users";
export * from "./organizations";
export * from "./access";
export * from "./audit";
