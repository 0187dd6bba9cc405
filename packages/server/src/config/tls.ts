/**
 * prometheus/common's `tls_config`, shared by scrape configs, Alertmanager receivers and probe
 * modules: each builds its schema from these fields (probes give `server_name` a default) and
 * the same check.
 */
import { z } from 'zod';

const TLS_VERSIONS = ['TLS10', 'TLS11', 'TLS12', 'TLS13'] as const;

export const tlsFields = {
  ca: z.string().optional(),
  ca_file: z.string().optional(),
  cert: z.string().optional(),
  cert_file: z.string().optional(),
  key: z.string().optional(),
  key_file: z.string().optional(),
  server_name: z.string().optional(),
  insecure_skip_verify: z.boolean().default(false),
  min_version: z.enum(TLS_VERSIONS).optional(),
  max_version: z.enum(TLS_VERSIONS).optional(),
};

interface TlsFileFields {
  ca?: string;
  ca_file?: string;
  cert?: string;
  cert_file?: string;
  key?: string;
  key_file?: string;
}

/** Inline and file forms exclude each other; a client certificate needs its key. */
export function checkTlsConfig(t: TlsFileFields, ctx: z.RefinementCtx): void {
  for (const [a, b] of [
    ['ca', 'ca_file'],
    ['cert', 'cert_file'],
    ['key', 'key_file'],
  ] as const) {
    if (t[a] !== undefined && t[b] !== undefined)
      ctx.addIssue({ code: 'custom', message: `at most one of ${a} and ${b} can be set` });
  }
  const hasCert = t.cert !== undefined || t.cert_file !== undefined;
  const hasKey = t.key !== undefined || t.key_file !== undefined;
  if (hasCert !== hasKey) {
    ctx.addIssue({
      code: 'custom',
      message: 'a client certificate needs both cert (or cert_file) and key (or key_file)',
    });
  }
}

export const tlsConfigSchema = z.object(tlsFields).strict().superRefine(checkTlsConfig);

/** TLS settings for HTTPS requests and SMTP STARTTLS. */
export type TlsConfig = z.infer<typeof tlsConfigSchema>;
