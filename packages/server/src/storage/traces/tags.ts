/**
 * Collects attribute keys and values as spans are stored, for the tag-name and tag-value APIs
 * (what Grafana's TraceQL editor autocompletes from). Bounded: at most `maxValuesPerKey` values
 * per key and values up to `maxValueLength` characters are kept; the rest are counted as seen
 * but not listed, like Tempo's own limits on these endpoints.
 */
import type { Attributes, AttributeValue, Resource, Span } from '../../model/span.ts';
import type { TagScope, TagValue } from './interface.ts';

/** One collected value, as stored. */
export interface TagRow {
  readonly scope: TagScope;
  readonly key: string;
  readonly type: TagValue['type'];
  readonly value: string;
}

/** Intrinsics whose values are collected (others, like status and kind, are fixed enums). */
export const COLLECTED_INTRINSICS = ['name', 'rootName', 'rootServiceName'] as const;

export class TagCollector {
  /** scope → key → value text → type. */
  private readonly keys = new Map<TagScope, Map<string, Map<string, TagValue['type']>>>();
  private readonly seenResources = new WeakSet<Resource>();

  constructor(
    private readonly maxValuesPerKey = 200,
    private readonly maxValueLength = 256,
  ) {}

  /** Adds a span's attributes, its resource's (once per resource object), scope, events and links. */
  addSpan(span: Span, serviceOfRoot?: string): void {
    this.addAttributes('span', span.attributes);
    if (!this.seenResources.has(span.resource)) {
      this.seenResources.add(span.resource);
      this.addAttributes('resource', span.resource.attributes);
    }
    if (span.scope.attributes.length > 0) this.addAttributes('instrumentation', span.scope.attributes);
    for (const e of span.events) this.addAttributes('event', e.attributes);
    for (const l of span.links) this.addAttributes('link', l.attributes);
    this.add('intrinsic', 'name', 'string', span.name);
    if (span.parentSpanId === '') {
      this.add('intrinsic', 'rootName', 'string', span.name);
      if (serviceOfRoot !== undefined) this.add('intrinsic', 'rootServiceName', 'string', serviceOfRoot);
    }
  }

  /** Adds a resource's attributes the first time this resource object is seen. */
  addResourceOnce(resource: Resource): void {
    if (this.seenResources.has(resource)) return;
    this.seenResources.add(resource);
    this.addAttributes('resource', resource.attributes);
  }

  addAttributes(scope: TagScope, attributes: Attributes): void {
    for (const a of attributes) {
      const typed = tagValueOf(a.value);
      if (typed) this.add(scope, a.key, typed.type, typed.value);
      else this.keyMap(scope, a.key);
    }
  }

  add(scope: TagScope, key: string, type: TagValue['type'], value: string): void {
    const values = this.keyMap(scope, key);
    if (values.size >= this.maxValuesPerKey || value.length > this.maxValueLength) return;
    values.set(value, type);
  }

  private keyMap(scope: TagScope, key: string): Map<string, TagValue['type']> {
    let keys = this.keys.get(scope);
    if (!keys) {
      keys = new Map();
      this.keys.set(scope, keys);
    }
    let values = keys.get(key);
    if (!values) {
      values = new Map();
      keys.set(key, values);
    }
    return values;
  }

  /** Keys per scope. */
  names(): Map<TagScope, Set<string>> {
    const out = new Map<TagScope, Set<string>>();
    for (const [scope, keys] of this.keys) out.set(scope, new Set(keys.keys()));
    return out;
  }

  /** Values of a key in a scope (undefined scope: span and resource). */
  values(scope: TagScope | undefined, key: string): TagValue[] {
    const out: TagValue[] = [];
    for (const s of scope ? [scope] : (['span', 'resource'] as const)) {
      const values = this.keys.get(s)?.get(key);
      if (values) for (const [value, type] of values) out.push({ type, value });
    }
    return out;
  }

  /** Everything collected, one row per value; keys without values get a row with value ''. */
  rows(): TagRow[] {
    const out: TagRow[] = [];
    for (const [scope, keys] of this.keys) {
      for (const [key, values] of keys) {
        if (values.size === 0) out.push({ scope, key, type: 'keyword', value: '' });
        for (const [value, type] of values) out.push({ scope, key, type, value });
      }
    }
    return out;
  }
}

/** A scalar attribute value as a tag value; arrays, maps, bytes and empty values have none. */
export function tagValueOf(v: AttributeValue): TagValue | undefined {
  switch (typeof v) {
    case 'string':
      return { type: 'string', value: v };
    case 'bigint':
      return { type: 'int', value: v.toString() };
    case 'number':
      return { type: 'float', value: String(v) };
    case 'boolean':
      return { type: 'bool', value: v ? 'true' : 'false' };
    default:
      return undefined;
  }
}
