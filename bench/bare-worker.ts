import { Hono } from "hono";

/** The ceiling the HTTP bench compares against: a Hono worker answering a static string. */
const app = new Hono();
app.get("*", (c) => c.text("ok"));

export default app;
