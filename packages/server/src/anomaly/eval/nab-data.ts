/**
 * Reading the NAB corpus (../shared/datasets/nab): data files, label windows and profiles. Used by
 * bench/anomaly-nab.ts and the scorer's fixture test; not part of the server.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type NabProfile, parseNabProfiles, parseNabTime, windowsToRows } from './nab.ts';

/** One data file with its rows and label windows (as row ranges). */
export interface NabSeries {
  /** Path relative to data/, e.g. `realKnownCause/nyc_taxi.csv`. */
  readonly name: string;
  readonly times: Float64Array;
  readonly values: Float64Array;
  readonly windows: [number, number][];
}

/** Parses a `timestamp,value[,...]` CSV (CRLF or LF, final newline optional); extra columns are returned by name. */
export function parseNabCsv(text: string): { times: Float64Array; columns: Record<string, Float64Array> } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0].split(',').map((h) => h.trim());
  const rows = lines.length - 1;
  const times = new Float64Array(rows);
  const columns: Record<string, Float64Array> = {};
  for (let c = 1; c < header.length; c++) columns[header[c]] = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const cells = lines[i + 1].split(',');
    times[i] = parseNabTime(cells[0]);
    for (let c = 1; c < header.length; c++) columns[header[c]][i] = Number(cells[c]);
  }
  return { times, columns };
}

/** Loads every data file with its windows, sorted by name. */
export function loadNabCorpus(root: string, windowsFile = 'labels/combined_windows.json'): NabSeries[] {
  const windows = JSON.parse(readFileSync(join(root, windowsFile), 'utf8')) as Record<
    string,
    [string, string][]
  >;
  const out: NabSeries[] = [];
  for (const name of Object.keys(windows).sort()) {
    const { times, columns } = parseNabCsv(readFileSync(join(root, 'data', name), 'utf8'));
    out.push({ name, times, values: columns.value, windows: windowsToRows(times, windows[name]) });
  }
  return out;
}

/** The scoring profiles in config/profiles.json. */
export function loadNabProfiles(root: string): Record<string, NabProfile> {
  return parseNabProfiles(readFileSync(join(root, 'config', 'profiles.json'), 'utf8'));
}

/** Published normalised scores per detector and profile (results/final_results.json). */
export function loadNabScoreboard(root: string): Record<string, Record<string, number>> {
  return JSON.parse(readFileSync(join(root, 'results', 'final_results.json'), 'utf8'));
}

/** The categories (sub-folders of data/). */
export function nabCategories(root: string): string[] {
  return readdirSync(join(root, 'data'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}
