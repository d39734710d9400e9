import type { RunReport } from '../loadtest/report.js';

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] as string);

/** An inline SVG line chart of (x, y) points with labelled axes; no script, no network. */
export function lineChart(title: string, unit: string, points: readonly (readonly [number, number])[]): string {
  const [width, height, pad] = [560, 200, 40];
  const maxX = Math.max(1, ...points.map(([x]) => x));
  const maxY = Math.max(1, ...points.map(([, y]) => y));
  const scale = ([x, y]: readonly [number, number]) =>
    `${(pad + (x / maxX) * (width - 2 * pad)).toFixed(1)},${(height - pad - (y / maxY) * (height - 2 * pad)).toFixed(1)}`;
  const line = points.length > 1 ? `<polyline fill="none" stroke="#1f6feb" stroke-width="2" points="${points.map(scale).join(' ')}"/>` : '';
  const dots = points.map((point) => `<circle r="3" fill="#1f6feb" cx="${scale(point).split(',')[0]}" cy="${scale(point).split(',')[1]}"/>`).join('');
  return `<figure><figcaption>${escapeHtml(title)}</figcaption>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}">
<line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="#555"/>
<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${height - pad}" stroke="#555"/>
<text x="${pad}" y="${pad - 8}" font-size="11">${maxY.toFixed(1)} ${escapeHtml(unit)}</text>
<text x="${width - pad}" y="${height - pad + 16}" font-size="11" text-anchor="end">${maxX.toFixed(0)} s</text>
<text x="${pad}" y="${height - pad + 16}" font-size="11">0 s</text>
${line}${dots}</svg></figure>`;
}

function runSection(report: RunReport): string {
  const figures: [string, string][] = [
    ['course', report.course_id ?? '-'], ['started', report.started], ['ended', report.ended ?? 'running'],
    ['duration', report.duration_seconds === null ? '-' : `${report.duration_seconds} s`],
    ['events sent', String(report.events_sent ?? '-')], ['xAPI rows in ClickHouse', String(report.rows_in_clickhouse)],
    ['samples', String(report.samples)], ['peak rows/s', String(report.peak_rows_per_second ?? '-')],
    ['mean rows/s', String(report.mean_rows_per_second ?? '-')],
    ['lag p50 / p95 / max', `${report.lag_p50_seconds ?? '-'} / ${report.lag_p95_seconds ?? '-'} / ${report.lag_max_seconds ?? '-'} s`],
  ];
  const rates = report.series.filter((each) => each.rows_per_second !== null).map((each) => [each.at, each.rows_per_second as number] as const);
  const lags = report.series.map((each) => [each.at, each.lag_seconds] as const);
  return `<section><h2>Run ${escapeHtml(report.run_id)}</h2>
<table>${figures.map(([name, value]) => `<tr><th>${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`).join('')}</table>
${lineChart('Rows reaching ClickHouse per second', 'rows/s', rates)}
${lineChart('ClickHouse lag', 's', lags)}</section>`;
}

/** A self-contained HTML page of load-test reports (inline SVG charts, inline CSS). */
export function reportHtml(reports: readonly RunReport[]): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>aspects load-test report</title>
<style>body{font-family:sans-serif;margin:2em;color:#222}th{text-align:left;padding-right:1em}figure{margin:1em 0}figcaption{font-weight:bold}</style>
</head><body><h1>aspects load-test report</h1>
${reports.length === 0 ? '<p>No load-test runs recorded.</p>' : reports.map(runSection).join('\n')}
</body></html>
`;
}
