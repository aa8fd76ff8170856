export * from "./access";
export * from "./audit";
export * from "./organizations";
export * from "./users";
