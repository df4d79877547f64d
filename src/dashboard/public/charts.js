/* global window, document, getComputedStyle */
// Chart.js (global `Chart`, loaded by a plain <script>) wrappers. Labels come from data but Chart.js
// draws them on a canvas, tooltips included (no HTML tooltips), so they are never parsed as HTML.

import { h, fmtNum, fmtTime } from './dom.js';

const charts = [];

export function destroyCharts() {
  while (charts.length) {
    const c = charts.pop();
    try {
      c.destroy();
    } catch {
      /* already gone */
    }
  }
}

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** Verdict colours (malware red, phish orange, hc phish dark orange, spam yellow, other grey). */
export function verdictColor(v) {
  return cssVar(`--v-${v}`) || cssVar('--v-other');
}

const PALETTE = ['--c1', '--c2', '--c3', '--c4', '--c5', '--c6', '--c7', '--c8', '--c9'];
export function paletteColor(i) {
  return cssVar(PALETTE[i % PALETTE.length]);
}

function applyTheme() {
  const C = window.Chart;
  C.defaults.color = cssVar('--fg-muted');
  C.defaults.borderColor = cssVar('--grid');
  C.defaults.font.family = cssVar('--font') || 'system-ui, sans-serif';
  C.defaults.animation = false;
  C.defaults.plugins.tooltip.enabled = true; // canvas tooltips; never the external (HTML) one
}

/**
 * A chart in a box. `fallback` is a DOM node shown when Chart.js is missing (and kept as an
 * accessible alternative beside the canvas for screen readers).
 */
export function chartBox(name, config, { height = 240, label = '', fallback = null } = {}) {
  const box = h('div', { class: 'chart', 'data-chart': name });
  box.style.height = `${height}px`;
  if (!window.Chart) {
    box.classList.add('no-chart');
    box.style.height = 'auto';
    box.appendChild(
      h('p', { class: 'muted' }, 'Charts are unavailable (Chart.js did not load); the numbers:'),
    );
    if (fallback) box.appendChild(fallback);
    return box;
  }
  const canvas = h('canvas', { role: 'img', 'aria-label': label || name });
  box.appendChild(canvas);
  applyTheme();
  const chart = new window.Chart(canvas, config);
  charts.push(chart);
  return box;
}

function bucketLabel(ms, bucketMs) {
  const s = fmtTime(ms);
  return bucketMs >= 86_400_000 ? s.slice(0, 10) : s.slice(5);
}

/** Stacked bars over time: series { bucketMs, buckets, lines }. colorOf(value, i). */
export function stackedTime(
  name,
  series,
  { colorOf, labelOf = (v) => v, onClick = null, height = 260 } = {},
) {
  const labels = series.buckets.map((b) => bucketLabel(b, series.bucketMs));
  const datasets = series.lines.map((l, i) => ({
    label: labelOf(l.value),
    data: l.counts,
    backgroundColor: colorOf ? colorOf(l.value, i) : paletteColor(i),
    borderWidth: 0,
    stack: 's',
  }));
  const config = {
    type: 'bar',
    data: { labels, datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 12 } },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0, callback: (v) => fmtNum(v) } },
      },
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 12 } },
        tooltip: {
          callbacks: {
            title: (items) => (items.length ? fmtTime(series.buckets[items[0].dataIndex]) + ' UTC' : ''),
            label: (item) => `${item.dataset.label}: ${fmtNum(item.raw)}`,
          },
        },
      },
      onClick: onClick
        ? (_evt, elements) => {
            if (!elements.length) return;
            const el = elements[0];
            const line = series.lines[el.datasetIndex];
            onClick(line.value, series.buckets[el.index], series.bucketMs);
          }
        : undefined,
    },
  };
  const fallback = h(
    'table',
    { class: 'grid' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', null, 'Bucket'),
        series.lines.map((l) => h('th', { class: 'num' }, labelOf(l.value))),
      ),
    ),
    h(
      'tbody',
      null,
      series.buckets.map((b, i) =>
        h(
          'tr',
          null,
          h('td', null, fmtTime(b)),
          series.lines.map((l) => h('td', { class: 'num' }, fmtNum(l.counts[i]))),
        ),
      ),
    ),
  );
  return chartBox(name, config, { height, label: `${name} over time`, fallback });
}

/** Horizontal bars of Count[]. */
export function barCounts(
  name,
  counts,
  { colorOf = null, labelOf = (v) => v, onClick = null, height = null, horizontal = true } = {},
) {
  const config = {
    type: 'bar',
    data: {
      labels: counts.map((c) => labelOf(c.value)),
      datasets: [
        {
          label: 'Count',
          data: counts.map((c) => c.n),
          backgroundColor: counts.map((c, i) => (colorOf ? colorOf(c.value, i) : paletteColor(i))),
          borderWidth: 0,
        },
      ],
    },
    options: {
      indexAxis: horizontal ? 'y' : 'x',
      responsive: true,
      maintainAspectRatio: false,
      scales: {
        x: { beginAtZero: true, ticks: { precision: 0 } },
        y: { beginAtZero: true, ticks: { precision: 0 } },
      },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item) => `${fmtNum(item.raw)}` } },
      },
      onClick: onClick
        ? (_evt, elements) => {
            if (elements.length) onClick(counts[elements[0].index].value);
          }
        : undefined,
    },
  };
  const fallback = h(
    'table',
    { class: 'grid' },
    h(
      'tbody',
      null,
      counts.map((c) =>
        h('tr', null, h('td', null, labelOf(c.value)), h('td', { class: 'num' }, fmtNum(c.n))),
      ),
    ),
  );
  return chartBox(name, config, {
    height: height || Math.max(120, 34 * counts.length + 40),
    label: name,
    fallback,
  });
}
