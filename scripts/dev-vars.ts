import { appendFileSync, copyFileSync, existsSync, readFileSync } from "node:fs";

function parse(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = line.match(/^\s*([A-Z0-9_]+)\s*=\s*"?(.*?)"?\s*$/);
    if (match) vars[match[1]] = match[2];
  }
  return vars;
}

/**
 * Creates .dev.vars from .dev.vars.example on a fresh clone, adds any secret the
 * example has gained since (an existing checkout keeps its own values), then reads it.
 */
export function readDevVars(): Record<string, string> {
  if (!existsSync(".dev.vars")) copyFileSync(".dev.vars.example", ".dev.vars");
  const example = parse(readFileSync(".dev.vars.example", "utf8"));
  const vars = parse(readFileSync(".dev.vars", "utf8"));
  const missing = Object.keys(example).filter((name) => !(name in vars));
  if (missing.length > 0) {
    appendFileSync(".dev.vars", `\n${missing.map((name) => `${name}="${example[name]}"`).join("\n")}\n`);
    for (const name of missing) vars[name] = example[name];
  }
  return vars;
}

if (import.meta.url === `file://${process.argv[1]}`) readDevVars();
