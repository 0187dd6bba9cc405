import { readFileSync } from 'node:fs';

/**
 * Vigil's version, from @vigil/server's package.json. Looked up by walking up from this module,
 * so it is found both from the TypeScript sources (src/self/) and from the bundle (dist/).
 */
export const VIGIL_VERSION = ((): string => {
  for (const rel of ['../package.json', '../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === '@vigil/server' && pkg.version) return pkg.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
})();
