/**
 * Notification templates: what receivers use to turn template data into titles, messages and
 * bodies, with Go's text/template (the shared gotemplate engine). Like Alertmanager, one
 * template set holds the defaults (default.tmpl, the email templates) and the user's
 * `templates:` files; each config string (`title: '{{ template "slack.default.title" . }}'`) is
 * parsed as a new template in a copy of that set and run with `missingkey=zero`.
 */
import { readFileSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { TemplateError as GoTemplateError, htmlEscape, Template } from '../../gotemplate/index.ts';
import type { TemplateData } from './data.ts';
import { DEFAULT_TMPL, EMAIL_TMPL } from './default-templates.ts';
import { templateFuncs } from './funcs.ts';
import { glob } from './glob.ts';
import { goTemplateData } from './go-data.ts';

export type { TemplateAlert, TemplateData } from './data.ts';
export { templateData } from './data.ts';

/** A template that cannot be loaded or rendered; the message names it and says why. */
export class TemplateError extends Error {}

export interface NotificationTemplates {
  /** Renders a text template string. Throws TemplateError. */
  text(source: string, data: TemplateData): string;
  /** Renders an HTML template string: values from alerts are HTML-escaped. Throws TemplateError. */
  html(source: string, data: TemplateData): string;
  /** Parses a template string without running it; throws TemplateError with Go's message. */
  check(source: string): void;
}

/**
 * Reads the template files matched by the globs (relative to baseDir) into a set with the
 * defaults. A glob matching nothing is fine (Alertmanager allows it). Throws TemplateError for a
 * bad glob, an unreadable file or a template that does not parse.
 */
export function loadTemplates(
  globs: readonly string[],
  baseDir: string,
): { templates: NotificationTemplates; files: string[] } {
  const files: { path: string; text: string }[] = [];
  for (const pattern of globs) {
    const abs = isAbsolute(pattern) ? pattern : join(baseDir, pattern);
    let matched: string[];
    try {
      matched = glob(abs);
    } catch (err) {
      throw new TemplateError(`bad template glob ${JSON.stringify(pattern)}: ${(err as Error).message}`);
    }
    for (const path of matched) {
      try {
        files.push({ path, text: readFileSync(path, 'utf8') });
      } catch (err) {
        throw new TemplateError(`cannot read template file ${path}: ${(err as Error).message}`);
      }
    }
  }
  const text = buildSet('text', files);
  const html = buildSet('html', files);
  return { templates: new GoTemplates(text, html), files: files.map((f) => f.path) };
}

function buildSet(mode: 'text' | 'html', files: readonly { path: string; text: string }[]): Template {
  const set = Template.create({ name: '', funcs: templateFuncs(mode), missingKey: 'zero' });
  set.new('default.tmpl').parse(DEFAULT_TMPL);
  set.new('email.tmpl').parse(EMAIL_TMPL);
  for (const f of files) {
    try {
      // As Go's ParseGlob: each file is a template named after its base name.
      set.new(basename(f.path)).parse(f.text);
    } catch (err) {
      if (err instanceof GoTemplateError) throw new TemplateError(`${f.path}: ${err.message}`);
      throw err;
    }
  }
  return set;
}

/** Parsed config strings, by source; a template set never changes once loaded. */
const CACHE_LIMIT = 1000;

class GoTemplates implements NotificationTemplates {
  private readonly parsed = { text: new Map<string, Template>(), html: new Map<string, Template>() };

  constructor(
    private readonly textSet: Template,
    private readonly htmlSet: Template,
  ) {}

  text(source: string, data: TemplateData): string {
    if (source === '') return '';
    return this.run(this.compile('text', source), goTemplateData(data));
  }

  html(source: string, data: TemplateData): string {
    if (source === '') return '';
    return this.run(this.compile('html', source), goTemplateData(data, htmlEscape));
  }

  check(source: string): void {
    this.compile('text', source);
  }

  private compile(mode: 'text' | 'html', source: string): Template {
    const cache = this.parsed[mode];
    let t = cache.get(source);
    if (!t) {
      try {
        t = (mode === 'text' ? this.textSet : this.htmlSet).clone().new('').parse(source);
      } catch (err) {
        if (err instanceof GoTemplateError) throw new TemplateError(err.message);
        throw err;
      }
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(source, t);
    }
    return t;
  }

  private run(t: Template, data: unknown): string {
    try {
      return t.execute(data);
    } catch (err) {
      if (err instanceof GoTemplateError) throw new TemplateError(err.message);
      throw err;
    }
  }
}
