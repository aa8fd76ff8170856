import { copyFileSync, existsSync, readFileSync } from "node:fs";

/** Creates .dev.vars from .dev.vars.example on a fresh clone, then reads it. */
export function readDevVars(): Record<string, string> {
  if (!existsSync(".dev.vars")) copyFileSync(".dev.vars.example", ".dev.vars");
  const vars: Record<string, string> = {};
  for (const line of readFileSync(".dev.vars", "utf8").split("\n")) {
    const match = line.match(/^\s*([A-Z0-9_]+)\s*=\s*"?(.*?)"?\s*$/);
    if (match) vars[match[1]] = match[2];
  }
  return vars;
}

if (import.meta.url === `file://${process.argv[1]}`) readDevVars();
