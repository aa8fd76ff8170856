import { integer } from "drizzle-orm/sqlite-core";

/** Milliseconds since the epoch; every time column uses it so comparisons stay numeric. */
export const timestamp = (name: string) => integer(name, { mode: "timestamp_ms" });

export const createdAt = () => timestamp("created_at").notNull();
