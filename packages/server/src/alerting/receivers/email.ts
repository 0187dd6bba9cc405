/**
 * email_configs: one email per notification over SMTP (nodemailer), with Alertmanager's
 * connection rules: port 465 speaks TLS from the start; otherwise `require_tls` (default true)
 * demands STARTTLS and fails if the server does not offer it, and without it the connection stays
 * plain. Authentication happens when a username is set. Headers (Subject, To, From by default)
 * are templates.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import nodemailer from 'nodemailer';
import type { EmailConfig } from '../../config/alerting.ts';
import { splitHostPort } from '../../config/alerting.ts';
import type { AmAlert } from '../alert.ts';
import { readSecretFile } from './http.ts';
import { dataFor, type Notifier, type NotifyContext, NotifyError, type ReceiverEnv } from './notifier.ts';

export class EmailNotifier implements Notifier {
  constructor(
    private readonly config: EmailConfig,
    private readonly env: ReceiverEnv,
  ) {}

  async notify(ctx: NotifyContext, alerts: readonly AmAlert[]): Promise<void> {
    const c = this.config;
    const data = dataFor(this.env, ctx, alerts);
    const render = (what: string, src: string, html = false): string => {
      try {
        return html ? this.env.templates.html(src, data) : this.env.templates.text(src, data);
      } catch (err) {
        throw new NotifyError(`execute ${what} template: ${(err as Error).message}`, false);
      }
    };
    const headers: Record<string, string> = { ...c.headers };
    headers.Subject ??= '{{ template "email.default.subject" . }}';
    headers.To ??= c.to;
    headers.From ??= c.from;
    const rendered: Record<string, string> = {};
    for (const [name, src] of Object.entries(headers))
      rendered[name] = render(`${JSON.stringify(name)} header`, src);
    const envelopeFrom = render("'from'", c.from);
    const envelopeTo = render("'to'", c.to);
    const text = c.text ? render('text', c.text) : undefined;
    const html = c.html ? render('html', c.html, true) : undefined;

    const hp = splitHostPort(c.smarthost)!;
    const implicitTls = hp.port === '465';
    const password = c.auth_password_file ? readSecretFile(c.auth_password_file) : c.auth_password;
    const tls = c.tls_config;
    const transport = nodemailer.createTransport({
      host: hp.host,
      port: Number(hp.port),
      secure: implicitTls,
      requireTLS: !implicitTls && c.require_tls,
      // Alertmanager only upgrades the connection when require_tls says so.
      ignoreTLS: !implicitTls && !c.require_tls,
      name: c.hello || undefined,
      auth: c.auth_username ? { user: c.auth_username, pass: password } : undefined,
      tls: {
        // SNI carries host names only.
        servername: tls.server_name || (isIP(hp.host) ? undefined : hp.host),
        rejectUnauthorized: !tls.insecure_skip_verify,
        ca: tls.ca ?? (tls.ca_file ? readFileSync(tls.ca_file) : undefined),
        cert: tls.cert ?? (tls.cert_file ? readFileSync(tls.cert_file) : undefined),
        key: tls.key ?? (tls.key_file ? readFileSync(tls.key_file) : undefined),
      },
      connectionTimeout: 30_000,
      greetingTimeout: 30_000,
      socketTimeout: 60_000,
    });
    const { Subject, To, From, ...extra } = rendered;
    // nodemailer takes no abort signal: on abort, close the connection and stop waiting.
    let onAbort: () => void = () => {};
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => {
        reject(ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('canceled'));
        closeQuietly(transport);
      };
      if (ctx.signal.aborted) onAbort();
      else ctx.signal.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => undefined);
    try {
      await Promise.race([
        transport.sendMail({
          subject: Subject,
          to: To,
          from: From,
          headers: extra,
          envelope: { from: envelopeFrom, to: envelopeTo },
          text,
          html,
        }),
        aborted,
      ]);
    } catch (err) {
      const e = err as Error & { code?: string; responseCode?: number };
      if (ctx.signal.aborted) throw new NotifyError(`email canceled: ${e.message}`, true);
      // Wrong addresses or templates will not fix themselves; everything else may.
      const permanent = e.code === 'EENVELOPE' && !e.responseCode;
      throw new NotifyError(`send email to ${c.smarthost}: ${e.message}`, !permanent);
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      closeQuietly(transport);
    }
  }
}

/** Closing a transport mid-connection can throw; the connection is being abandoned anyway. */
function closeQuietly(transport: { close(): void }): void {
  try {
    transport.close();
  } catch {
    // Nothing to do.
  }
}
