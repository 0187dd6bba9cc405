import { RE2JS } from 're2js';
import { z } from 'zod';
import { isValidUtf8Name } from '../model/labels.ts';
import { checkTlsConfig, tlsFields } from './tls.ts';
import { byteSize, durationMs } from './units.ts';

/**
 * The `probes:` section: synthetic probes configured like the Prometheus blackbox exporter.
 * `modules` takes blackbox exporter modules in the exporter's own YAML shape (so a blackbox.yml's
 * `modules:` can be pasted), on top of the modules of the exporter's example configuration,
 * which always exist unless redefined. `targets` schedules probes whose results are stored with
 * `job` and `instance` labels; GET /probe?target=&module= answers like the exporter. Owned by probes/.
 *
 * ```yaml
 * probes:
 *   modules:
 *     http_api:
 *       prober: http
 *       timeout: 5s
 *       http: { valid_status_codes: [200, 204], fail_if_body_not_matches_regexp: ['"ok"'] }
 *   targets:
 *     - job: api
 *       module: http_api
 *       interval: 30s
 *       targets: ['https://api.example.com/health']
 * ```
 */

/** A Go (RE2) regular expression, checked at load time; matching is unanchored as in the exporter. */
const goRegexp = z.string().superRefine((re, ctx) => {
  try {
    RE2JS.compile(re);
  } catch (err) {
    ctx.addIssue({
      code: 'custom',
      message: `invalid regular expression ${JSON.stringify(re)}: ${(err as Error).message}`,
    });
  }
});

/** prometheus/common's tls_config; an empty server_name means "the target's host". */
const tlsConfigSchema = z
  .object({ ...tlsFields, server_name: z.string().default('') })
  .strict()
  .superRefine(checkTlsConfig);
export type ProbeTlsConfig = z.infer<typeof tlsConfigSchema>;

const ipProtocol = z
  .enum(['ip4', 'ip6', ''], { error: 'preferred_ip_protocol must be "ip4" or "ip6"' })
  .default('ip6')
  .transform((p) => (p === '' ? 'ip6' : p));

const notSupported = (what: string, hint: string) =>
  z
    .unknown()
    .superRefine((v, ctx) => {
      if (v !== undefined && v !== null && v !== false && v !== '')
        ctx.addIssue({ code: 'custom', message: `${what} is not supported by Vigil's probes; ${hint}` });
    })
    .optional();

const headerMatchSchema = z
  .object({
    header: z.string().min(1, 'header must name a response header'),
    regexp: goRegexp,
    allow_missing: z.boolean().default(false),
  })
  .strict();

const httpProbeSchema = z
  .object({
    /** Accepted status codes; empty = any 2xx. */
    valid_status_codes: z.array(z.number().int()).default([]),
    /** Accepted versions, e.g. ["HTTP/1.1"]; empty = any. */
    valid_http_versions: z.array(z.string()).default([]),
    method: z.string().default('GET'),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.string().default(''),
    body_file: z.string().default(''),
    body_size_limit: byteSize.default(0),
    compression: z.enum(['', 'gzip', 'deflate', 'br', 'identity']).default(''),
    follow_redirects: z.boolean().default(true),
    /** Deprecated in the exporter; overrides follow_redirects when set. */
    no_follow_redirects: z.boolean().optional(),
    fail_if_ssl: z.boolean().default(false),
    fail_if_not_ssl: z.boolean().default(false),
    fail_if_body_matches_regexp: z.array(goRegexp).default([]),
    fail_if_body_not_matches_regexp: z.array(goRegexp).default([]),
    fail_if_header_matches: z.array(headerMatchSchema).default([]),
    fail_if_header_not_matches: z.array(headerMatchSchema).default([]),
    tls_config: tlsConfigSchema.prefault({}),
    basic_auth: z
      .object({
        username: z.string().default(''),
        password: z.string().optional(),
        password_file: z.string().optional(),
      })
      .strict()
      .optional(),
    bearer_token: z.string().optional(),
    bearer_token_file: z.string().optional(),
    authorization: z
      .object({
        type: z.string().default('Bearer'),
        credentials: z.string().optional(),
        credentials_file: z.string().optional(),
      })
      .strict()
      .optional(),
    preferred_ip_protocol: ipProtocol,
    ip_protocol_fallback: z.boolean().default(true),
    /** Accepted for compatibility; Vigil's prober speaks HTTP/1.1. */
    enable_http2: z.boolean().default(true),
    enable_http3: notSupported('enable_http3', 'probe over HTTP/1.1'),
    proxy_url: notSupported('proxy_url', 'probe the target directly'),
    proxy_from_environment: notSupported('proxy_from_environment', 'probe the target directly'),
    skip_resolve_phase_with_proxy: z.boolean().default(false),
    oauth2: notSupported('oauth2', 'use authorization or bearer_token'),
    fail_if_body_json_matches_cel: notSupported(
      'fail_if_body_json_matches_cel',
      'use fail_if_body_matches_regexp',
    ),
    fail_if_body_json_not_matches_cel: notSupported(
      'fail_if_body_json_not_matches_cel',
      'use fail_if_body_not_matches_regexp',
    ),
  })
  .strict()
  .superRefine((h, ctx) => {
    if (h.body !== '' && h.body_file !== '')
      ctx.addIssue({ code: 'custom', message: 'setting body and body_file both are not allowed' });
    if (h.bearer_token !== undefined && h.bearer_token_file !== undefined)
      ctx.addIssue({
        code: 'custom',
        message: 'at most one of bearer_token and bearer_token_file can be set',
      });
    if (h.basic_auth?.password !== undefined && h.basic_auth.password_file !== undefined)
      ctx.addIssue({
        code: 'custom',
        message: 'at most one of basic_auth password and password_file can be set',
      });
    const auths = [h.basic_auth, h.authorization, h.bearer_token ?? h.bearer_token_file].filter(
      (a) => a !== undefined,
    );
    if (auths.length > 1)
      ctx.addIssue({
        code: 'custom',
        message:
          'at most one of basic_auth, authorization and bearer_token (or bearer_token_file) can be set',
      });
  })
  .transform(({ no_follow_redirects, ...h }) => ({
    ...h,
    follow_redirects: no_follow_redirects === undefined ? h.follow_redirects : !no_follow_redirects,
  }));
export type HttpProbeConfig = z.infer<typeof httpProbeSchema>;

const queryResponseSchema = z
  .object({
    expect: goRegexp.optional(),
    expect_bytes: z.string().optional(),
    send: z.string().optional(),
    starttls: z.boolean().default(false),
    /** probe_expect_info labels; values may use ${1} / ${name} from the expect match. */
    labels: z.array(z.object({ name: z.string(), value: z.string() }).strict()).optional(),
  })
  .strict();

const tcpProbeSchema = z
  .object({
    preferred_ip_protocol: ipProtocol,
    ip_protocol_fallback: z.boolean().default(true),
    source_ip_address: z.string().default(''),
    query_response: z.array(queryResponseSchema).default([]),
    tls: z.boolean().default(false),
    tls_config: tlsConfigSchema.prefault({}),
  })
  .strict();
export type TcpProbeConfig = z.infer<typeof tcpProbeSchema>;

/** The resource record types and classes the DNS prober can ask for, as named by miekg/dns. */
export const DNS_TYPES: Readonly<Record<string, number>> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  NAPTR: 35,
  DNAME: 39,
  DS: 43,
  SSHFP: 44,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  TLSA: 52,
  SVCB: 64,
  HTTPS: 65,
  SPF: 99,
  AXFR: 252,
  ANY: 255,
  CAA: 257,
};
export const DNS_CLASSES: Readonly<Record<string, number>> = {
  IN: 1,
  CS: 2,
  CH: 3,
  HS: 4,
  NONE: 254,
  ANY: 255,
};
export const DNS_RCODES: Readonly<Record<string, number>> = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
  BADSIG: 16,
  BADKEY: 17,
  BADTIME: 18,
  BADMODE: 19,
  BADNAME: 20,
  BADALG: 21,
  BADTRUNC: 22,
  BADCOOKIE: 23,
};

const oneOf = (table: Readonly<Record<string, number>>, what: string) =>
  z.string().refine((v) => v in table, {
    error: (issue) =>
      `unknown ${what} ${JSON.stringify(issue.input)}; use one of ${Object.keys(table).join(', ')}`,
  });

const rrValidatorSchema = z
  .object({
    fail_if_matches_regexp: z.array(goRegexp).default([]),
    fail_if_all_match_regexp: z.array(goRegexp).default([]),
    fail_if_not_matches_regexp: z.array(goRegexp).default([]),
    fail_if_none_matches_regexp: z.array(goRegexp).default([]),
  })
  .strict();
export type DnsRrValidator = z.infer<typeof rrValidatorSchema>;

const dnsProbeSchema = z
  .object({
    preferred_ip_protocol: ipProtocol,
    ip_protocol_fallback: z.boolean().default(true),
    source_ip_address: z.string().default(''),
    transport_protocol: z
      .enum(['udp', 'tcp', ''])
      .default('udp')
      .transform((p) => (p === '' ? 'udp' : p)),
    dns_over_tls: z.boolean().default(false),
    tls_config: tlsConfigSchema.prefault({}),
    query_name: z
      .string({ error: 'query name must be set for DNS module' })
      .min(1, 'query name must be set for DNS module'),
    query_type: oneOf(DNS_TYPES, 'query_type').default('ANY'),
    query_class: oneOf(DNS_CLASSES, 'query_class').default('IN'),
    recursion_desired: z.boolean().default(true),
    valid_rcodes: z.array(oneOf(DNS_RCODES, 'rcode')).default(['NOERROR']),
    validate_answer_rrs: rrValidatorSchema.prefault({}),
    validate_authority_rrs: rrValidatorSchema.prefault({}),
    validate_additional_rrs: rrValidatorSchema.prefault({}),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.dns_over_tls && d.transport_protocol !== 'tcp')
      ctx.addIssue({ code: 'custom', message: 'dns_over_tls needs transport_protocol: tcp' });
  });
export type DnsProbeConfig = z.infer<typeof dnsProbeSchema>;

const grpcProbeSchema = z
  .object({
    service: z.string().default(''),
    tls: z.boolean().default(false),
    tls_config: tlsConfigSchema.prefault({}),
    preferred_ip_protocol: ipProtocol,
    ip_protocol_fallback: z.boolean().default(true),
    metadata: z.record(z.string(), z.union([z.string(), z.array(z.string())])).default({}),
  })
  .strict();
export type GrpcProbeConfig = z.infer<typeof grpcProbeSchema>;

const PROBERS = ['http', 'tcp', 'dns', 'grpc'] as const;
/**
 * Probers of the exporter that Vigil does not run. Modules using them are accepted (so a whole
 * blackbox.yml can be pasted) but cannot be scheduled, and /probe answers 400 for them.
 */
export const UNSUPPORTED_PROBERS: Readonly<Record<string, string>> = {
  icmp: 'ICMP needs raw sockets, which Node.js cannot open; probe a TCP port with prober: tcp instead',
  unix: 'Unix socket probes are not implemented',
  websocket: 'WebSocket probes are not implemented; probe the HTTP endpoint with prober: http',
};

/** One blackbox exporter module. */
export const probeModuleSchema = z
  .object({
    prober: z.string().superRefine((p, ctx) => {
      if (!(p in UNSUPPORTED_PROBERS) && !(PROBERS as readonly string[]).includes(p))
        ctx.addIssue({
          code: 'custom',
          message: `prober '${p}' is not valid; use one of ${PROBERS.join(', ')}`,
        });
    }),
    /** 0 = as long as the scrape (or schedule) allows. */
    timeout: durationMs.prefault('0s'),
    http: httpProbeSchema.prefault({}),
    tcp: tcpProbeSchema.prefault({}),
    dns: z.unknown().optional(),
    grpc: grpcProbeSchema.prefault({}),
    icmp: z.unknown().optional(),
    unix: z.unknown().optional(),
    websocket: z.unknown().optional(),
  })
  .strict()
  .transform((m, ctx) => {
    // A DNS section is only validated (query_name is required) for DNS modules, as in the exporter.
    let dns: DnsProbeConfig | undefined;
    if (m.prober === 'dns') {
      const parsed = dnsProbeSchema.safeParse(m.dns ?? {});
      if (!parsed.success) {
        for (const issue of parsed.error.issues)
          ctx.addIssue({ ...issue, path: ['dns', ...issue.path] } as never);
        return z.NEVER;
      }
      dns = parsed.data;
    }
    return {
      prober: m.prober as (typeof PROBERS)[number] | 'icmp' | 'unix' | 'websocket',
      timeout: m.timeout,
      http: m.http,
      tcp: m.tcp,
      dns,
      grpc: m.grpc,
    };
  });
export type ProbeModule = z.infer<typeof probeModuleSchema>;

/**
 * The modules of the blackbox exporter's example configuration (blackbox.yml), which exist by
 * default; `dns_udp` and `dns_tcp` are added so that a DNS server can be checked without
 * configuration (they ask for example.com's A record).
 */
export const DEFAULT_PROBE_MODULES: Readonly<Record<string, unknown>> = {
  http_2xx: { prober: 'http', http: { preferred_ip_protocol: 'ip4' } },
  http_post_2xx: { prober: 'http', http: { method: 'POST' } },
  tcp_connect: { prober: 'tcp' },
  pop3s_banner: {
    prober: 'tcp',
    tcp: { query_response: [{ expect: '^+OK' }], tls: true, tls_config: { insecure_skip_verify: false } },
  },
  grpc: { prober: 'grpc', grpc: { tls: true, preferred_ip_protocol: 'ip4' } },
  grpc_plain: { prober: 'grpc', grpc: { tls: false, service: 'service1' } },
  ssh_banner: {
    prober: 'tcp',
    tcp: { query_response: [{ expect: '^SSH-2.0-' }, { send: 'SSH-2.0-blackbox-ssh-check' }] },
  },
  ssh_banner_extract: {
    prober: 'tcp',
    timeout: '5s',
    tcp: {
      query_response: [
        {
          expect: '^SSH-2.0-([^ -]+)(?: (.*))?$',
          labels: [
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a Go regexp expansion template, not a JS one
            { name: 'ssh_version', value: '${1}' },
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a Go regexp expansion template, not a JS one
            { name: 'ssh_comments', value: '${2}' },
          ],
        },
      ],
    },
  },
  irc_banner: {
    prober: 'tcp',
    tcp: {
      query_response: [
        { send: 'NICK prober' },
        { send: 'USER prober prober prober :prober' },
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a Go regexp expansion template, not a JS one
        { expect: 'PING :([^ ]+)', send: 'PONG ${1}' },
        { expect: '^:[^ ]+ 001' },
      ],
    },
  },
  dns_udp: { prober: 'dns', dns: { query_name: 'example.com', query_type: 'A' } },
  dns_tcp: { prober: 'dns', dns: { transport_protocol: 'tcp', query_name: 'example.com', query_type: 'A' } },
};

const labelSetSchema = z.record(z.string(), z.string()).superRefine((labels, ctx) => {
  for (const name of Object.keys(labels)) {
    if (!isValidUtf8Name(name) || name.startsWith('__'))
      ctx.addIssue({ code: 'custom', message: `invalid label name ${JSON.stringify(name)}`, path: [name] });
    if (name === 'job' || name === 'instance')
      ctx.addIssue({
        code: 'custom',
        message: `label "${name}" is set by Vigil; use the job or targets keys`,
        path: [name],
      });
  }
});

/** A group of scheduled probe targets. */
const probeTargetsSchema = z
  .object({
    /** The `job` label of the stored series. */
    job: z.string().min(1, 'job must not be empty'),
    module: z.string().default('http_2xx'),
    /** How often to probe; default global.scrape_interval. */
    interval: durationMs.optional(),
    /** Deadline of each probe; default global.scrape_timeout, at most the interval. */
    timeout: durationMs.optional(),
    /** Each target becomes the `instance` label, as in the usual blackbox relabelling. */
    targets: z.array(z.string().min(1)).min(1, 'targets needs at least one entry'),
    labels: labelSetSchema.default({}),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.interval !== undefined && t.interval <= 0)
      ctx.addIssue({ code: 'custom', message: 'interval must be longer than 0s', path: ['interval'] });
    if (t.timeout !== undefined && t.interval !== undefined && t.timeout > t.interval)
      ctx.addIssue({
        code: 'custom',
        message: 'timeout must not be longer than interval',
        path: ['timeout'],
      });
  });
export type ProbeTargetsConfig = z.infer<typeof probeTargetsSchema>;

/** The `probes:` section (blackbox-exporter-style modules and probe targets). Owned by probes/. */
export const probesConfigSchema = z
  .object({
    modules: z.record(z.string(), probeModuleSchema).default({}),
    targets: z.array(probeTargetsSchema).default([]),
  })
  .strict()
  .superRefine((p, ctx) => {
    const known = new Set([...Object.keys(DEFAULT_PROBE_MODULES), ...Object.keys(p.modules)]);
    const seen = new Set<string>();
    p.targets.forEach((t, i) => {
      const prober = p.modules[t.module]?.prober;
      if (prober !== undefined && prober in UNSUPPORTED_PROBERS)
        ctx.addIssue({
          code: 'custom',
          message: `module "${t.module}" uses prober '${prober}', which Vigil cannot run: ${UNSUPPORTED_PROBERS[prober]}`,
          path: ['targets', i, 'module'],
        });
      if (!known.has(t.module))
        ctx.addIssue({
          code: 'custom',
          message: `unknown module "${t.module}"; define it under probes.modules or use one of ${[...known].sort().join(', ')}`,
          path: ['targets', i, 'module'],
        });
      for (const target of t.targets) {
        const key = `${t.job}\u0000${target}`;
        if (seen.has(key))
          ctx.addIssue({
            code: 'custom',
            message: `target "${target}" appears twice in job "${t.job}"; its series would collide`,
            path: ['targets', i, 'targets'],
          });
        seen.add(key);
      }
    });
  });
export type ProbesConfig = z.infer<typeof probesConfigSchema>;

/** The default modules, parsed. */
export function defaultProbeModules(): Record<string, ProbeModule> {
  const out: Record<string, ProbeModule> = {};
  for (const [name, raw] of Object.entries(DEFAULT_PROBE_MODULES)) out[name] = probeModuleSchema.parse(raw);
  return out;
}
