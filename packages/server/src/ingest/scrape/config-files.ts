import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseConfig } from '../../config/load.ts';
import { type ScrapeConfigInput, scrapeConfigFileSchema } from '../../config/scrape.ts';
import { ScrapeConfigError } from './config.ts';
import { expandGlob } from './discovery.ts';

/**
 * Loads the files named by `scrape_config_files` (globs, relative to `baseDir`; a `*` only in the
 * last path element) the way Prometheus does: each file holds only `scrape_configs`, and relative
 * paths inside it (file_sd files, credential and TLS files) are relative to that file, so they are
 * made absolute here. The result can be appended to the main file's scrape_configs.
 *
 * Throws ConfigError (file:line: key: problem) for invalid files and ScrapeConfigError for
 * unreadable ones.
 */
export async function loadScrapeConfigFiles(
  patterns: readonly string[],
  baseDir: string,
): Promise<ScrapeConfigInput[]> {
  const out: ScrapeConfigInput[] = [];
  for (const pattern of patterns) {
    const absolute = isAbsolute(pattern) ? pattern : resolve(baseDir, pattern);
    if (/[*?[]/.test(dirname(absolute))) {
      throw new ScrapeConfigError(
        `scrape_config_files entry ${JSON.stringify(pattern)}: wildcards are only allowed in the file name`,
      );
    }
    const files = await expandGlob(absolute);
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new ScrapeConfigError(`cannot read scrape config file ${file}: ${(err as Error).message}`);
      }
      const parsed = parseConfig(text, file, scrapeConfigFileSchema);
      for (const c of parsed.scrape_configs) out.push(withPathsRelativeTo(c, dirname(file)));
    }
  }
  return out;
}

/** A copy of the config whose relative file paths are resolved against `dir`. */
export function withPathsRelativeTo(c: ScrapeConfigInput, dir: string): ScrapeConfigInput {
  const abs = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : resolve(dir, p));
  return {
    ...c,
    bearer_token_file: abs(c.bearer_token_file),
    basic_auth: c.basic_auth && {
      ...c.basic_auth,
      username_file: abs(c.basic_auth.username_file),
      password_file: abs(c.basic_auth.password_file),
    },
    authorization: c.authorization && {
      ...c.authorization,
      credentials_file: abs(c.authorization.credentials_file),
    },
    tls_config: c.tls_config && {
      ...c.tls_config,
      ca_file: abs(c.tls_config.ca_file),
      cert_file: abs(c.tls_config.cert_file),
      key_file: abs(c.tls_config.key_file),
    },
    file_sd_configs: c.file_sd_configs.map((f) => ({ ...f, files: f.files.map((p) => abs(p)!) })),
  };
}
