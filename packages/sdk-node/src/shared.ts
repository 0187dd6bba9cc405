/**
 * State shared by every copy of the package loaded into one process. An app can end up with two
 * copies (the ESM and the CommonJS build, or two versions under different node_modules); they
 * must still feed one registry and agree on settings, so the state lives on a global symbol,
 * as OpenTelemetry's API does. The key carries a version: a future incompatible layout gets a
 * new key instead of misreading this one.
 */

const KEY = Symbol.for('vigil.node.shared.v1');

/** What all copies share. Fields are read on hot paths, so they are plain properties. */
export interface SharedState {
  /** Whether metrics attach the active sampled span as an exemplar. */
  exemplars: boolean;
  /** The process-wide default metrics registry, created by whichever copy needed it first. */
  registry: unknown;
  /** The observer made by `observe()`, until it is shut down. */
  observer: unknown;
  /** Process-wide singletons (listeners, channels) by name, so each is set up once. */
  singletons: Map<string, unknown>;
}

/** The shared state, created on first use. */
export function sharedState(): SharedState {
  const g = globalThis as { [KEY]?: SharedState };
  let state = g[KEY];
  if (state === undefined) {
    state = { exemplars: true, registry: undefined, observer: undefined, singletons: new Map() };
    g[KEY] = state;
  }
  return state;
}

/** The process-wide singleton named `name`, made by `create` the first time. */
export function singleton<T>(name: string, create: () => T): T {
  const all = sharedState().singletons;
  let value = all.get(name) as T | undefined;
  if (value === undefined) {
    value = create();
    all.set(name, value);
  }
  return value;
}
