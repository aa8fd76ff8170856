/**
 * The browser's copy of the server's parser, in its own chunk: zod and Conform's zod
 * adapter load when someone starts filling in a form, not with the page (see `useSchemaForm`).
 */
export { parseWithZod } from "@conform-to/zod/v4";
