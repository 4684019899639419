/**
 * The Key usage chart: a key's calls per time bucket, stacked by operation, as server-rendered SVG
 * (no script, no external asset). The same counts are given as a table for screen readers and
 * for anyone who wants the numbers.
 */
import type { TrailEvent } from "./trail.ts";

const COLORS = ["#0073bb", "#ec7211", "#1d8102", "#d13212", "#8c4fff", "#00a1c9", "#b7791f", "#545b64", "#e07941", "#2e7d32"];

export interface UsageWindow {
  id: string;
  label: string;
  spanMs: number;
  bucketMs: number;
}

export const WINDOWS: UsageWindow[] = [
  { id: "1h", label: "Last hour", spanMs: 60 * 60_000, bucketMs: 5 * 60_000 },
  { id: "24h", label: "Last 24 hours", spanMs: 24 * 60 * 60_000, bucketMs: 60 * 60_000 },
  { id: "7d", label: "Last 7 days", spanMs: 7 * 24 * 60 * 60_000, bucketMs: 24 * 60 * 60_000 },
];

export interface UsageSeries {
  operations: string[];
  bucketStarts: number[];
  /** counts[operation index][bucket index] */
  counts: number[][];
}

export function bucketize(events: TrailEvent[], window: UsageWindow, nowMs: number): UsageSeries {
  const n = Math.round(window.spanMs / window.bucketMs);
  // Buckets aligned to the bucket size, the last one containing now.
  const lastStart = Math.floor(nowMs / window.bucketMs) * window.bucketMs;
  const bucketStarts = Array.from({ length: n }, (_, i) => lastStart - (n - 1 - i) * window.bucketMs);
  const operations = [...new Set(events.map((e) => e.eventName))].sort();
  const counts = operations.map(() => new Array<number>(n).fill(0));
  for (const e of events) {
    const i = Math.floor((e.eventTime.getTime() - bucketStarts[0]!) / window.bucketMs);
    if (i < 0 || i >= n) continue;
    counts[operations.indexOf(e.eventName)]![i]! += 1;
  }
  return { operations, bucketStarts, counts };
}

function timeLabel(ms: number, window: UsageWindow): string {
  const d = new Date(ms);
  const two = (x: number) => String(x).padStart(2, "0");
  return window.bucketMs >= 24 * 60 * 60_000
    ? `${d.getUTCMonth() + 1}/${d.getUTCDate()}`
    : `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
}

export function UsageChart(props: { series: UsageSeries; window: UsageWindow }) {
  const { series, window } = props;
  const width = 760;
  const height = 240;
  const left = 40;
  const bottom = 28;
  const top = 10;
  const n = series.bucketStarts.length;
  const totals = series.bucketStarts.map((_, i) => series.counts.reduce((sum, row) => sum + row[i]!, 0));
  const max = Math.max(1, ...totals);
  const plotH = height - top - bottom;
  const slot = (width - left - 10) / n;
  const barW = Math.max(4, slot * 0.7);
  const ticks = [0, Math.ceil(max / 2), max].filter((v, i, a) => a.indexOf(v) === i);
  const total = totals.reduce((a, b) => a + b, 0);
  return (
    <figure style="margin:0">
      <svg
        role="img"
        aria-labelledby="usage-title usage-desc"
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        style="max-width:760px;background:#fff"
      >
        <title id="usage-title">{`Calls to this key by operation, ${window.label.toLowerCase()}`}</title>
        <desc id="usage-desc">{`${total} calls in ${n} intervals; the table below lists the counts.`}</desc>
        {ticks.map((t) => {
          const y = top + plotH - (t / max) * plotH;
          return (
            <g>
              <line x1={left} x2={width - 5} y1={y} y2={y} stroke="#eaeded" />
              <text x={left - 6} y={y + 4} font-size="11" text-anchor="end" fill="#545b64">
                {String(t)}
              </text>
            </g>
          );
        })}
        {series.bucketStarts.map((start, i) => {
          let y = top + plotH;
          const x = left + i * slot + (slot - barW) / 2;
          return (
            <g>
              {series.operations.map((op, j) => {
                const count = series.counts[j]![i]!;
                if (count === 0) return null;
                const h = (count / max) * plotH;
                y -= h;
                return (
                  <rect x={x} y={y} width={barW} height={h} fill={COLORS[j % COLORS.length]}>
                    <title>{`${op}: ${count} at ${timeLabel(start, window)} UTC`}</title>
                  </rect>
                );
              })}
              {(i % Math.ceil(n / 8) === 0 || i === n - 1) && (
                <text x={x + barW / 2} y={height - 10} font-size="11" text-anchor="middle" fill="#545b64">
                  {timeLabel(start, window)}
                </text>
              )}
            </g>
          );
        })}
        <line x1={left} x2={width - 5} y1={top + plotH} y2={top + plotH} stroke="#545b64" />
      </svg>
      <figcaption class="legend">
        {series.operations.map((op, j) => (
          <span>
            <span class="swatch" style={`background:${COLORS[j % COLORS.length]}`} />
            {op}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
