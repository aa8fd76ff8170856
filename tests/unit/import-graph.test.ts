import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The domain (`app/.server/`) knows no web framework: no module it imports, directly
 * or through `~/lib` and other helpers, imports React Router, React, Conform, Remix
 * or Hono, and no arrow runs back up into the doors (`app/web`, `app/routes`,
 * `app/components`, `app/root.tsx`, `worker/`). The adapters that speak the
 * framework live in `app/web/.server/`.
 */
const FRAMEWORK = /^(?:react|react-dom|react-router|hono)(?:\/|$)|^@(?:react-router|remix-run|conform-to)\//;
const DOORS = ["app/web/", "app/routes/", "app/components/", "app/root.tsx", "app/entry.", "worker/"];
const IMPORT =
  /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
const EXTENSIONS = ["", ".ts", ".tsx", "/index.ts", "/index.tsx"];

function specifiers(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(IMPORT)) out.push(m[1] ?? m[2]);
  return out;
}

function resolveLocal(root: string, from: string, spec: string): string | null {
  const base = spec.startsWith("~/")
    ? join(root, "app", spec.slice(2))
    : spec.startsWith(".")
      ? resolve(dirname(from), spec)
      : null;
  if (!base) return null;
  for (const ext of EXTENSIONS) {
    const file = base + ext;
    if (existsSync(file) && statSync(file).isFile()) return file;
  }
  return null;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? filesUnder(path) : /\.tsx?$/.test(e.name) ? [path] : [];
  });
}

/** Every way the domain reaches the framework or a door, as "a.ts -> b.ts -> react-router". */
function frameworkReach(root: string): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string[]>();
  const visit = (file: string, chain: string[]) => {
    if (seen.has(file)) return;
    seen.set(file, chain);
    const rel = relative(root, file);
    if (chain.length > 0 && DOORS.some((d) => rel.startsWith(d))) {
      problems.push([...chain, rel].join(" -> "));
      return;
    }
    for (const spec of specifiers(readFileSync(file, "utf8"))) {
      if (FRAMEWORK.test(spec)) problems.push([...chain, rel, spec].join(" -> "));
      const next = resolveLocal(root, file, spec);
      if (next) visit(next, [...chain, rel]);
    }
  };
  for (const file of filesUnder(join(root, "app", ".server"))) visit(file, []);
  return problems.sort();
}

describe("the domain imports no framework", () => {
  it("no module under app/.server reaches React Router, React, Conform, Remix, Hono or a door", () => {
    expect(frameworkReach(resolve("."))).toEqual([]);
  });

  it("finds a framework import two modules away, and an import of a door", () => {
    const root = mkdtempSync(join(tmpdir(), "import-graph-"));
    try {
      const write = (path: string, text: string) => {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), text);
      };
      write("app/.server/service.ts", 'import { helper } from "~/lib/helper";\nexport const s = helper;\n');
      write("app/lib/helper.ts", 'import type { AppLoadContext } from "react-router";\nexport const helper = 1;\n');
      write("app/.server/other.ts", 'import { guard } from "../web/.server/guards";\nexport const o = guard;\n');
      write("app/web/.server/guards.ts", "export const guard = 1;\n");
      expect(frameworkReach(root)).toEqual([
        "app/.server/other.ts -> app/web/.server/guards.ts",
        "app/.server/service.ts -> app/lib/helper.ts -> react-router",
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
