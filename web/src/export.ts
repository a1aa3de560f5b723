/** Client-side exports of what a list shows (the API pages through; the browser assembles the file). */

function download(name: string, type: string, body: string): void {
  const url = URL.createObjectURL(new Blob([body], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  // Leading = + - @ would be formulas in a spreadsheet: neutralise them.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function downloadCsv<T>(name: string, rows: readonly T[], columns: readonly [string, (r: T) => unknown][]): void {
  const lines = [columns.map(([h]) => csvCell(h)).join(',')];
  for (const r of rows) lines.push(columns.map(([, f]) => csvCell(f(r))).join(','));
  download(name, 'text/csv;charset=utf-8', `${lines.join('\r\n')}\r\n`);
}

export function downloadJson(name: string, value: unknown): void {
  download(name, 'application/json', JSON.stringify(value, null, 2));
}
