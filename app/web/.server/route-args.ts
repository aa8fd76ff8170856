import type { ActionFunctionArgs, AppLoadContext, LoaderFunctionArgs } from "react-router";

/**
 * A loader's or action's arguments with the Worker's load context typed
 * (`app/load-context.ts`). React Router 7 types `context` as `any` unless
 * middleware is on; every route takes these instead, so `context.deps` is checked.
 */
export type LoaderArgs = LoaderFunctionArgs<AppLoadContext>;
export type ActionArgs = ActionFunctionArgs<AppLoadContext>;
