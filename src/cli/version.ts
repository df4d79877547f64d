import { readFileSync } from 'node:fs';

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    return pkg.version;
  } catch {
    // A bundled copy (the e2e tests' single-file build) has no package.json at that path.
    return 'unknown';
  }
}

/** The package version, read from package.json (same relative path from src/ and dist/). */
export const VERSION: string = readVersion();
