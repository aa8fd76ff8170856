/**
 * End-to-end tests drive Debian's Chromium. Installs it when missing (as root,
 * as CI runs), or stops with the one command that does.
 */
import { execSync } from "node:child_process";
import { existsSync } from "node:fs";

const CHROMIUM = "/usr/bin/chromium";
const INSTALL = "apt-get update && apt-get install -y chromium";

if (!existsSync(CHROMIUM)) {
  if (process.getuid?.() === 0) {
    console.log(`Chromium is missing; installing it from Debian: ${INSTALL}`);
    execSync(INSTALL, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  } else {
    console.error(
      `End-to-end tests need Debian's Chromium at ${CHROMIUM}. Install it with:\n  sudo sh -c '${INSTALL}'`,
    );
    process.exit(1);
  }
}
