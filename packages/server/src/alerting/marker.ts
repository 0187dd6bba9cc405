/**
 * What is known about each alert's suppression (Alertmanager's types.Marker): the silences and
 * inhibiting alerts that mute it, and so its state: unprocessed, active or suppressed. The
 * silencer and inhibitor update it whenever they are asked about an alert.
 */

export type AlertState = 'unprocessed' | 'active' | 'suppressed';

/** One alert's status, as the API shows it. */
export interface AlertStatus {
  readonly state: AlertState;
  readonly silencedBy: readonly string[];
  readonly inhibitedBy: readonly string[];
}

interface Entry {
  state: AlertState;
  silencedBy: readonly string[];
  inhibitedBy: readonly string[];
  pendingSilences: readonly string[];
  silencesVersion: number;
}

export class Marker {
  private readonly entries = new Map<string, Entry>();

  /** Records the complete set of active (and pending) silences for the alert. */
  setSilenced(
    fp: string,
    version: number,
    activeIds: readonly string[],
    pendingIds: readonly string[],
  ): void {
    const e = this.entry(fp);
    e.silencedBy = activeIds;
    e.pendingSilences = pendingIds;
    e.silencesVersion = version;
    e.state = activeIds.length === 0 && e.inhibitedBy.length === 0 ? 'active' : 'suppressed';
  }

  /** Records the alerts inhibiting this one (Alertmanager keeps at most one). */
  setInhibited(fp: string, ids: readonly string[]): void {
    const e = this.entry(fp);
    e.inhibitedBy = ids;
    e.state = ids.length === 0 && e.silencedBy.length === 0 ? 'active' : 'suppressed';
  }

  status(fp: string): AlertStatus {
    const e = this.entries.get(fp);
    if (!e) return { state: 'unprocessed', silencedBy: [], inhibitedBy: [] };
    return { state: e.state, silencedBy: e.silencedBy, inhibitedBy: e.inhibitedBy };
  }

  /** The silences last recorded for the alert and the silence-state version they were computed at. */
  silenced(fp: string): { activeIds: readonly string[]; pendingIds: readonly string[]; version: number } {
    const e = this.entries.get(fp);
    return e
      ? { activeIds: e.silencedBy, pendingIds: e.pendingSilences, version: e.silencesVersion }
      : { activeIds: [], pendingIds: [], version: 0 };
  }

  delete(fp: string): void {
    this.entries.delete(fp);
  }

  /** How many alerts are in each state. */
  count(state: AlertState): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.state === state) n++;
    return n;
  }

  private entry(fp: string): Entry {
    let e = this.entries.get(fp);
    if (!e) {
      e = { state: 'active', silencedBy: [], inhibitedBy: [], pendingSilences: [], silencesVersion: 0 };
      this.entries.set(fp, e);
    }
    return e;
  }
}
